"""Ask a timestamp authority for a token: RFC 3161 over HTTP (RFC 3161 section 3.4), bounded.

One POST of a TimeStampReq (SHA-256 imprint, a random nonce, certReq) as
application/timestamp-query; the reply is read in blocks up to `max_bytes` (a body announced
or found larger is refused at once, never read whole), within `timeout` seconds all told.
The reply's bytes are kept exactly as received, and are checked before anyone stores them:
status granted, the imprint we sent, the nonce we sent.

Redirects are not followed: the TSA is a URL the user chose, and a POST that a server sends
elsewhere (perhaps to an address on the user's own network) is named, with where it points,
for the user to decide; see docs/decisions.md ("Timestamps: a TSA's redirect is not followed").
"""

from __future__ import annotations

import hashlib
import http.client
import socket
import ssl
import time
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from archiver import __version__
from archiver.attestation.tsa_token import (
    MAX_REPLY_BYTES,
    TimestampToken,
    TokenError,
    make_request,
    read_reply,
)
from archiver.errors import ArchiverUsageError, CaptureError

DEFAULT_TIMEOUT = 20.0
"""Seconds for one TSA, connection to last byte: public TSAs answer in well under a second."""
_BLOCK = 16 * 1024


class TsaFailed(CaptureError):
    """A TSA could not be reached, or answered with something that is not a token for what we
    asked: `url` names it, `reason` says why in plain words."""


class TsaUrlError(ArchiverUsageError):
    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"{url}: not a usable TSA address ({reason}); give an http:// or "
                         "https:// URL such as http://timestamp.digicert.com")
        self.url = url


@dataclass(frozen=True)
class TsaReply:
    """A TSA's reply, checked against our request."""

    url: str
    data: bytes
    """The reply exactly as received: what the .tsr file holds."""
    token: TimestampToken


def check_tsa_url(url: str) -> None:
    """Raise TsaUrlError for a TSA address archiver cannot ask (before anything is written).

    >>> check_tsa_url("https://freetsa.org/tsr")
    >>> try:
    ...     check_tsa_url("freetsa.org/tsr")
    ... except TsaUrlError as error:
    ...     print(str(error).split(";")[0])
    freetsa.org/tsr: not a usable TSA address (no http:// or https://)
    """
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        raise TsaUrlError(url, "no http:// or https://")
    try:
        parts.port  # noqa: B018  (raises on a port that is not a number)
    except ValueError:
        raise TsaUrlError(url, "a port that is not a number") from None
    if not parts.hostname:
        raise TsaUrlError(url, "no host")
    if any(ord(c) < 33 or ord(c) == 127 for c in url):
        raise TsaUrlError(url, "spaces or control characters in it")


def request_timestamp(url: str, digest: bytes, *, timeout: float = DEFAULT_TIMEOUT,
                      max_bytes: int = MAX_REPLY_BYTES) -> TsaReply:
    """A token from the TSA at `url` for a SHA-256 `digest`. Raises TsaFailed naming the TSA
    and the reason (unreachable, timeout, HTTP error, too large, not a token, refused, a token
    for another digest or nonce)."""
    check_tsa_url(url)
    query, nonce = make_request(digest)
    data = _post(url, query, timeout=timeout, max_bytes=max_bytes)
    try:
        token = read_reply(data)
    except TokenError as exc:
        raise TsaFailed(url, str(exc)) from None
    if token.imprint_algorithm != "sha256" or token.imprint != digest:
        raise TsaFailed(url, "the token stamps another digest than the one sent "
                        f"({token.imprint_algorithm} {token.imprint.hex()[:16]}…)")
    if token.nonce != nonce:
        raise TsaFailed(url, "the token's nonce is not the one sent: a replayed or "
                        "misdirected reply")
    return TsaReply(url, data, token)


