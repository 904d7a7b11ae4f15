#!/usr/bin/env python3
"""Signed WACZ benchmark: what signing adds to `export --wacz`, and what checking the
signature adds to `verify`, with OpenSSL verifying the same signature as the peer.

Makes the demo package once (`archiver demo`, offline on 127.0.0.1), a P-256 key, and in
each round, in-process (the time of one library call, not of a Python start):

    export_wacz(PKG, OUT)            and   export_wacz(PKG, OUT, key=KEY)
    check(OUT unsigned)              and   check(OUT signed)
    check_signed_data(signedData)    (the signature check alone)
    openssl dgst -sha256 -verify     (the peer: the same signature, extracted; a process)
    export_wacz(PKG, OUT, key=KEY, timestamper=TsaTimestamper([TSA]))   (`export --tsa`,
                                     from a local TSA: OpenSSL's `openssl ts -reply` behind
                                     tests/tsa_server.py, a process per request)
    check_signed_data(stamped)       (the signature and its RFC 3161 timestamp, token_check)
    openssl ts -verify               (the peer: the same token and signature, extracted)

and prints the medians and the differences. Issue 13's targets: signing adds < 0.5 s to a
package, checking a signature adds < 50 ms.

    python bench/wacz_signing_bench.py [--rounds 7] [--work DIR]
"""

from __future__ import annotations

import argparse
import base64
import json
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from measurement import machine_info, median, table

from archiver.attestation.keys import SigningKey, load_signing_key, new_key
from archiver.attestation.trust import load_trust
from archiver.attestation.tsa_client import TsaTimestamper
from archiver.attestation.wacz_signature_check import check_signed_data
from archiver.transfer import export_wacz
from archiver.verification import check
from tests.tsa_server import TsaServer, make_pki


def timed(action: Callable[..., object], *args: object, **kwargs: object) -> float:
    start = time.perf_counter()
    action(*args, **kwargs)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--work", type=Path, default=None)
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="wacz-signing-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    package = work / "demo"
    if not package.exists():
        subprocess.run([sys.executable, "-m", "archiver", "demo", "-o", str(package)],
                       check=True, capture_output=True)
    key_path = work / "bench.key"
    if not key_path.exists():
        new_key(key_path)
    key = load_signing_key(key_path)
    print(f"machine: {json.dumps(machine_info())}")
    times: dict[str, list[float]] = {name: [] for name in (
        "export", "export --key", "verify unsigned", "verify signed", "signature check",
        "openssl dgst -verify", "export --key --tsa", "stamped signature check",
        "openssl ts -verify")}
    pki = make_pki(work / "tsa-pki", name="Bench TSA")
    with TsaServer(pki) as tsa:
        for round_number in range(args.rounds):
            _round(work, package, key, round_number, times)
            _stamped_round(work, package, key, round_number, times, tsa.url, pki.root_pem)
    rows = [[name, f"{median(values) * 1000:.1f} ms"] for name, values in times.items()]
    print(table(rows, ["step", f"median of {args.rounds}"]))
    signing = median(times["export --key"]) - median(times["export"])
    checking = median(times["verify signed"]) - median(times["verify unsigned"])
    print(f"signing adds {signing * 1000:.1f} ms to an export (target < 500 ms); checking "
          f"the signature adds {checking * 1000:.1f} ms to verify (target < 50 ms); the "
          f"check alone takes {median(times['signature check']) * 1000:.2f} ms, openssl's "
          f"process {median(times['openssl dgst -verify']) * 1000:.1f} ms")
    stamping = median(times["export --key --tsa"]) - median(times["export --key"])
    stamped = median(times["stamped signature check"])
    peer = median(times["openssl ts -verify"])
    print(f"a timestamp adds {stamping * 1000:.1f} ms to a signed export (the local TSA's "
          f"openssl process included); the signature and its timestamp check in "
          f"{stamped * 1000:.2f} ms, openssl ts -verify of the token alone in "
          f"{peer * 1000:.1f} ms (ratio {peer / stamped:.1f}x)")


def _stamped_round(work: Path, package: Path, key: SigningKey, round_number: int,
                   times: dict[str, list[float]], tsa_url: str, root_pem: Path) -> None:
    """`export --key --tsa`, then the timestamped signature checked by archiver and the
    token by `openssl ts -verify`."""
    stamped = work / f"stamped-{round_number}.wacz"
    times["export --key --tsa"].append(timed(export_wacz, package, stamped, key=key,
                                             timestamper=TsaTimestamper([tsa_url])))
    with zipfile.ZipFile(stamped) as archive:
        document = json.loads(archive.read("datapackage-digest.json"))
    signed_data = document["signedData"]
    trust = load_trust([root_pem], with_defaults=False)
    result = check_signed_data(signed_data, document["hash"], trust)
    assert result.timestamp is not None and result.timestamp.ok, result
    times["stamped signature check"].append(timed(check_signed_data, signed_data,
                                                  document["hash"], trust))
    (work / "token.tsr").write_bytes(base64.b64decode(signed_data["timeSignature"]))
    (work / "signature.txt").write_text(signed_data["signature"])
    times["openssl ts -verify"].append(timed(
        subprocess.run, ["openssl", "ts", "-verify", "-in", "token.tsr", "-data",
                         "signature.txt", "-CAfile", str(root_pem)],
        cwd=work, check=True, capture_output=True))
    stamped.unlink()


def _round(work: Path, package: Path, key: SigningKey, round_number: int,
           times: dict[str, list[float]]) -> None:
    """An export unsigned and signed, each verified, and the signature checked alone and by
    `openssl dgst -verify`."""
    plain, signed = work / f"plain-{round_number}.wacz", work / f"signed-{round_number}.wacz"
    times["export"].append(timed(export_wacz, package, plain))
    times["export --key"].append(timed(export_wacz, package, signed, key=key))
    times["verify unsigned"].append(timed(check, plain))
    times["verify signed"].append(timed(check, signed))
    with zipfile.ZipFile(signed) as archive:
        document = json.loads(archive.read("datapackage-digest.json"))
    times["signature check"].append(timed(check_signed_data, document["signedData"],
                                          document["hash"]))
    signed_data = document["signedData"]
    raw = base64.b64decode(signed_data["signature"])
    (work / "key.der").write_bytes(base64.b64decode(signed_data["publicKey"]))
    (work / "sig.der").write_bytes(encode_dss_signature(int.from_bytes(raw[:32], "big"),
                                                        int.from_bytes(raw[32:], "big")))
    (work / "hash.txt").write_text(signed_data["hash"])
    times["openssl dgst -verify"].append(timed(
        subprocess.run, ["openssl", "dgst", "-sha256", "-keyform", "DER", "-verify",
                         "key.der", "-signature", "sig.der", "hash.txt"],
        cwd=work, check=True, capture_output=True))
    plain.unlink()
    signed.unlink()


if __name__ == "__main__":
    main()
