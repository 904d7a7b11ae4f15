"""HTTP/1.1-style message heads for the exchanges a browser made, from what the DevTools
protocol reports of them.

The browser hands a body over already decoded (gzip, br undone) and de-chunked, and HTTP/2
and HTTP/3 have no status line or header block on the wire at all. So a record's head says
what its body now is: Content-Encoding and Transfer-Encoding are kept under `X-Orig-` names
(as Browsertrix and pywb spell them), Content-Length is the length of the body recorded, and
the protocol the exchange really used goes into the record's WARC-Protocol field. Where the
browser saw an HTTP/1.x head whose body needed none of that, the head is kept byte for byte.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from http import HTTPStatus
from urllib.parse import urlsplit

RENAMED = ("content-encoding", "transfer-encoding")
"""Headers that no longer describe the recorded body: kept as X-Orig-<name>."""


def header_lines(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """Header pairs fit for a head: a value the browser joined with newlines (repeated
    headers) split again, pseudo-headers (`:path`) dropped, stray CR removed.

    >>> header_lines([("Set-Cookie", "a=1\\nb=2"), (":status", "200"), ("X", "y\\r")])
    [('Set-Cookie', 'a=1'), ('Set-Cookie', 'b=2'), ('X', 'y')]
    """
    lines = []
    for name, value in headers:
        if name.startswith(":") or not name:
            continue
        for part in value.replace("\r", "").split("\n"):
            lines.append((name, part))
    return lines


def request_head(method: str, url: str, headers: Mapping[str, str]) -> bytes:
    """The request as an HTTP/1.1 head. HTTP/2's `:authority` becomes Host; a Host is
    added when the browser reported none.

    >>> request_head("GET", "http://a.example/p?q=1", {"Accept": "*/*"})
    b'GET /p?q=1 HTTP/1.1\\r\\nHost: a.example\\r\\nAccept: */*\\r\\n\\r\\n'
    """
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    pairs = header_lines(headers.items())
    if not any(name.lower() == "host" for name, _ in pairs):
        pairs.insert(0, ("Host", headers.get(":authority") or parts.netloc))
    return _head(f"{method} {target} HTTP/1.1", pairs)


def response_head(status: int, status_text: str, headers: Sequence[tuple[str, str]],
                  body_length: int) -> bytes:
    """The response as an HTTP/1.1 head describing a body of `body_length` bytes as
    recorded (decoded, de-chunked).

    >>> head = response_head(200, "", [("Content-Encoding", "gzip"), ("Content-Length", "9")], 20)
    >>> print(head.decode().replace("\\r\\n", "\\n").strip())
    HTTP/1.1 200 OK
    X-Orig-Content-Encoding: gzip
    X-Orig-Content-Length: 9
    Content-Length: 20
    """
    pairs = []
    for name, value in header_lines(headers):
        lowered = name.lower()
        if lowered in RENAMED:
            pairs.append((f"X-Orig-{name}", value))
        elif lowered == "content-length":
            if value.strip() != str(body_length):
                pairs.append((f"X-Orig-{name}", value))
        else:
            pairs.append((name, value))
    pairs.append(("Content-Length", str(body_length)))
    return _head(f"HTTP/1.1 {status} {status_text or _phrase(status)}".rstrip(), pairs)


def raw_head_fits(headers_text: str | None, protocol: str | None,
                  headers: Sequence[tuple[str, str]], body_length: int) -> bool:
    """Whether the HTTP/1.x head the browser received (`headers_text`) describes the body
    as recorded: no content or transfer coding, and a Content-Length (if any) equal to it.

    >>> raw_head_fits("HTTP/1.1 200 OK\\r\\n\\r\\n", "http/1.1", [("Content-Length", "3")], 3)
    True
    >>> raw_head_fits("HTTP/1.1 200 OK\\r\\n\\r\\n", "http/1.1", [("Content-Encoding", "gzip")], 3)
    False
    """
    if not headers_text or not headers_text.startswith("HTTP/1.") or protocol not in (
            None, "http/1.1", "http/1.0"):
        return False
    if not headers_text.endswith("\r\n\r\n"):
        return False
    for name, value in header_lines(headers):
        lowered = name.lower()
        if lowered == "content-encoding" and value.strip().lower() not in ("", "identity"):
            return False
        if lowered == "transfer-encoding":
            return False
        if lowered == "content-length" and value.strip() != str(body_length):
            return False
    return True


def warc_protocol(protocol: str | None, security: str | None) -> str | None:
    """The WARC-Protocol field (the IIPC's proposal, as Browsertrix writes it): the
    application protocol and the TLS version, lowercase.

    >>> warc_protocol("h2", "TLS 1.3"), warc_protocol("http/1.1", None)
    ('h2, tls/1.3', 'http/1.1')
    """
    names = []
    if protocol:
        names.append(protocol.lower())
    if security:
        names.append(security.lower().replace(" ", "/"))
    return ", ".join(names) or None


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _head(first_line: str, pairs: Iterable[tuple[str, str]]) -> bytes:
    lines = [first_line, *(f"{name}: {value}" for name, value in pairs)]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")
