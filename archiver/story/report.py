"""data/report.html and data/report.md: the chain of a story package, for an editor or a lawyer.

One self-contained file each (inline styles, no scripts, no fetches), readable on screen and in
print. The report cannot carry the SHA-256 of manifest.json: manifest.json lists the report's
own digest, so each would have to contain the other's. It gives the WARCs' digests and the
package id, and the commands that check everything else.

One numbering runs through the report, as through manifest.json: the citations', in the order
the story makes them (a citation's `order`). A source is named by the citations that point at
it (its `cited`), never by a number of its own.
"""

from __future__ import annotations

import re
import shlex
from collections import Counter
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from archiver import __version__
from archiver.package.bag import FileDigest
from archiver.replay_address import REPLAY_PORT
from archiver.replay_address import replay_address as address_of_capture
from archiver.story.provenance_view import provenance_view
from archiver.terminal import human_size
from archiver.timestamps import utc_iso

OUTCOME_WORDS = {"captured": "captured", "redirected": "captured after a redirect",
                 "gone": "gone", "error": "error", "failed": "not captured"}
"""One word or two for each outcome; the report adds the status code after it."""
SUMMARY_WORDS = {**OUTCOME_WORDS, "gone": "gone (404 or 410)",
                 "error": "answered with an error"}
NOT_THE_CONTENT = frozenset({"gone", "error", "failed"})
"""Outcomes whose capture (if any) is an error page, not the source the story cites."""

SHORT_DIGEST = 12


def _environment() -> Environment:
    environment = Environment(loader=PackageLoader("archiver.story", "templates"),
                              # report.html.j2 is HTML: escape every value put into it.
                              autoescape=select_autoescape(["html", "html.j2"]),
                              undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                              keep_trailing_newline=True)
    environment.filters["when"] = readable_time
    environment.filters["short"] = short_digest
    environment.filters["size"] = human_size
    environment.filters["md"] = markdown_text
    environment.filters["md_quote"] = markdown_quote
    environment.filters["shell"] = shlex.quote
    environment.filters["percent"] = lambda share: f"{float(share):.0%}"
    # A "|" in a URL would end a Markdown table cell; GFM reads "\|" as "|" even in a link.
    environment.filters["cell"] = lambda url: str(url).replace("|", "\\|")
    return environment


def readable_time(stamp: str | None) -> str:
    """An ISO 8601 UTC time as a person reads it.

    >>> readable_time("2026-11-26T16:30:49.219880Z")
    '2026-11-26 16:30:49 UTC'
    """
    if not stamp:
        return "-"
    date, _, time = stamp.partition("T")
    return f"{date} {time[:8]} UTC" if time else date


def short_digest(digest: str | None) -> str:
    """The first hex digits of a digest, enough to tell it apart: tables show this, and the
    full value sits beside it (a title attribute) and in the source's details.

    >>> short_digest("f9613b9588295a84229720f1d55baa8c794d66089166f7adb7bd77bdf7d676a4")
    'f9613b958829…'
    """
    return f"{digest[:SHORT_DIGEST]}…" if digest else "-"


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|])")
_LINE_MARKER = re.compile(r"^(\s*)([#+=-]|\d+[.)])")


def markdown_text(value: object) -> str:
    """Text from a page or a server (a title, a sentence), as Markdown that shows it as
    written on one line: markup characters escaped, line breaks made spaces.

    >>> markdown_text("A | B <b>*x*</b>\\nnext")
    'A \\\\| B \\\\<b\\\\>\\\\*x\\\\*\\\\</b\\\\> next'
    """
    text = " ".join(str(value).split())
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def markdown_quote(lines: str) -> str:
    """A source's first lines as a Markdown block quote, one line each (a hard break,
    `\\` at the end, keeps them apart when rendered).

    >>> print(markdown_quote("# Not a heading\\n1. nor a list"))
    > \\# Not a heading\\
    > 1\\. nor a list
    """
    quoted = [_LINE_MARKER.sub(_escape_marker, markdown_text(line))
              for line in lines.splitlines() if line.strip()]
    return "\\\n".join(f"> {line}" for line in quoted)


def _escape_marker(match: re.Match[str]) -> str:
    marker = match.group(2)
    escaped = f"{marker[:-1]}\\{marker[-1]}" if marker[0].isdigit() else f"\\{marker}"
    return match.group(1) + escaped


