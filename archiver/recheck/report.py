"""data/recheck.html and data/recheck.md: each source's verdict, and a side-by-side view of
each changed source with its removed and added passages highlighted. Each changed source's
section is rendered as soon as it is compared (and spooled by the caller), so the report of
a big package is never held whole.

Self-contained files (inline styles, no scripts, no fetches; the HTML's Content-Security-
Policy forbids any), every value from outside escaped: the HTML by Jinja's autoescape, the
Markdown by the story report's escaping.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from archiver import __version__
from archiver.recheck.verdicts import VERDICTS
from archiver.story.report import markdown_text
from archiver.terminal import table

if TYPE_CHECKING:
    from archiver.recheck.run import DirectoryEntry, RecheckResult


@cache
def _environment() -> Environment:
    environment = Environment(loader=PackageLoader("archiver.recheck", "templates"),
                              autoescape=select_autoescape(["html", "html.j2"]),
                              undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                              keep_trailing_newline=True)
    environment.filters["md"] = markdown_text
    return environment


def summary_line(summary: dict[str, Any]) -> str:
    """The counts in words: "5 sources: 2 unchanged, 1 changed, 1 moved, 1 gone".

    >>> summary_line({"sources": 2, "unchanged": 2, "changed": 0, "problems": 0})
    '2 sources: 2 unchanged'
    """
    counts = [f"{summary[verdict]} {verdict}" for verdict in VERDICTS if summary.get(verdict)]
    total = summary["sources"]
    return f"{total} source{'s' if total != 1 else ''}: {', '.join(counts) or 'none'}"


def _context(head: dict[str, Any]) -> dict[str, Any]:
    return {**head, "tool": f"archiver {__version__}",
            "summary_line": summary_line(head["summary"])}


def _render(template: str, context: dict[str, Any]) -> str:
    return _environment().get_template(template).render(context)


def source_html(source: dict[str, Any], index: int) -> str:
    """The side-by-side section of changed source `index` (from 1) of data/recheck.html."""
    return _render("recheck_source.html.j2", {"c": source, "index": index})


def source_markdown(source: dict[str, Any]) -> str:
    return _render("recheck_source.md.j2", {"c": source})


def html_head(head: dict[str, Any]) -> str:
    """data/recheck.html up to the sections of the changed sources: `head` is the
    comparison with its sources' verdicts (RecheckResult.to_dict(with_text=False))."""
    return _render("recheck_head.html.j2", _context(head))


def html_tail(head: dict[str, Any]) -> str:
    return _render("recheck_tail.html.j2", _context(head))


def markdown_head(head: dict[str, Any]) -> str:
    return _render("recheck_head.md.j2", _context(head))


def render_recheck(result: RecheckResult) -> str:
    """What `archiver recheck PKG` prints: one line per source, the counts, the report."""
    rows = [[c.verdict + (f" ({c.basis})" if c.basis else "")
             + ("" if c.counted or c.verdict == "unchanged" else ", not counted"),
             c.url, c.reason] for c in result.comparisons]
    lines = [f"{result.path}: recheck of {result.original.path.name} "
             f"({result.original.package_id}), sealed as {result.package_id}",
             table(rows, ["verdict", "source", "why"]) if rows else "no sources",
             summary_line(result.summary()) + (f"; {len(result.problems)} counted as a "
                                               "problem" if result.problems else ""),
             f"Side by side: {result.path / 'data' / 'recheck.html'}"]
    return "\n".join(lines)


def render_directory(entries: list[DirectoryEntry]) -> str:
    """The one summary table of `archiver recheck DIR`."""
    rows = []
    for entry in entries:
        if entry.result is None:
            rows.append([entry.package.name, "-", "-", "-", "-", "-", "-", "-",
                         f"not rechecked: {entry.error}"])
            continue
        summary = entry.result.summary()
        rows.append([entry.package.name, str(summary["sources"]),
                     *(str(summary[verdict]) for verdict in VERDICTS),
                     "problems found" if summary["problems"] else "ok"])
    return table(rows, ["package", "sources", *VERDICTS, "result"])
