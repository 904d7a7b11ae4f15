"""SURT keys, the sort keys of a CDXJ index, made as pywb makes them (the `surt` package's
defaults), so a replay tool finds each capture by binary search.

Host lowercased, a leading `www.` (or `www2.`...) dropped, user and password dropped, the
default port dropped, labels reversed and joined by commas; the path and query lowercased,
percent-escapes decoded then re-escaped the one way, query arguments sorted, the fragment
dropped. Session-id stripping (jsessionid and the like) is not done: archiver's captures are
indexed by the URL that was fetched.
"""

from __future__ import annotations

import re
from urllib.parse import unquote_to_bytes, urlsplit

_WWW = re.compile(r"www\d*\.")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def surt(url: str) -> str:
    """The SURT key of an http(s) URL; any other URL is returned lowercased.

    >>> surt("https://www.Example.org:443/A/b/?z=1&a=2#top")
    'org,example)/a/b?a=2&z=1'
    >>> surt("http://127.0.0.1:8080/")
    '1,0,0,127:8080)/'
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return url.lower()
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return url.lower()
    host = _host_key(parts.hostname)
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        host += f":{port}"
    path = _escape(parts.path).lower() or "/"
    if len(path) > 1 and path.endswith("/"):
        path = path[:-1]
    query = _sorted_query(_escape(parts.query).lower())
    return f"{host})" + path + (f"?{query}" if query else "")


def _host_key(hostname: str) -> str:
    host = hostname.lower().strip(".")
    www = _WWW.match(host)
    if www:
        host = host[www.end():]
    if host.startswith("["):
        return host  # an IPv6 literal keeps its form
    return ",".join(reversed(host.split(".")))


def _escape(text: str) -> str:
    """Decode every escape (repeatedly, as pywb does), then escape control bytes, space,
    '#', '%' and non-ASCII bytes."""
    data = text.encode("utf-8", "surrogateescape")
    while True:
        decoded = unquote_to_bytes(data)
        if decoded == data:
            break
        data = decoded
    return "".join(f"%{byte:02X}" if byte <= 0x20 or byte >= 0x7F or byte in b"#%"
                   else chr(byte) for byte in data)


def _sorted_query(query: str) -> str:
    if len(query) <= 1:
        return query
    pairs = sorted(tuple(arg.split("=", 1)) for arg in query.split("&"))
    return "&".join("=".join(pair) for pair in pairs)
