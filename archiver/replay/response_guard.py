"""What keeps a replayed page on the replay server: the last word on every response's headers.

Replay promises that nothing is fetched from the live web. pywb's rewriting keeps most of a
page inside the archive, but not all of it: the raw modes (`id_`, and any mode that is not a
rewritten page, such as `im_` or `oe_`) serve a captured page's bytes with no rewriting at all,
so its scripts, forms, refreshes and redirects reach the live site, and a rewritten page can
send itself or a frame there. This module wraps the replay server (a WSGI application) and,
for every response it sends, whatever pywb decided:

- sets one Content-Security-Policy that lets a page load, connect (fetch, XHR, WebSocket,
  EventSource, beacons), frame, start workers, post forms and set its base only on the replay
  origin (plus data:, blob: and inline or eval'd code, which replay itself needs);
- adds `sandbox` to that policy for every document that is not a page pywb rewrote (a raw
  page, an image or an XML file opened as a page): no script runs there, no form is sent, no
  refresh or pop-up happens, which CSP alone cannot stop. It fails closed: a page is taken for
  rewritten only on an address whose raw form and decoded form (what pywb routes on) read the
  same, in one of pywb's rewriting modes, whole, and asked for by the browser itself;
- refuses service workers: a worker answers the pages it controls with responses it makes
  itself, which carry none of these headers;
- keeps a redirect on the replay server (an archived `Location` to another site becomes that
  site's replay address), drops `Link` entries a browser would act on (preconnect, preload),
  and renames every other header it does not know (`Refresh`, `Reporting-Endpoints`...) to
  `X-Archive-Orig-<name>`, as pywb does for the archived headers it knows.

What CSP cannot stop is a top-level navigation started by a rewritten page's script that gets
past pywb's rewriting, or by a person following a link in a raw page: see the README.

It runs inside pywb's own Python as well as archiver's (pywb_child.py loads it from beside
itself), so it uses the standard library only and the syntax of Python 3.9, pywb's oldest.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

Headers = list[tuple[str, str]]
StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

REPLAY_POLICY = ("default-src 'self' 'unsafe-inline' 'unsafe-eval' data: blob: mediastream:; "
                 "form-action 'self'; base-uri 'self'; webrtc 'block'")
"""Everything from the replay origin only. default-src is the fallback of every fetch
directive (connect-src, frame-src, worker-src, img-src...); 'self' also covers a WebSocket to
the replay server itself, never to another host. data:, blob: and inline or eval'd code stay
allowed: captured pages and pywb's own scripts use them, and they reach no server."""
RAW_POLICY = REPLAY_POLICY + "; sandbox"
"""For a document served as it was archived: no scripts, forms, pop-ups, refreshes or
plugins, and an origin of its own."""
ARCHIVED_PREFIX = "X-Archive-Orig-"
REWRITTEN_MODES = frozenset({"", "mp_", "if_", "fr_"})
"""pywb's modes that serve a page rewritten to stay in the archive ("" is the framed view)."""
PAGE_TYPES = ("text/html", "application/xhtml+xml")
MARKUP_TYPES = frozenset({"text/html", "application/xhtml+xml", "text/xml", "application/xml",
                          "text/xsl", "application/xslt+xml"})
NAVIGATIONS = frozenset({"document", "iframe", "frame", "embed", "object"})
"""Sec-Fetch-Dest values of a response the browser will show as a document."""
UNSANDBOXED_TYPES = ("application/pdf",)
"""Shown by the browser's own viewer, which runs none of the document's code against the web
and refuses to show anything in a sandbox."""
KEPT_HEADERS = frozenset({
    "accept-ranges", "allow", "cache-control", "content-disposition", "content-encoding",
    "content-language", "content-length", "content-location", "content-range", "content-type",
    "date", "etag", "expires", "last-modified", "memento-datetime", "pragma",
    "preference-applied", "proxy-authenticate", "set-cookie", "vary", "www-authenticate",
})
"""Headers that name no other server a browser would contact; pywb has already renamed the
archived ones it does not pass on (an archived Date or ETag arrives as X-Archive-Orig-...)."""
MEMENTO_RELATIONS = frozenset({"original", "memento", "timegate", "timemap", "first", "last",
                               "prev", "next"})
