"""data/report.html and data/report.md: the chain of a story package, for an editor or a lawyer.

One self-contained file each (inline styles, no scripts, no fetches), readable on screen and in
print. The report cannot carry the SHA-256 of manifest.json: manifest.json lists the report's
own digest, so each would have to contain the other's. It gives the WARCs' digests and the
package id, and the commands that check everything else.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from archiver import __version__
from archiver.package.bag import FileDigest
from archiver.terminal import human_size
from archiver.timestamps import utc_iso

OUTCOME_WORDS = {"captured": "captured", "redirected": "captured after a redirect",
                 "gone": "gone (404/410)", "error": "error status", "failed": "not captured"}


def _environment() -> Environment:
    environment = Environment(loader=PackageLoader("archiver.story", "templates"),
                              # report.html.j2 is HTML: escape every value put into it.
                              autoescape=select_autoescape(["html", "html.j2"]),
                              undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                              keep_trailing_newline=True)
    environment.filters["when"] = readable_time
    environment.filters["short"] = lambda digest: (digest or "")[:12]
    environment.filters["size"] = human_size
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


def report_context(story: dict[str, Any], *, package_id: str, warcs: list[FileDigest],
                   output: Path) -> dict[str, Any]:
    """Everything the templates show, worked out once."""
    sources = story["sources"]
    counts = Counter(source["outcome"] for source in sources)
    warnings = [(source, warning) for source in sources for warning in source["warnings"]]
    return {
        "story": story, "sources": sources, "citations": story["citations"],
        "dropped": story["dropped"], "warnings": warnings, "package_id": package_id,
        "warcs": warcs, "package_name": output.name, "made": utc_iso(),
        "tool": f"archiver {__version__}", "outcome_words": OUTCOME_WORDS,
        "summary": ", ".join(f"{count} {OUTCOME_WORDS[name]}"
                             for name, count in sorted(counts.items())),
    }


def render_report(story: dict[str, Any], *, package_id: str, warcs: list[FileDigest],
                  output: Path) -> tuple[bytes, bytes]:
    """The report as HTML and as Markdown (UTF-8)."""
    context = report_context(story, package_id=package_id, warcs=warcs, output=output)
    environment = _environment()
    html = environment.get_template("report.html.j2").render(context)
    markdown = environment.get_template("report.md.j2").render(context)
    return html.encode("utf-8"), markdown.encode("utf-8")
