"""One cookie jar per capture job, so a site that sets a cookie and redirects works.

The standard library's CookieJar does the policy work; it expects urllib's request and
response objects, so these small adapters speak its language.
"""

from __future__ import annotations

import email.message
import urllib.request
from http.cookiejar import CookieJar

from archiver._types import HeaderList


class _Response:
    def __init__(self, headers: HeaderList) -> None:
        self._message = email.message.Message()
        for name, value in headers:
            self._message[name] = value

    def info(self) -> email.message.Message:
        return self._message


class JobCookies:
    """Thread-safe (CookieJar locks itself) cookie store for one job."""

    def __init__(self) -> None:
        self.jar = CookieJar()

    def header_for(self, url: str) -> str | None:
        request = urllib.request.Request(url)
        self.jar.add_cookie_header(request)
        return request.get_header("Cookie") or request.unredirected_hdrs.get("Cookie")

    def remember(self, url: str, headers: HeaderList) -> None:
        if any(name.lower() in ("set-cookie", "set-cookie2") for name, _ in headers):
            self.jar.extract_cookies(_Response(headers),  # type: ignore[arg-type]
                                     urllib.request.Request(url))
