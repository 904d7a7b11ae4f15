"""Fuzz capture's search for requisites: damaged pages and stylesheets from fixtures/, fed to
the sinks the transport feeds, in pieces as they come off the wire, plain or gzipped.

The property: the sink takes every piece and closes, within its bounds, with a list of URLs
and at most a plain problem note; no error escapes into the exchange, and none is unexpected
(the tests fail on a logged one: see tests/conftest.py).
"""

from __future__ import annotations

import gzip
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from archiver.capture.requisites import RequisiteFinder
from tests.fuzz.mutations import mutated

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
PAGES = [path.read_bytes() for path in sorted((FIXTURES / "site").rglob("*.html"))
         + sorted((FIXTURES / "documents" / "html").glob("*.html"))]
STYLESHEETS = [path.read_bytes() for path in sorted((FIXTURES / "site").rglob("*.css"))]
DEEP = [b"a{" * 5000 + b"b:url(x.png)", b"<div>" * 5000 + b"<img src=y.png>",
        b"@import f(" * 2000 + b"url(z.css)"]
"""Nesting deeper than Python's recursion limit, made here."""


@st.composite
def bodies(draw: st.DrawFn) -> tuple[str, str | None, list[bytes]]:
    kind = draw(st.sampled_from(["text/html", "text/css"]))
    seeds = (PAGES if kind == "text/html" else STYLESHEETS) + DEEP
    body = draw(mutated(seeds))
    encoding = draw(st.sampled_from([None, "gzip", "br-claimed"]))
    if encoding == "gzip":
        body = gzip.compress(body, mtime=0)
        if draw(st.booleans()):
            body = draw(mutated([body]))  # damaged inside the compressed stream
    cuts = sorted(set(draw(st.lists(st.integers(0, len(body)), max_size=4))))
    pieces = [body[start:end] for start, end in zip([0, *cuts], [*cuts, len(body)],
                                                    strict=True)]
    return kind, "br" if encoding == "br-claimed" else encoding, pieces


@given(bodies())
def test_a_damaged_body_costs_at_most_its_requisites(
        body: tuple[str, str | None, list[bytes]]) -> None:
    kind, encoding, pieces = body
    headers = [("Content-Type", kind)] + ([("Content-Encoding", encoding)] if encoding else [])
    finder = RequisiteFinder()
    sink = finder.sink_for("http://127.0.0.1/page", 200, headers)
    assert sink is not None
    for piece in pieces:
        sink.feed(piece)
    sink.close()
    assert all(isinstance(url, str) for url in finder.urls)
    assert finder.problem is None or isinstance(finder.problem, str)