"""Link relations of the Memento protocol (RFC 7089): information, never fetched by a browser."""
SCRIPT_REQUEST_HEADERS = ("HTTP_X_REQUESTED_WITH", "HTTP_X_PYWB_REQUESTED_WITH")
"""Request headers with which pywb serves a page without its rewriting script (to a page's
own XMLHttpRequest); a browser never sends them on a navigation, a service worker could."""
WORKER_REFUSAL = (b"archiver replay does not run service workers: a worker could answer the "
                  b"pages it controls with pages of its own making, outside the replay's "
                  b"policy.\n")
_MODE = re.compile(r"^(\d*)([a-z]+_|\$[a-z0-9:.-]+)?$")
_SLASHES = re.compile(r"/{2,}")
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")
_URL_IGNORED = re.compile(r"[\t\n\r]")
_C0_AND_SPACE = "".join(chr(c) for c in range(0x21))
_LINK_VALUE = re.compile(r'\s*<[^>]*>(?:\s*;\s*[^;,="\s]+\s*(?:=\s*(?:"[^"]*"|[^;,"\s]*))?)*'
                         r'\s*(?:,|$)')
MAX_LINK_CHARS = 16 * 1024
"""pywb's Memento links take a few hundred characters; a longer Link header is dropped whole."""
_REL = re.compile(r';\s*rel\s*=\s*(?:"([^"]*)"|([^;,"\s]*))', re.IGNORECASE)


class Route(NamedTuple):
    """Where a request sits in the replay's address space: /COLLECTION/<timestamp><mode>/URL."""

    is_replay: bool
    """True for an address under the collection, which may serve archived bytes."""
    timestamp: str = ""
    mode: str = ""
    is_certain: bool = True
    """False when the address as sent and the path pywb routes on read differently: what pywb
    serves there is not known, so it is taken for raw."""

    @property
    def is_rewriting(self) -> bool:
        """Whether pywb rewrites the page it serves here to stay in the archive."""
        return self.is_certain and (not self.is_replay or self.mode in REWRITTEN_MODES)


UNCERTAIN = Route(True, is_certain=False)


def route_of(path: str, collection: str) -> Route:
    """The route of a request path.

    >>> route_of("/evidence/20240501120000id_/http://a.example/", "evidence")[:3]
    (True, '20240501120000', 'id_')
    >>> route_of("/evidence/http://a.example/", "evidence")[:3]
    (True, '', '')
    >>> route_of("/static/wombat.js", "evidence").is_replay
    False
    """
    prefix = f"/{collection}/"
    if not path.startswith(prefix):
        return Route(False)
    first = path[len(prefix):].split("/", 1)[0]
    matched = _MODE.match(first)
    if matched is None:  # the archived URL itself, or a query (*): no mode
        return Route(True)
    return Route(True, matched.group(1), matched.group(2) or "")


def route_of_request(target: str, path_info: str, collection: str) -> Route:
    """The route of a request, as pywb serves it: pywb finds the collection in the decoded
    path (PATH_INFO, with its runs of slashes merged, as werkzeug routes), and reads the mode
    from the address as sent when that starts with the collection, else from the decoded path.
    When the two readings differ (an escaped letter, a doubled or escaped slash), which one pywb
    serves is not certain: UNCERTAIN.

    >>> route_of_request("/evidence/2024id_/http://a.example/%7E",
    ...                  "/evidence/2024id_/http://a.example/~", "evidence")
    Route(is_replay=True, timestamp='2024', mode='id_', is_certain=True)
    >>> route_of_request("/%65vidence/id_/http://a.example/", "/evidence/id_/http://a.example/",
    ...                  "evidence") == UNCERTAIN
    True
    """
    as_sent = route_of(target.split("?", 1)[0], collection)
    as_routed = route_of("/" + _SLASHES.sub("/", path_info.lstrip("/")), collection)
    return as_sent if as_sent == as_routed else UNCERTAIN


