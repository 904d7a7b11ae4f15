#!/usr/bin/env python3
"""Automatic mode benchmark: plain HTTP, the browser for every page, and automatic mode
(HTTP first, the browser for the pages judged built by script), on one site mixing static
and script-built pages, in the same run; and the judge's errors on real news pages.

The site, served on 127.0.0.1 by a threaded HTTP server of this script (each response held
back --latency-ms):
- static pages: the first --static real saved news pages of ../shared/extraction-dev
  (article-extraction-benchmark, htmldate and readability sets), as saved. So that nothing
  leaves 127.0.0.1, every absolute URL in them is pointed at this server (/ext/..., a 404)
  and the body of every inline script is blanked (the script elements stay, so the page
  has as many scripts as it had);
- script-built pages: the browser test site's pages whose text a script writes
  (fixtures/browser_site: article, story, redirected, lazy, endless), and --script-built
  more made from other real pages of the set, whose article (the set's ground truth) only a
  script writes, in three styles in turn: fetched as JSON into an empty <div id="root">;
  held in a __NEXT_DATA__ blob and rendered into <div id="__next">; written by an inline
  script under a server-rendered menu, with a <noscript> asking for JavaScript.

Each round runs, alternating the order:

    archiver capture -i pages.txt -o PKG --allow-private --no-browser   ("http")
    archiver capture -i pages.txt -o PKG --allow-private --browser      ("browser")
    archiver capture -i pages.txt -o PKG --allow-private                ("auto", the default)

(text extraction on, as by default: the words extracted are what is compared) and prints
pages per minute, the peak memory of the process tree, and the words of text extracted per
kind of page as a share of what the browser-always run extracted. Then the judge alone, on
every page of ../shared/extraction-dev as saved (false positives: each costs a browser load)
and on the script-built pages (recall), with its time per page.

    python bench/browser_auto_bench.py [--static 30] [--script-built 9] [--rounds 2]
                                       [--latency-ms 20] [--shared DIR] [--keep]
"""

from __future__ import annotations

import argparse
import gzip
import html
import http.server
import json
import os
import re
import shutil
import sys
import threading
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generated_site import default_shared_dir
from measurement import (
    REPO_DIR,
    Run,
    TreeMemorySampler,
    handle_signals,
    load_note,
    machine_info,
    make_temp_dir,
    measure,
    median,
    remove_tree,
    table,
)

sys.path.insert(0, str(REPO_DIR))
from archiver.capture.script_built import judge_html

FIXTURE_SITE = REPO_DIR / "fixtures" / "browser_site"
FIXTURE_PAGES = ("article.html", "story.html", "redirected.html", "lazy.html", "endless.html")
MODES = {"http": ["--no-browser"], "browser": ["--browser"], "auto": []}
_ABSOLUTE = re.compile(rb"""(?i)(https?:)?//(?=[a-z0-9.-]+\.[a-z]{2,}[/"'\s?#:)])""")
_INLINE_SCRIPT = re.compile(rb"(?is)(<script\b(?![^>]*\bsrc=)(?![^>]*json)[^>]*>)(.*?)(</script)")
_WORD = re.compile(r"\w+")


# -- the site ------------------------------------------------------------------------------

def _local(page: bytes) -> bytes:
    """A saved page that calls nothing outside 127.0.0.1: absolute URLs point at /ext/, and
    inline scripts are emptied (their elements kept)."""
    page = _INLINE_SCRIPT.sub(lambda m: m.group(1) + b"/* emptied for the bench */" + m.group(3),
                              page)
    return _ABSOLUTE.sub(b"/ext/", page)