class TsaTimestamper:
    """A wacz_signed_data.Timestamper for the `--tsa` URLs: asks them in order for a token
    over the SHA-256 of the bytes given and returns the first reply got. A WACZ's signature
    has room for one timestamp (webrecorder/specs issue 142), so a later TSA stands in for
    one that failed; `failures` keeps what each failed one said, and when none answers,
    TsaFailed names every TSA and its reason (the export then writes nothing)."""

    def __init__(self, urls: Sequence[str], *, timeout: float = DEFAULT_TIMEOUT,
                 max_bytes: int = MAX_REPLY_BYTES) -> None:
        if not urls:
            raise ValueError("a timestamper needs at least one TSA")
        for url in urls:
            check_tsa_url(url)
        self.urls = tuple(urls)
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.failures: list[TsaFailed] = []
        self.reply: TsaReply | None = None
        """The reply used, once one TSA answered."""

    def __call__(self, data: bytes) -> bytes:
        digest = hashlib.sha256(data).digest()
        self.failures = []
        for url in self.urls:
            try:
                self.reply = request_timestamp(url, digest, timeout=self.timeout,
                                               max_bytes=self.max_bytes)
            except TsaFailed as failure:
                self.failures.append(failure)
                continue
            return self.reply.data
        if len(self.failures) == 1:
            raise self.failures[0]
        raise TsaFailed(f"{len(self.failures)} TSAs", "; ".join(
            str(failure) for failure in self.failures))


def _post(url: str, body: bytes, *, timeout: float, max_bytes: int) -> bytes:
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    deadline = time.monotonic() + timeout
    connection = _connection(parts.scheme.lower(), parts.hostname or "", parts.port, timeout)
    try:
        connection.request("POST", target, body=body, headers={
            "Content-Type": "application/timestamp-query",
            "Accept": "application/timestamp-reply",
            "User-Agent": f"archiver/{__version__}",
            "Connection": "close",
        })
        response = connection.getresponse()
        _refuse_status(url, response, max_bytes)
        return _read_bounded(url, response, deadline, max_bytes)
    except TsaFailed:
        raise
    except TimeoutError:
        raise TsaFailed(url, f"no answer within {timeout:g} seconds") from None
    except ssl.SSLError as exc:
        raise TsaFailed(url, f"TLS failed ({exc.reason or exc})") from None
    except socket.gaierror:
        raise TsaFailed(url, "its host name could not be found") from None
    except ConnectionRefusedError:
        raise TsaFailed(url, "connection refused") from None
    except (OSError, http.client.HTTPException) as exc:
        reason = getattr(exc, "strerror", None) or type(exc).__name__
        raise TsaFailed(url, f"the exchange failed ({reason})") from None
    finally:
        connection.close()


def _connection(scheme: str, host: str, port: int | None,
                timeout: float) -> http.client.HTTPConnection:
    if scheme == "https":
        return http.client.HTTPSConnection(host, port, timeout=timeout,
                                           context=ssl.create_default_context())
    return http.client.HTTPConnection(host, port, timeout=timeout)


def _refuse_status(url: str, response: http.client.HTTPResponse, max_bytes: int) -> None:
    status = response.status
    if 300 <= status < 400:
        where = (response.getheader("Location") or "nowhere")[:200]
        raise TsaFailed(url, f"it redirects (HTTP {status}) to {where}; archiver does not "
                        "follow a TSA's redirects: give that address instead if you trust it")
    if status != 200:
        raise TsaFailed(url, f"it answered HTTP {status} {response.reason[:80]}".rstrip())
    announced = response.getheader("Content-Length")
    if announced and announced.strip().isdigit() and int(announced) > max_bytes:
        raise TsaFailed(url, f"it announced a reply of {int(announced):,} bytes; a "
                        f"timestamp reply is a few kilobytes (archiver reads at most "
                        f"{max_bytes:,})")


def _read_bounded(url: str, response: http.client.HTTPResponse, deadline: float,
                  max_bytes: int) -> bytes:
    blocks: list[bytes] = []
    total = 0
    while block := response.read(min(_BLOCK, max_bytes + 1 - total)):
        blocks.append(block)
        total += len(block)
        if total > max_bytes:
            raise TsaFailed(url, f"its reply runs past {max_bytes:,} bytes; a timestamp "
                            "reply is a few kilobytes")
        if time.monotonic() > deadline:
            raise TsaFailed(url, "its reply did not end in time")
    return b"".join(blocks)
