"""The pages archiver gives pywb to show: the index of a collection and "not archived".

pywb renders them as Jinja templates, so every piece of text from the archive (a title, a URL)
is HTML-escaped and has its braces turned into entities: a title such as `{{ config }}` shows
as written and never runs as template code.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from pathlib import Path

from archiver.replay.catalogue import Entry

STYLE = """body{font:15px/1.45 system-ui,sans-serif;margin:2em auto;max-width:72em;padding:0 1em}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.35em .6em;
border-bottom:1px solid #ddd;vertical-align:top}td.url{word-break:break-all;font-size:90%}
.note{color:#555;font-size:90%}"""

NOT_FOUND_TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Not archived</title>
<style>body{font:15px/1.45 system-ui,sans-serif;margin:2em auto;max-width:60em;padding:0 1em}
</style></head>
<body><h1>Not archived</h1>
<p><code style="word-break:break-all">{{ url|e }}</code> was not captured in this archive.</p>
<p>archiver replay shows only what was captured: it never fetches anything from the live web.
</p>
<p><a href="/">All captured pages and reports</a></p>
</body></html>
"""


def inert(text: str) -> str:
    """`text` as HTML that is also plain text to a Jinja template.

    >>> inert('<b>{{ x }}</b> & {% y %}')
    '&lt;b&gt;&#123;&#123; x &#125;&#125;&lt;/b&gt; &amp; &#123;% y %&#125;'
    """
    return html.escape(text, quote=True).replace("{", "&#123;").replace("}", "&#125;")


def replay_link(collection: str, entry: Entry) -> str | None:
    """The framed replay address of a captured entry, relative to the server's root.

    >>> replay_link("evidence", Entry("http://a/b?c=d", None, "2024-05-01T12:00:09Z", 200, None))
    '/evidence/20240501120009/http://a/b?c=d'
    """
    if entry.timestamp is None or entry.status is None:
        return None
    return f"/{collection}/{entry.timestamp}/{entry.url}"  # replay_address.replay_path's form


def render_index(entries: Iterable[Entry], *, collection: str, source: Path) -> str:
    rows = [_row(collection, entry) for entry in entries]
    body = "\n".join(rows) if rows else '<tr><td colspan="4">No page or report found.</td></tr>'
    name = inert(str(source))
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Replay of {name}</title>
<style>{STYLE}</style></head>
<body><h1>Replay of {name}</h1>
<p>Every page and report captured, shown as captured. Everything comes from the archive;
nothing is fetched from the live web, and what was not captured shows as "Not archived".</p>
<table><thead><tr><th>Title</th><th>URL</th><th>Captured (UTC)</th><th>Status</th></tr></thead>
<tbody>
{body}
</tbody></table>
</body></html>
"""


def _row(collection: str, entry: Entry) -> str:
    title = inert(entry.title or entry.url)
    link = replay_link(collection, entry)
    shown = f'<a href="{inert(link)}">{title}</a>' if link else title
    if entry.note:
        shown += f'<br><span class="note">{inert(entry.note)}</span>'
    captured = inert((entry.captured_at or "").replace("T", " ").rstrip("Z")[:19]) or "-"
    status = (str(entry.status) if entry.status is not None
              else inert(entry.status_label or "not captured"))
    return (f"<tr><td>{shown}</td><td class=\"url\">{inert(entry.url)}</td>"
            f"<td>{captured}</td><td>{status}</td></tr>")