def _paragraphs(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _script_built(style: int, title: str, text: str, name: str, data_dir: Path) -> str:
    """A page whose article only a script writes, in one of three styles."""
    paragraphs = _paragraphs(text)
    render = ("const root = document.getElementById('{root}');"
              "for (const t of {source}) {{ const p = document.createElement('p');"
              " p.textContent = t; root.appendChild(p); }}")
    head = f"<head><meta charset='utf-8'><title>{html.escape(title)}</title>" \
           "<script src='/ext/vendor.js'></script></head>"
    if style == 0:  # fetched as JSON into an empty #root
        (data_dir / f"{name}.json").write_text(json.dumps({"paragraphs": paragraphs}))
        body = ("<div id='root'></div><script>fetch('/data/" + name + ".json')"
                ".then(r => r.json()).then(d => {"
                + render.format(root="root", source="d.paragraphs") + "});</script>")
    elif style == 1:  # a __NEXT_DATA__ blob rendered into #__next
        blob = json.dumps({"props": {"pageProps": {"paragraphs": paragraphs}}})
        body = ("<div id='__next'></div><script id='__NEXT_DATA__' type='application/json'>"
                + blob.replace("</", "<\\/") + "</script><script>"
                + render.format(root="__next", source="JSON.parse(document.getElementById("
                                "'__NEXT_DATA__').textContent).props.pageProps.paragraphs")
                + "</script>")
    else:  # a server-rendered menu, a noscript, the article written by an inline script
        menu = " ".join(f"<a href='/section/{i}'>Section {i} news</a>" for i in range(25))
        body = (f"<header><nav>{menu}</nav></header><noscript>Please enable JavaScript to "
                "read this article.</noscript><main id='app'></main><script>"
                + render.format(root="app", source=json.dumps(paragraphs).replace("</", "<\\/"))
                + "</script>")
    return f"<!doctype html><html lang='en'>{head}<body>{body}</body></html>"


def build_site(shared: Path, site: Path, static_count: int, built_count: int
               ) -> tuple[list[str], list[str], list[dict[str, str]], dict[str, str]]:
    """The site's files; the static and script-built page paths; the set's documents; the
    article text (the set's ground truth) of each page that has one, by path."""
    data_root = shared / "extraction-dev"
    documents = [json.loads(line) for line in
                 (data_root / "data" / "manifest.jsonl").read_text().splitlines() if line]
    documents = [d for d in documents if d["file"].endswith(".html.gz")]
    shutil.copytree(FIXTURE_SITE, site)
    static, built = [], [f"/{page}" for page in FIXTURE_PAGES]
    truth = {}
    with_text = [d for d in documents if len(d.get("text") or "") > 500]
    for index, document in enumerate(documents[:static_count]):
        raw = gzip.decompress((data_root / document["file"]).read_bytes())
        (site / "static").mkdir(exist_ok=True)
        (site / "static" / f"{index:03d}.html").write_bytes(_local(raw))
        static.append(f"/static/{index:03d}.html")
        if document.get("text"):
            truth[static[-1]] = document["text"]
    (site / "built").mkdir()
    for index, document in enumerate(with_text[::-1][:built_count]):
        name = f"{index:03d}"
        page = _script_built(index % 3, document.get("title") or "Article", document["text"],
                             name, site / "data")
        (site / "built" / f"{name}.html").write_text(page)
        built.append(f"/built/{name}.html")
        truth[built[-1]] = document["text"]
    return static, built, documents, truth


class _Handler(http.server.SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    latency = 0.0

    def do_GET(self) -> None:
        time.sleep(self.latency)
        super().do_GET()

    def log_message(self, *args: object) -> None:
        pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        """A browser drops requests it no longer needs: not worth a traceback."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


def serve(site: Path, latency: float) -> http.server.ThreadingHTTPServer:
    handler = type("Handler", (_Handler,), {"latency": latency})
    server = _Server(
        ("127.0.0.1", 0), lambda *a: handler(*a, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


# -- measuring -----------------------------------------------------------------------------

def texts_by_source(package: Path) -> dict[str, str]:
    """The text extracted from each source's record ("": none)."""
    manifest = json.loads((package / "manifest.json").read_text("utf-8"))
    text_of = {}
    for resource in manifest["resources"]:
        record = resource["record"]
        for entry in resource["derived"]:
            if entry["kind"] == "text" and record is not None:
                text_of[record["record_id"]] = package / entry["path"]
    texts = {}
    for source in manifest["sources"]:
        path = text_of.get((source["record"] or {}).get("record_id"))
        texts[source["requested_url"]] = path.read_text("utf-8") if path else ""
    return texts


def word_count(text: str) -> int:
    return len(_WORD.findall(text))


def truth_recall(truth: str, text: str) -> float:
    """The share of the article's words (as a bag) found in the extracted text: the
    article-extraction-benchmark's recall."""
    wanted = Counter(word.lower() for word in _WORD.findall(truth))
    got = Counter(word.lower() for word in _WORD.findall(text))
    return sum(min(count, got[word]) for word, count in wanted.items()) / max(
        sum(wanted.values()), 1)


def loaded_in_browser(package: Path) -> set[str]:
    manifest = json.loads((package / "manifest.json").read_text("utf-8"))
    return {s["requested_url"] for s in manifest["sources"]
            if s.get("captured_with") == "browser"}


def run_mode(name: str, pages: Path, work: Path, env: dict[str, str]
             ) -> tuple[Run, dict[str, str], set[str]]:
    package = work / f"{name}-pkg"
    argv = [sys.executable, "-m", "archiver", "capture", "-i", str(pages), "-o", str(package),
            "--allow-private", *MODES[name]]
    run = measure(argv, env=env, memory=TreeMemorySampler(interval=0.1))
    if run.returncode != 0:
        raise SystemExit(f"bench: {name} failed ({run.returncode}): {run.tail()}")
    texts, browsed = texts_by_source(package), loaded_in_browser(package)
    remove_tree(package, keep=False)
    return run, texts, browsed


def judge_set(shared: Path, documents: list[dict[str, str]]) -> tuple[list[str], float]:
    """The pages of the set the judge calls built by script, and its seconds per page."""
    flagged, spent = [], 0.0
    for document in documents:
        raw = gzip.decompress((shared / "extraction-dev" / document["file"]).read_bytes())
        started = time.perf_counter()
        verdict = judge_html(raw[i:i + 65536] for i in range(0, len(raw), 65536))
        spent += time.perf_counter() - started
        if verdict.built_by_script:
            flagged.append(f"{document['id']}: {verdict.reason}")
    return flagged, spent / max(len(documents), 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--static", type=int, default=30)
    parser.add_argument("--script-built", type=int, default=9)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--shared", type=Path, default=None)
    parser.add_argument("--keep", action="store_true")
    options = parser.parse_args()
    handle_signals()
    shared = options.shared or default_shared_dir()
    work = make_temp_dir("browser-auto")
    env = {**os.environ, "PYTHONPATH": str(REPO_DIR)}
    try:
        static, built, documents, truth = build_site(shared, work / "site", options.static,
                                              options.script_built)
        server = serve(work / "site", options.latency_ms / 1000)
        base = f"http://127.0.0.1:{server.server_address[1]}"
        urls = {path: base + path for path in static + built}
        pages = work / "pages.txt"
        pages.write_text("\n".join(urls.values()) + "\n")
        runs: dict[str, list[Run]] = {name: [] for name in MODES}
        texts: dict[str, dict[str, str]] = {}
        browsed: set[str] = set()
        for round_number in range(options.rounds):
            order = list(MODES) if round_number % 2 == 0 else list(reversed(MODES))
            for name in order:
                run, extracted, loaded = run_mode(name, pages, work, env)
                runs[name].append(run)
                texts[name] = extracted
                if name == "auto":
                    browsed = loaded
        server.shutdown()

        total = len(urls)
        print(f"{total} pages ({len(static)} static, {len(built)} script-built), "
              f"{options.rounds} rounds, medians; {machine_info().get('cpu', '')}; "
              f"load {load_note()}")
        rows = []
        for name in MODES:
            seconds = median([run.seconds for run in runs[name]])
            cells = []
            for paths in (static, built):
                got = sum(word_count(texts[name][urls[p]]) for p in paths)
                seen = sum(word_count(texts["browser"][urls[p]]) for p in paths)
                judged = [p for p in paths if p in truth]
                recall = sum(truth_recall(truth[p], texts[name][urls[p]])
                             for p in judged) / max(len(judged), 1)
                cells += [f"{got:,} ({got / seen:.0%})" if seen else str(got),
                          f"{recall:.0%}"]
            rows.append([name, f"{seconds:.1f}", f"{total / seconds * 60:.0f}",
                         f"{max(run.peak_tree_mb for run in runs[name]):.0f}", *cells])
        print(table(rows, ["mode", "wall s", "pages/min", "peak tree MB",
                           "static: words (of browser's)", "static: article recall",
                           "script-built: words (of browser's)",
                           "script-built: article recall"]))
        print(f"article recall: the share of the article's words (the set's ground truth) in "
              f"the text extracted, averaged over the {sum(p in truth for p in static)} "
              f"static and {sum(p in truth for p in built)} script-built pages that have one")
        auto = median([run.seconds for run in runs["auto"]])
        for name in ("http", "browser"):
            other = median([run.seconds for run in runs[name]])
            print(f"auto takes {auto / other:.2f}x the time of {name}")
        flagged_static = sorted(set(urls[p] for p in static) & browsed)
        caught = sorted(set(urls[p] for p in built) & browsed)
        print(f"auto loaded in the browser: {len(caught)} of {len(built)} script-built pages, "
              f"{len(flagged_static)} of {len(static)} static pages")
        flagged, per_page = judge_set(shared, documents)
        print(f"judge on every saved page of extraction-dev ({len(documents)}, as saved): "
              f"{len(flagged)} called built by script "
              f"({len(flagged) / len(documents):.1%} false positives), "
              f"{per_page * 1000:.1f} ms a page")
        for line in flagged:
            print(f"  false positive: {line}")
        missed = [p for p in built if urls[p] not in browsed]
        print(f"recall on the script-built pages: {len(built) - len(missed)}/{len(built)}"
              + (f" (missed: {', '.join(missed)})" if missed else ""))
    finally:
        remove_tree(work, options.keep)


if __name__ == "__main__":
    main()