def replay_address(url: str | None, captured_at: str | None, status: int | None) -> str | None:
    """Where `archiver replay PACKAGE --port REPLAY_PORT` shows the capture of `url`: the
    address its own index links to."""
    return address_of_capture(url, captured_at, status, REPLAY_PORT)


def source_heading(source: dict[str, Any], citations: list[dict[str, Any]]
                   ) -> tuple[str | None, bool]:
    """What a source is called, and whether that is the story's words for it.

    Its page title; but when what was captured is an error page (or nothing), the story's
    words for it, the anchor text of its first citation, since an error page's title
    ("Page not found") names the error, not the source."""
    if source["outcome"] in NOT_THE_CONTENT:
        cited = set(source["cited"])
        anchor = next((c["text"] for c in sorted(citations, key=lambda c: c["order"])
                       if c["order"] in cited and c["text"].strip()), None)
        if anchor:
            return " ".join(anchor.split()), True
    title = source["title"]
    return (" ".join(title.split()) if title else None), False


def source_view(source: dict[str, Any], citations: list[dict[str, Any]]) -> dict[str, Any]:
    """What the templates show of one source, beside its manifest.json entry.

    label: the citations that point at it ("1, 7"); heading: what it is called (see
    source_heading; the story's words in quotes), else its URL; quoted: the same for a
    citation line; page_title: the captured page's own title when the heading is not it;
    replay: the address of its archived copy."""
    cited = sorted(source["cited"])
    name, from_anchor = source_heading(source, citations)
    heading = f"“{name}”" if name and from_anchor else name
    replay = (replay_address(source["final_url"] or source["url"], source["captured_at"],
                             source["status"]) if source["record"] else None)
    return {"source": source, "label": ", ".join(map(str, cited)),
            "id": f"source-{cited[0]}" if cited else "source",
            "heading": heading or source["url"], "titled": bool(name),
            "quoted": f"“{name}”" if name else None,
            "page_title": source["title"] if from_anchor else None, "replay": replay,
            "status_words": outcome_with_status(source)}


def outcome_with_status(source: dict[str, Any]) -> str:
    """The outcome as the report says it: "gone (404)", "captured (200)", "not captured".

    A failed source's status, if any, is its last redirect's (a loop): the reason says more.

    >>> outcome_with_status({"outcome": "gone", "status": 404})
    'gone (404)'
    >>> outcome_with_status({"outcome": "failed", "status": 302})
    'not captured'
    """
    words = OUTCOME_WORDS[source["outcome"]]
    if source["status"] and source["outcome"] != "failed":
        return f"{words} ({source['status']})"
    return words


def report_context(story: dict[str, Any], *, package_id: str, warcs: list[FileDigest],
                   output: Path, provenance: dict[str, Any] | None = None) -> dict[str, Any]:
    """Everything the templates show, worked out once."""
    sources = story["sources"]
    citations = story["citations"]
    views = [source_view(source, citations) for source in sources]
    counts = Counter(source["outcome"] for source in sources)
    warnings = [(view, warning) for view in views for warning in view["source"]["warnings"]]
    # A story that answered an error status ends the run, so a story with a record was
    # captured: replay indexes it as any page.
    story_replay = (replay_address(story["url"], story["captured_at"], 200)
                    if story["kind"] == "url" and story["record"] else None)
    return {
        "story": story, "views": views, "citations": citations,
        "quotes": story.get("quotes") or [],
        "dropped": story["dropped"], "warnings": warnings, "package_id": package_id,
        "warcs": warcs, "package_name": output.name, "made": utc_iso(),
        "tool": f"archiver {__version__}", "story_replay": story_replay,
        "replay_port": REPLAY_PORT,
        "provenance": provenance_view(provenance, output.name),
        "summary": ", ".join(f"{count} {SUMMARY_WORDS[name]}"
                             for name, count in sorted(counts.items())),
    }


def render_report(story: dict[str, Any], *, package_id: str, warcs: list[FileDigest],
                  output: Path, provenance: dict[str, Any] | None = None
                  ) -> tuple[bytes, bytes]:
    """The report as HTML and as Markdown (UTF-8); `provenance` is manifest.json's section."""
    context = report_context(story, package_id=package_id, warcs=warcs, output=output,
                             provenance=provenance)
    environment = _environment()
    html = environment.get_template("report.html.j2").render(context)
    markdown = environment.get_template("report.md.j2").render(context)
    return html.encode("utf-8"), markdown.encode("utf-8")
