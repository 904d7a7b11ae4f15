"""A real RFC 3161 timestamp authority on 127.0.0.1: OpenSSL's own `openssl ts -reply`
behind a small threaded HTTP handler, signing with a test PKI built here.

The PKI is a root, an intermediate and a TSA certificate (critical extended key usage
timeStamping), so each reply's certificate SET holds a chain, in chain order, as OpenSSL
writes it. Nothing is mocked: every token comes from openssl, signed with a real key.

    pki = make_pki(tmp_path / "pki")
    with TsaServer(pki) as tsa:
        tsa.url                 # http://127.0.0.1:PORT/tsr
        tsa.url_for("garbage")  # the same TSA, misbehaving on purpose

Misbehaviours (the path after /):
    tsr            a real reply to the query posted
    garbage        200 with bytes that are not a TimeStampResp
    error          HTTP 500
    huge           200 announcing a 100 MB body, and streaming zeros
    huge-chunked   200 with a chunked body of zeros that never ends (no length to refuse by)
    silent         accepts the request and never answers
    other-digest   a real reply, for a query over another digest than the one posted
    redirect       302 to /tsr
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

OPENSSL = shutil.which("openssl")
HUGE_BYTES = 100 * 1000 * 1000


@dataclass(frozen=True)
class Pki:
    """The files of a test TSA's PKI."""

    folder: Path
    root: x509.Certificate
    root_pem: Path
    intermediate_pem: Path
    tsa_cert_pem: Path
    tsa_key_pem: Path
    chain_pem: Path
    """The intermediate and the root, as the TSA's `certs` (included in every reply)."""
    name: str


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "archiver tests"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey


def _new_key(kind: str) -> PrivateKey:
    if kind == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return ec.generate_private_key(ec.SECP256R1())


def _certificate(subject: str, key: PrivateKey, issuer: x509.Name,
                 issuer_key: PrivateKey, *, ca: bool, not_before: datetime,
                 not_after: datetime, eku_critical: bool = True) -> x509.Certificate:
    builder = (x509.CertificateBuilder()
               .subject_name(_name(subject)).issuer_name(issuer)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(not_before).not_valid_after(not_after)
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                              critical=False))
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(digital_signature=False, content_commitment=False,
                          key_encipherment=False, data_encipherment=False, key_agreement=False,
                          key_cert_sign=True, crl_sign=True, encipher_only=False,
                          decipher_only=False), critical=True)
    else:
        builder = builder.add_extension(
            x509.KeyUsage(digital_signature=True, content_commitment=True,
                          key_encipherment=False, data_encipherment=False, key_agreement=False,
                          key_cert_sign=False, crl_sign=False, encipher_only=False,
                          decipher_only=False), critical=True)
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=eku_critical)
    return builder.sign(issuer_key, hashes.SHA256())


def _pem(path: Path, *certificates: x509.Certificate) -> Path:
    path.write_bytes(b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certificates))
    return path


def make_pki(folder: Path, *, name: str = "Test TSA", tsa_valid: tuple[datetime, datetime]
             | None = None, key_type: str = "ec") -> Pki:
    """A root, an intermediate and a TSA certificate in `folder`. `tsa_valid` sets the TSA
    certificate's validity (default: an hour ago to a year on): a period that ended before,
    or begins after, the moment of stamping makes tokens whose chain was not valid then.
    `key_type` "rsa" makes every key RSA 2048, as the large public TSAs use; "ec", P-256."""
    folder.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC)
    long_ago, far_on = now - timedelta(days=30), now + timedelta(days=3650)
    root_key = _new_key(key_type)
    root = _certificate(f"{name} Root", root_key, _name(f"{name} Root"), root_key, ca=True,
                        not_before=long_ago, not_after=far_on)
    mid_key = _new_key(key_type)
    mid = _certificate(f"{name} Intermediate", mid_key, root.subject, root_key, ca=True,
                       not_before=long_ago, not_after=far_on)
    tsa_key = _new_key(key_type)
    start, end = tsa_valid or (now - timedelta(hours=1), now + timedelta(days=365))
    tsa = _certificate(name, tsa_key, mid.subject, mid_key, ca=False, not_before=start,
                       not_after=end)
    key_pem = folder / "tsa.key"
    key_pem.write_bytes(tsa_key.private_bytes(serialization.Encoding.PEM,
                                              serialization.PrivateFormat.PKCS8,
                                              serialization.NoEncryption()))
    pki = Pki(folder=folder, root=root, root_pem=_pem(folder / "root.pem", root),
              intermediate_pem=_pem(folder / "intermediate.pem", mid),
              tsa_cert_pem=_pem(folder / "tsa.pem", tsa), tsa_key_pem=key_pem,
              chain_pem=_pem(folder / "chain.pem", mid, root), name=name)
    _write_openssl_config(pki)
    return pki