def policy_for(route: Route, content_type: str | None, *, is_memento: bool = False,
               is_whole: bool = True) -> str:
    """The Content-Security-Policy of a response: sandboxed unless it is a PDF or a page that
    pywb rewrote (or made: its index, its frame). A memento (an archived response: pywb gives
    it a Memento-Datetime) is a rewritten page only on a replay address in a rewriting mode,
    and only whole: pywb serves a byte range as it was archived.

    >>> policy_for(Route(True, "2024", "mp_"), "text/html; charset=utf-8") == REPLAY_POLICY
    True
    >>> policy_for(Route(True, "2024", "id_"), "text/html") == RAW_POLICY
    True
    >>> policy_for(Route(True, "", "mp_"), "image/svg+xml") == RAW_POLICY
    True
    >>> policy_for(Route(False), "text/html", is_memento=True) == RAW_POLICY
    True
    """
    mime = (content_type or "").split(";", 1)[0].strip().lower()
    if mime in UNSANDBOXED_TYPES:
        return REPLAY_POLICY
    if mime not in PAGE_TYPES or not route.is_rewriting or not is_whole:
        return RAW_POLICY
    return REPLAY_POLICY if route.is_replay or not is_memento else RAW_POLICY


class Request(NamedTuple):
    """What the guard needs to know of the request a response answers."""

    route: Route
    collection: str
    host: str
    """The Host header: the replay server as the browser addresses it."""
    destination: str = ""
    """Sec-Fetch-Dest, what the browser will do with the response ("" when not sent)."""
    is_script_request: bool = False
    """Sent with a header that makes pywb leave its rewriting script out of a page."""
    is_service_worker: bool = False
    """The browser asks for a service worker's script."""

    @property
    def is_navigation(self) -> bool:
        return self.destination in NAVIGATIONS


def request_of(environ: dict[str, Any], collection: str) -> Request:
    """What the guard needs of a request, read before pywb changes the environment (it moves
    the collection from PATH_INFO to SCRIPT_NAME).

    >>> request_of({"REQUEST_URI": "//evidence/id_/http://a.example/", "PATH_INFO":
    ...             "//evidence/id_/http://a.example/", "HTTP_HOST": "r"}, "evidence").route
    Route(is_replay=True, timestamp='', mode='', is_certain=False)
    """
    path = str(environ.get("PATH_INFO") or "/")
    destination = str(environ.get("HTTP_SEC_FETCH_DEST") or "").lower()
    return Request(
        route_of_request(str(environ.get("REQUEST_URI") or path), path, collection),
        collection, host=str(environ.get("HTTP_HOST") or ""), destination=destination,
        is_script_request=any(environ.get(name) for name in SCRIPT_REQUEST_HEADERS),
        is_service_worker=(destination == "serviceworker"
                           or str(environ.get("HTTP_SERVICE_WORKER") or "").lower() == "script"))


def guard_headers(headers: Headers, request: Request, status: int = 200) -> Headers:
    """The headers a browser may act on, with the replay's policy; the rest renamed."""
    kept: Headers = []
    for name, value in headers:
        lower = name.lower()
        if lower in ("content-security-policy", "x-dns-prefetch-control",
                     "x-content-type-options"):
            continue  # ours replace them
        if lower == "location":
            location = replay_location(value, request)
            if location is not None:
                kept.append((name, location))
        elif lower == "link":
            links = memento_links(value)
            if links:
                kept.append((name, links))
        elif lower in KEPT_HEADERS or lower.startswith("x-archive-"):
            kept.append((name, value))
        else:
            kept.append((ARCHIVED_PREFIX + name, value))
    content_type = next((v for n, v in kept if n.lower() == "content-type"), None)
    route = UNCERTAIN if request.is_script_request else request.route
    policy = policy_for(route, content_type, is_whole=status != 206,
                        is_memento=any(n.lower() == "memento-datetime" for n, _ in headers))
    if policy == RAW_POLICY and request.is_navigation and is_markup(content_type):
        kept = _as_text(kept, content_type or "")
    kept.append(("Content-Security-Policy", policy))
    kept.append(("X-DNS-Prefetch-Control", "off"))
    return kept


def is_markup(content_type: str | None) -> bool:
    """Whether a browser would read a document of this type as markup, with links it may act
    on before any script runs (preconnect, prefetch): HTML, XML, SVG, or no valid type (a
    browser then sniffs).

    >>> [is_markup(t) for t in ("text/html; charset=utf-8", "image/svg+xml", "", "image/png")]
    [True, True, True, False]
    """
    mime = (content_type or "").split(";", 1)[0].strip().lower()
    return "/" not in mime or mime in MARKUP_TYPES or mime.endswith("+xml")


