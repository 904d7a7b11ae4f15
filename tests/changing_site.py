"""A test site whose sources change between a capture and a recheck: a real threaded HTTP
server on 127.0.0.1 serving one set of answers, then (after `site.change()`) another.

    with ChangingSite() as site:
        site.url("/edited.html")   # capture these...
        site.change()              # ...then recheck them

Then and now, by path:
    /same.html        the same bytes
    /markup.html      the same text in other markup (classes, a script, an ad slot, comments)
    /edited.html      a figure edited, a paragraph removed, one added, a new title
    /report.pdf       a three-page PDF; now page 2 says something else
    /moved.html       now a 301 to /new-home/moved.html (which serves the page)
    /deleted-404.html, /deleted-410.html   now 404, 410
    /paywalled.html   now a teaser: two sentences, a paywall div, "Subscribe to continue reading"
    /login-walled.html   now a 302 to /account/login?next=... (a login form, 200)
    /forbidden.html   now 403
    /always-403.html  403 then and now (another error page)
    /came-back.html   404 then, the page now
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from tests.conftest import load_script

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
Answer = tuple[int, list[tuple[str, str]], bytes]

PARAGRAPHS = [
    "The city installed 11,240 SmartFlow meters between June and December 2024, replacing "
    "mechanical meters that had been in service for more than twenty years.",
    "Within three months, residents of the Harrow Point district began to report bills that "
    "were two or three times higher than in the same months of the previous year.",
    "The Water Department said at first that the new meters were simply more accurate than "
    "the old ones, which had been under-reading for years as their parts wore out.",
    "An audit published in February found that 612 of the meters it examined had recorded "
    "consumption during hours when the homes were empty and the main valve was closed.",
    "The auditor recommended that the department suspend estimated bills, refund the "
    "difference with interest, and test a sample of meters in an independent laboratory.",
]
EDITED = [PARAGRAPHS[0].replace("11,240", "9,800"), PARAGRAPHS[1], PARAGRAPHS[2],
          PARAGRAPHS[4],
          "A spokesperson for the mayor said on Tuesday that refunds would begin next month "
          "for every household whose bill rose by more than half. "
          "&lt;img src=x onerror=alert(1)&gt;"]
TEASER = ["The city installed 11,240 SmartFlow meters between June and December 2024.",
          "Subscribe to continue reading. Already a subscriber? Sign in."]


def page(title: str, paragraphs: list[str], *, attributes: str = "", extra: str = "",
         head: str = "") -> bytes:
    body = "".join(f"<p>{text}</p>\n" for text in paragraphs)
    return (f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{title}</title>"
            f"<meta name=author content='Ana Reporter'>{head}</head><body>"
            f"<header><nav><a href=/>Home</a></nav></header>"
            f"<article{attributes}><h1>{title}</h1>\n{body}</article>{extra}"
            f"<footer>City Ledger</footer></body></html>").encode()


def pdf(pages: list[str]) -> bytes:
    make = load_script(FIXTURES / "make_fixtures.py")
    return bytes(make.pdf_bytes([[("h1", f"Audit, part {n + 1}"), ("p", text)]
                                 for n, text in enumerate(pages)],
                                {"Title": "SmartFlow audit", "Author": "Office of the Auditor"}))


HTML = [("Content-Type", "text/html; charset=utf-8")]
PDF_PAGES = ["Meters examined: 612 of 11,240.", "Readings while homes were empty: 612.",
             "Recommendation: refunds with interest."]


def _then() -> dict[str, Answer]:
    article = page("Meters under review", PARAGRAPHS)
    return {
        "/same.html": (200, HTML, article),
        "/markup.html": (200, HTML, article),
        "/edited.html": (200, HTML, article),
        "/report.pdf": (200, [("Content-Type", "application/pdf")], pdf(PDF_PAGES)),
        "/moved.html": (200, HTML, article),
        "/deleted-404.html": (200, HTML, article),
        "/deleted-410.html": (200, HTML, article),
        "/paywalled.html": (200, HTML, article),
        "/login-walled.html": (200, HTML, article),
        "/forbidden.html": (200, HTML, article),
        "/always-403.html": (403, HTML, page("Forbidden", ["Access denied, at 10:00."])),
        "/came-back.html": (404, HTML, page("Not found", ["No such page."])),
    }


def _now() -> dict[str, Answer]:
    article = page("Meters under review", PARAGRAPHS)
    restyled = page("Meters under review", PARAGRAPHS, attributes=" class='story v2'",
                    head="<style>p{margin:0}</style><script>var slot='ad-7';</script>",
                    extra="<!-- ad slot --><div class='ad-slot' data-x='1'></div>")
    gone = page("Not found", ["This page does not exist."])
    pages = [PDF_PAGES[0], "Readings while homes were empty: none confirmed.", PDF_PAGES[2]]
    return {
        "/same.html": (200, HTML, article),
        "/markup.html": (200, HTML, restyled),
        "/edited.html": (200, HTML, page("Meters under review: refunds promised", EDITED)),
        "/report.pdf": (200, [("Content-Type", "application/pdf")], pdf(pages)),
        "/moved.html": (301, [("Location", "/new-home/moved.html")], b""),
        "/new-home/moved.html": (200, HTML, article),
        "/deleted-404.html": (404, HTML, gone),
        "/deleted-410.html": (410, HTML, gone),
        "/paywalled.html": (200, HTML, page("Meters under review", TEASER,
                                            extra="<div class='paywall'>Subscribe</div>")),
        "/login-walled.html": (302, [("Location", "/account/login?next=/login-walled.html")],
                               b""),
        "/account/login": (200, HTML, page("Sign in", ["Sign in to your account."])),
        "/forbidden.html": (403, HTML, page("Forbidden", ["Access denied."])),
        "/always-403.html": (403, HTML, page("Forbidden", ["Access denied, at 11:00."])),
        "/came-back.html": (200, HTML, article),
    }


class ChangingSite:
    """The server: `then` answers until `change()`, `now` after it; anything else is 404."""

    def __init__(self) -> None:
        self.answers = _then()
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                status, headers, body = site.answers.get(
                    path, (404, HTML, page("Not found", ["No such page."])))
                self.send_response(status)
                for name, value in headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def change(self) -> None:
        self.answers = _now()

    def stop(self) -> None:
        """Stop answering: a connection to its port is refused from now on."""
        if not self.thread.is_alive():
            return
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> ChangingSite:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextmanager
def changing_site() -> Iterator[ChangingSite]:
    with ChangingSite() as site:
        yield site
