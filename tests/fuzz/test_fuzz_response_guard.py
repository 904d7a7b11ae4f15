"""The replay's last word on response headers (archiver.replay.response_guard), on hostile
archived headers: whatever a WARC's response said, the browser gets exactly one policy of the
replay's, no header that leads it to another server, and never an exception.

Seeds: the header lines of the responses in fixtures/warc/ and of the test site's hostile
routes, mutated; request paths in every replay mode. And the addresses of raw replays, mutated
and escaped: wherever pywb (modelled here from its routing: werkzeug on the decoded path, the
mode from the address as sent when it starts with the collection) would serve a page raw, the
guard sandboxes it.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from hypothesis import given
from hypothesis import strategies as st

from archiver.replay.response_guard import (
    KEPT_HEADERS,
    RAW_POLICY,
    REPLAY_POLICY,
    REWRITTEN_MODES,
    Request,
    guard_headers,
    request_of,
    route_of,
)
from tests.fuzz.mutations import mutated

HOST = "127.0.0.1:8080"
SEEDS = [
    b"Content-Type: text/html; charset=utf-8",
    b"Location: http://a.example/next",
    b"Location: //a.example/next",
    b"Location: /evidence/20240501120000mp_/http://a.example/",
    b"Refresh: 0;url=http://a.example/",
    b'Link: <http://a.example/>; rel="original", <http://a.example/x>; rel=preconnect',
    b'Link: <http://a.example/x.js>; rel=preload; as=script; title="a, b"',
    b"Content-Security-Policy: default-src *; report-uri http://a.example/r",
    b'Reporting-Endpoints: default="http://a.example/reports"',
    b"X-Archive-Orig-Date: Wed, 01 May 2024 12:00:00 GMT",
]
PATHS = ["/", "/static/wombat.js", "/evidence/", "/evidence/http://a.example/",
         "/evidence/20240501120000id_/http://a.example/",
         "/evidence/mp_/http://a.example/", "/evidence/im_/http://a.example/x.svg",
         "/evidence/*/http://a.example/"]
DESTINATIONS = ["", "document", "iframe", "image", "script", "empty", "object"]


def _header(line: bytes) -> tuple[str, str] | None:
    name, colon, value = line.decode("latin-1").partition(":")
    if not colon or not name.strip() or re.search(r"[\r\n]", name + value):
        return None  # a WSGI server never hands on a header without a name or with a break
    return name.strip(), value.strip()


headers = st.lists(mutated(SEEDS).map(_header), max_size=8).map(
    lambda found: [header for header in found if header is not None])


@given(headers, st.sampled_from(PATHS), st.sampled_from(DESTINATIONS))
def test_no_archived_header_leads_the_browser_away(found: list[tuple[str, str]], path: str,
                                                   destination: str) -> None:
    request = Request(route_of(path, "evidence"), "evidence", HOST, destination)
    guarded = guard_headers(found, request)
    policies = [value for name, value in guarded if name.lower() == "content-security-policy"]
    assert policies in ([REPLAY_POLICY], [RAW_POLICY])
    for name, value in guarded:
        lower = name.lower()
        assert lower in KEPT_HEADERS or lower.startswith("x-archive-") or lower in (
            "location", "link", "content-security-policy", "x-dns-prefetch-control",
            "x-content-type-options")
        if lower == "location":
            assert _stays_on_the_replay(value), value
        if lower == "link":
            assert "preconnect" not in value and "preload" not in value


def _stays_on_the_replay(location: str) -> bool:
    """A redirect target a browser resolves to the replay server itself."""
    if not location or location.startswith((f"http://{HOST}/", f"https://{HOST}/")):
        return True
    if re.search(r"[\\\t\r\n]", location) or location[:1] <= " ":
        return False
    return not location.startswith("//") and re.match(r"[a-zA-Z][a-zA-Z0-9+.-]*:",
                                                       location) is None


RAW_ADDRESSES = [b"/evidence/id_/http://a.example/", b"/evidence/2024im_/http://a.example/x",
                 b"/evidence/20240501120000oe_/http://a.example/?q=1",
                 b"//evidence/id_/http://a.example/", b"/evidence/$br:x/http://a.example/"]
_QUERY = re.compile(r"^(?:([\w\-:]+)/)?(\d*)[*-](\d*)/?(.+)$")  # pywb's WbUrl, 2.10
_REPLAY = re.compile(r"^(\d*)([a-z]+_|[$][a-z0-9:.-]+)?/{1,3}(.+)$")


@st.composite
def _escaped(draw: st.DrawFn, address: bytes) -> bytes:
    """`address` with some of its characters percent-escaped, as a hostile page may write it."""
    text = address.decode("latin-1")
    chosen = draw(st.sets(st.integers(0, max(0, len(text) - 1)), max_size=4))
    return "".join(f"%{ord(c):02X}" if i in chosen and ord(c) < 256 else c
                   for i, c in enumerate(text)).encode("latin-1")


addresses = st.one_of(mutated(RAW_ADDRESSES), st.sampled_from(RAW_ADDRESSES).flatmap(_escaped))


def _pywb_mode(target: str) -> str | None:
    """The mode pywb 2.10 serves `target` in, or None when it serves no capture there."""
    path, _, query = target.partition("?")
    path_info = "/" + re.sub("/+", "/", unquote(path, encoding="latin-1").lstrip("/"))
    parts = path_info.split("/", 2)
    if len(parts) < 3 or parts[1] != "evidence" or not parts[2]:
        return None
    address = (target[len("/evidence/"):] if target.startswith("/evidence/")
               else parts[2] + ("?" + query if query else ""))
    if _QUERY.match(address):
        return None  # a query page, made by pywb
    matched = _REPLAY.match(address)
    return (matched.group(2) or "") if matched else ""


@given(addresses)
def test_no_spelling_of_a_raw_address_gets_a_rewritten_pages_policy(raw: bytes) -> None:
    target = raw.decode("latin-1")
    if not target.startswith("/") or re.search(r"[\x00-\x20\x7f#]", target):
        return  # not a request target an HTTP server takes
    environ = {"REQUEST_URI": target, "HTTP_HOST": HOST, "HTTP_SEC_FETCH_DEST": "document",
               "PATH_INFO": unquote(target.partition("?")[0], encoding="latin-1")}
    guarded = dict(guard_headers([("Content-Type", "text/html"), ("Memento-Datetime", "x")],
                                 request_of(environ, "evidence")))
    mode = _pywb_mode(target)
    if mode is not None and mode not in REWRITTEN_MODES:
        assert guarded["Content-Security-Policy"] == RAW_POLICY, (target, mode)
        assert guarded["Content-Type"] == "text/plain"