def _as_text(headers: Headers, content_type: str) -> Headers:
    """Headers that show a raw document's markup as text: the preload scanner of a browser
    opens connections for `<link rel=preconnect>` and `dns-prefetch` even in a sandbox and
    whatever the policy says, but never in text."""
    charset = re.search(r";\s*charset=[^;]+", content_type, re.IGNORECASE)
    shown = "text/plain" + (charset.group(0) if charset else "")
    renamed = [(ARCHIVED_PREFIX + n if n.lower() == "content-type" else n, v) for n, v in headers]
    return [*renamed, ("Content-Type", shown), ("X-Content-Type-Options", "nosniff")]


def replay_location(value: str, request: Request) -> str | None:
    """A redirect's target on the replay server: its own paths stay, another site's URL
    becomes that URL's replay address (found or "Not archived" there), anything else goes.

    >>> raw = Request(Route(True, "2024", "id_"), "evidence", "127.0.0.1:8080")
    >>> replay_location("http://a.example/next", raw)
    '/evidence/2024id_/http://a.example/next'
    >>> replay_location("http://127.0.0.1:8080/evidence/2024/http://a.example/", raw)
    'http://127.0.0.1:8080/evidence/2024/http://a.example/'
    >>> replay_location("/\\\\a.example/", raw)
    '/evidence/2024id_/http://a.example/'
    >>> print(replay_location("javascript:alert(1)", raw))
    None
    """
    # read as a browser would: tabs and newlines dropped, a backslash as a slash
    target = _URL_IGNORED.sub("", value).strip(_C0_AND_SPACE).replace("\\", "/")
    if target.startswith("//"):
        target = "http:" + target
    scheme = _SCHEME.match(target)
    if scheme is None:
        return target  # a path on this server
    if scheme.group(1).lower() not in ("http", "https"):
        return None
    own = (f"http://{request.host}/".lower(), f"https://{request.host}/".lower())
    if request.host and target.lower().startswith(own):
        return target  # pywb's own redirect, to another replay address
    route = request.route
    selector = f"{route.timestamp}{route.mode}/" if route.timestamp or route.mode else ""
    return f"/{request.collection}/{selector}{target}"


def memento_links(value: str) -> str:
    """The entries of a Link header whose relations are all Memento's; "" when none is.

    >>> memento_links('<http://a.example/>; rel="original", <http://a.example/>; '
    ...               'rel=preconnect')
    '<http://a.example/>; rel="original"'
    """
    if len(value) > MAX_LINK_CHARS:
        return ""
    kept = []
    position = 0
    while position < len(value):
        matched = _LINK_VALUE.match(value, position)
        if matched is None or matched.end() == position:
            return ""  # not a Link header we can read: keep nothing of it
        entry = matched.group(0).strip().rstrip(",").strip()
        position = matched.end()
        if _is_memento_only(entry):
            kept.append(entry)
    return ", ".join(kept)


def _is_memento_only(entry: str) -> bool:
    relations: list[str] = []
    for found in _REL.finditer(entry):
        relations += (found.group(1) if found.group(1) is not None else found.group(2)).split()
    return bool(relations) and all(r.lower() in MEMENTO_RELATIONS for r in relations)


def guarded(app: WsgiApp, collection: str) -> WsgiApp:
    """`app` with every response's headers passed through `guard_headers`."""

    def guarded_app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        request = request_of(environ, collection)
        if request.is_service_worker:
            start_response("403 Forbidden", guard_headers(
                [("Content-Type", "text/plain; charset=utf-8"),
                 ("Content-Length", str(len(WORKER_REFUSAL)))], request, 403))
            return [WORKER_REFUSAL]

        def start(status: str, headers: Headers, *exc_info: Any) -> Any:
            return start_response(status, guard_headers(headers, request, _code(status)),
                                  *exc_info)

        return app(environ, start)

    return guarded_app


def _code(status: str) -> int:
    """The code of a WSGI status line ("206 Partial Content"); 0 if it has none."""
    code = status.split(" ", 1)[0]
    return int(code) if code.isdigit() else 0