def _write_openssl_config(pki: Pki) -> None:
    (pki.folder / "serial").write_text("01\n")
    (pki.folder / "openssl.cnf").write_text(f"""\
[ tsa ]
default_tsa = test_tsa

[ test_tsa ]
dir = {pki.folder}
serial = $dir/serial
crypto_device = builtin
signer_cert = $dir/tsa.pem
certs = $dir/chain.pem
signer_key = $dir/tsa.key
signer_digest = sha256
default_policy = 1.3.6.1.4.1.99999.1
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = yes
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
""")


_LOCK = threading.Lock()  # openssl ts -reply rewrites its serial file: one at a time


def openssl_reply(pki: Pki, query: bytes) -> bytes:
    """OpenSSL's reply to a TimeStampReq (DER), as `openssl ts -reply` writes it."""
    assert OPENSSL is not None
    with _LOCK:
        done = subprocess.run(
            [OPENSSL, "ts", "-reply", "-config", str(pki.folder / "openssl.cnf"),
             "-queryfile", "/dev/stdin", "-out", "/dev/stdout"],
            input=query, capture_output=True, check=True)
    return done.stdout


def openssl_query(data: bytes) -> bytes:
    """A TimeStampReq for `data` made by openssl (SHA-256, a nonce, certReq)."""
    assert OPENSSL is not None
    done = subprocess.run([OPENSSL, "ts", "-query", "-sha256", "-cert", "-digest",
                           hashlib.sha256(data).hexdigest()], capture_output=True, check=True)
    return done.stdout


def openssl_verify(token: Path, data: Path, ca_file: Path) -> subprocess.CompletedProcess[str]:
    """The outside judge: `openssl ts -verify -in TOKEN -data FILE -CAfile ROOTS`."""
    assert OPENSSL is not None
    return subprocess.run([OPENSSL, "ts", "-verify", "-in", str(token), "-data", str(data),
                           "-CAfile", str(ca_file)], capture_output=True, text=True)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        query = self.rfile.read(length)
        mode = self.path.strip("/")
        self.server.requests.append((mode, self.headers.get("Content-Type"), query))
        if mode == "silent":
            self.server.release.wait(30)
            return
        if mode == "error":
            return self._send(500, b"internal error", "text/plain")
        if mode == "garbage":
            return self._send(200, b"<html>not a timestamp</html>" * 10)
        if mode == "redirect":
            self.send_response(302)
            self.send_header("Location", "/tsr")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        if mode == "huge":
            return self._stream_zeros(chunked=False)
        if mode == "huge-chunked":
            return self._stream_zeros(chunked=True)
        if mode == "other-digest":
            query = openssl_query(b"some other file")
        reply = openssl_reply(self.server.pki, query)
        self.server.replies.append(reply)
        self._send(200, reply)
        return None

    def _send(self, status: int, body: bytes,
              content_type: str = "application/timestamp-reply") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _stream_zeros(self, *, chunked: bool) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/timestamp-reply")
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(HUGE_BYTES))
        self.end_headers()
        block = bytes(64 * 1024)
        sent = 0
        try:
            while sent < HUGE_BYTES and not self.server.release.is_set():
                if chunked:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(block), block))
                else:
                    self.wfile.write(block)
                sent += len(block)
                self.server.huge_sent = sent
        except OSError:
            pass  # the client hung up: what it should do


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, pki: Pki) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.pki = pki
        self.requests: list[tuple[str, str | None, bytes]] = []
        self.replies: list[bytes] = []
        self.release = threading.Event()
        self.huge_sent = 0


class TsaServer:
    """`openssl ts -reply` over HTTP on 127.0.0.1, in a thread."""

    def __init__(self, pki: Pki) -> None:
        self.pki = pki
        self._server = _Server(pki)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> TsaServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.release.set()
        self._server.shutdown()
        self._server.server_close()

    @property
    def url(self) -> str:
        return self.url_for("tsr")

    def url_for(self, mode: str) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/{mode}"

    @property
    def requests(self) -> list[tuple[str, str | None, bytes]]:
        """(mode, Content-Type, query bytes) of every request so far."""
        return self._server.requests

    @property
    def replies(self) -> list[bytes]:
        """Every reply sent, byte for byte."""
        return self._server.replies

    @property
    def huge_sent(self) -> int:
        """How many bytes of a huge body were written before the client hung up."""
        return self._server.huge_sent


def wait_until(condition: Any, seconds: float = 5.0) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.02)
    return bool(condition())
