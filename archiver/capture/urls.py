"""URL parsing the way browsers do it (the WHATWG URL standard, via ada).

A user pastes `https://Bücher.example/Über uns`; the browser requests
`https://xn--bcher-kva.example/%C3%9Cber%20uns`. We request and record the same.
"""

from __future__ import annotations

from dataclasses import dataclass

import ada_url

from archiver.errors import CaptureError

FETCHABLE_SCHEMES = ("http:", "https:")


@dataclass(frozen=True)
class Origin:
    """Where a connection goes: one pool of connections, one per-host limit."""

    scheme: str
    host: str
    port: int

    @property
    def is_tls(self) -> bool:
        return self.scheme == "https"

    def __str__(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"


def normalize_url(url: str, base: str | None = None) -> str:
    """Resolve `url` against `base` and normalise it; raise CaptureError if it is not http(s).

    >>> normalize_url("HTTP://Example.COM/a/../b c")
    'http://example.com/b%20c'
    >>> normalize_url("https://Bücher.example/Über uns?q=café")
    'https://xn--bcher-kva.example/%C3%9Cber%20uns?q=caf%C3%A9'
    >>> normalize_url("../x.css", "https://example.org/a/b/page.html")
    'https://example.org/a/x.css'
    """
    text = url.strip()
    try:
        parsed = ada_url.URL(text, base) if base else ada_url.URL(text)
    except ValueError:
        raise CaptureError(url, "not a valid URL") from None
    if parsed.protocol not in FETCHABLE_SCHEMES:
        raise CaptureError(url, f"not an http(s) URL (scheme {parsed.protocol!r})")
    if not parsed.hostname:
        raise CaptureError(url, "the URL names no host")
    parsed.hash = ""  # fragments never reach the server
    return str(parsed.href)


def try_normalize(url: str, base: str | None = None) -> str | None:
    """`normalize_url`, or None for links we cannot fetch (mailto:, data:, broken ones)."""
    try:
        return normalize_url(url, base)
    except CaptureError:
        return None


def address_meant(text: str) -> str | None:
    """The web address someone meant by `text`, typed without its scheme: `https://` and
    `text`, when that is a URL whose host is a domain name, an IP address or localhost;
    else None. Browsers read what is typed in their address bar the same way.

    >>> address_meant("example.org"), address_meant("news.example.org/2025/story?id=1")
    ('https://example.org', 'https://news.example.org/2025/story?id=1')
    >>> address_meant("localhost:8000/page"), address_meant("127.0.0.1/x")
    ('https://localhost:8000/page', 'https://127.0.0.1/x')
    >>> address_meant("https://example.org"), address_meant("not a url"), address_meant("notes")
    (None, None, None)
    >>> address_meant("./sources.txt"), address_meant("a..b/c")
    (None, None)
    """
    typed = text.strip()
    if not typed or "://" in typed or typed.startswith(("/", ".")):
        return None
    guess = f"https://{typed}"
    try:
        host = ada_url.URL(guess).hostname
    except ValueError:
        return None
    labels = host.removesuffix(".").split(".")
    if host == "localhost" or host.startswith("[") or (len(labels) > 1 and all(labels)):
        return guess
    return None


def typed_url_problem(text: str) -> str | None:
    """Why `text`, typed as a URL to capture, is not one (None: it is); where a scheme is
    missing, the address that was probably meant.

    >>> typed_url_problem("example.org")
    'example.org: not a URL (no http:// or https://); did you mean https://example.org?'
    >>> typed_url_problem("ftp://example.org/f")
    "ftp://example.org/f: not an http(s) URL (scheme 'ftp:')"
    >>> typed_url_problem("https://example.org/") is None
    True
    """
    try:
        normalize_url(text)
    except CaptureError as error:
        meant = address_meant(text)
        if meant is not None:
            return f"{text}: not a URL (no http:// or https://); did you mean {meant}?"
        return str(error)
    return None


def url_from_header(value: str) -> str:
    """A URL from a header (a Location) read the way browsers read it.

    Header values reach us decoded as latin-1, so every byte survives; but a server that
    sends a non-ASCII Location sends UTF-8, and browsers follow it as UTF-8. Bytes that are
    not valid UTF-8 are left as latin-1.

    >>> url_from_header("/stra\\xc3\\x9fe")
    '/straße'
    >>> url_from_header("/caf\\xe9")
    '/café'
    """
    try:
        return value.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return value  # text already, or bytes that are not UTF-8


def origin_of(url: str) -> Origin:
    parsed = ada_url.URL(url)
    scheme = parsed.protocol.rstrip(":")
    port = int(parsed.port) if parsed.port else (443 if scheme == "https" else 80)
    host = parsed.hostname
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return Origin(scheme, host, port)


def request_target(url: str) -> str:
    """The path and query, as sent on the request line."""
    parsed = ada_url.URL(url)
    return f"{parsed.pathname or '/'}{parsed.search}"


def host_header(url: str) -> str:
    return str(ada_url.URL(url).host)
