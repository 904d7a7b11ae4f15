"""One cookie jar per capture job, so a site that sets a cookie and redirects works.

The standard library's CookieJar does the policy work; it expects urllib's request and
response objects, so these small adapters speak its language. Left alone it keeps every
cookie a server sets, so a Set-Cookie flood grows the jar, and the Cookie header of every
later request to that site, without end. The jar here is bounded the way browsers bound
theirs (RFC 6265 section 6.1; Chromium's limits): a cookie whose name and value pass 4096
bytes, or that holds a control character, is refused; past 180 cookies for one domain, or
3000 in all, the oldest goes first; and the Cookie header we send is cut at 16 KiB.
"""

from __future__ import annotations

import contextlib
import email.message
import re
import urllib.request
from collections import OrderedDict, defaultdict
from contextlib import AbstractContextManager
from http.cookiejar import Cookie, CookieJar

from archiver._types import HeaderList

MAX_COOKIE_BYTES = 4096
"""Name and value of one cookie, together (RFC 6265 asks for at least this much)."""
MAX_COOKIES_PER_DOMAIN = 180
MAX_COOKIES = 3000
MAX_COOKIE_HEADER = 16 * 1024
"""The Cookie header we send: more than most servers accept in one header line (8 KiB)."""
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
"""Characters for which browsers refuse a cookie (RFC 6265bis); a tab is allowed."""

_Key = tuple[str, str, str]


class _Response:
    def __init__(self, headers: HeaderList) -> None:
        self._message = email.message.Message()
        for name, value in headers:
            self._message[name] = value

    def info(self) -> email.message.Message:
        return self._message


class BoundedCookieJar(CookieJar):
    """A CookieJar that holds at most MAX_COOKIES_PER_DOMAIN cookies per domain and
    MAX_COOKIES in all, dropping the oldest first, and refuses oversized cookies."""

    def __init__(self) -> None:
        super().__init__()
        # CookieJar's own (reentrant) lock: it holds it when it calls clear(), so taking a
        # second lock here would risk a deadlock.
        self._lock: AbstractContextManager[object] = self._cookies_lock  # type: ignore[attr-defined]
        self._by_age: OrderedDict[_Key, None] = OrderedDict()
        self._by_domain: defaultdict[str, OrderedDict[_Key, None]] = defaultdict(OrderedDict)

    def set_cookie(self, cookie: Cookie) -> None:
        if not is_acceptable(cookie):
            return
        key = (cookie.domain, cookie.path, cookie.name)
        with self._lock:
            super().set_cookie(cookie)
            # A cookie set again keeps its age (RFC 6265 5.3, step 11.3).
            self._by_age.setdefault(key, None)
            in_domain = self._by_domain[cookie.domain]
            in_domain.setdefault(key, None)
            while len(in_domain) > MAX_COOKIES_PER_DOMAIN:
                self._evict(next(iter(in_domain)))
            while len(self._by_age) > MAX_COOKIES:
                self._evict(next(iter(self._by_age)))

    def clear(self, domain: str | None = None, path: str | None = None,
              name: str | None = None) -> None:
        # Every removal passes here: a server deleting a cookie, an expired one dropped.
        with self._lock:
            super().clear(domain, path, name)
            gone = [key for key in (self._by_domain.get(domain, ()) if domain is not None
                                    else self._by_age)
                    if (path is None or key[1] == path) and (name is None or key[2] == name)]
            for key in gone:
                self._forget(key)

    def _evict(self, key: _Key) -> None:
        domain, path, name = key
        with contextlib.suppress(KeyError):  # already gone
            super().clear(domain, path, name)
        self._forget(key)

    def _forget(self, key: _Key) -> None:
        self._by_age.pop(key, None)
        in_domain = self._by_domain.get(key[0])
        if in_domain is not None:
            in_domain.pop(key, None)
            if not in_domain:
                del self._by_domain[key[0]]

    def __len__(self) -> int:
        return len(self._by_age)


def is_acceptable(cookie: Cookie) -> bool:
    """Whether a browser would keep `cookie`: not too large, no control characters."""
    name, value = cookie.name, cookie.value or ""
    return (len(name.encode("utf-8", "replace")) + len(value.encode("utf-8", "replace"))
            <= MAX_COOKIE_BYTES and not _CONTROL.search(name) and not _CONTROL.search(value))


class JobCookies:
    """Thread-safe (CookieJar locks itself) cookie store for one job."""

    def __init__(self) -> None:
        self.jar = BoundedCookieJar()

    def header_for(self, url: str) -> str | None:
        request = urllib.request.Request(url)
        self.jar.add_cookie_header(request)
        header = request.get_header("Cookie") or request.unredirected_hdrs.get("Cookie")
        return _bounded(header) if header else None

    def remember(self, url: str, headers: HeaderList) -> None:
        setting = [(name, value) for name, value in headers
                   if name.lower() in ("set-cookie", "set-cookie2")]
        if setting:
            self.jar.extract_cookies(_Response(setting),  # type: ignore[arg-type]
                                     urllib.request.Request(url))


def _bounded(header: str) -> str | None:
    """The header cut, between cookies, at MAX_COOKIE_HEADER (the jar lists the cookies with
    the longest paths first, then the oldest, as RFC 6265 5.4 asks). A value never holds
    a semicolon, so the cookies part at "; "."""
    if len(header) <= MAX_COOKIE_HEADER:
        return header.strip() or None
    kept: list[str] = []
    size = 0
    for part in header.split("; "):
        size += len(part) + 2
        if size - 2 > MAX_COOKIE_HEADER:
            break
        kept.append(part)
    return "; ".join(kept).strip() or None
