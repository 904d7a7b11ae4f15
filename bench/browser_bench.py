#!/usr/bin/env python3
"""Browser capture benchmark: pages per minute with `--browser`, beside plain HTTP capture and
beside a plain Playwright loop that records nothing, on the same pages, in the same run.

Starts ../shared/bench/site.py (article pages with four images, a stylesheet and a script
each; 20 ms latency by default) on a free 127.0.0.1 port, takes the first N pages of its
urls.txt (no PDFs), then for each round runs (alternating which goes first), for each tab
count T of --tabs (default 1 and 4)

    archiver capture -i pages.txt -o PKG --allow-private --no-extract --no-browser
                                                                             ("http")
    archiver capture -i pages.txt -o PKG --allow-private --no-extract \
        --browser --tabs T                                                   ("browser-T")
    a Playwright loop: the same Chromium, flags and viewport, T pages at once, each
    loaded and left once the network is idle, nothing recorded, no behaviours, no
    attachments                                                           ("playwright-T")

and prints wall time, pages per minute, CPU time and the peak memory of each process tree
(summed PSS: archiver, Playwright's driver and every Chromium process), with the ratios.
The browser run does more than the loop: it records every exchange, scrolls, and makes a
screenshot, a PDF snapshot and the rendered DOM of every page; the ratio is the whole cost.

    python bench/browser_bench.py [--pages 30] [--rounds 3] [--tabs 1,4] [--shared DIR]
                                  [--json OUT]

Work directories go under the system temp dir and are removed afterwards (--keep keeps them).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generated_site import default_shared_dir, shared_site
from measurement import (
    REPO_DIR,
    Run,
    TreeMemorySampler,
    handle_signals,
    machine_info,
    make_temp_dir,
    measure,
    median,
    remove_tree,
    table,
)

PLAIN_LOOP = r"""
import asyncio, os, sys, tempfile, shutil
from playwright.async_api import async_playwright
sys.path.insert(0, sys.argv[2])
from archiver.capture.browser.chromium import FLAGS, find_chromium, needs_no_sandbox
urls = [line.strip() for line in open(sys.argv[1]) if line.strip()]
tabs = int(sys.argv[3])
profile = tempfile.mkdtemp(prefix="bench-playwright-")

async def main():
    async with async_playwright() as p:
        context = await p.chromium.launch_persistent_context(
            profile, executable_path=find_chromium(), headless=True, args=list(FLAGS),
            chromium_sandbox=not needs_no_sandbox(), viewport={"width": 1280, "height": 800})
        waiting = list(reversed(urls))

        async def tab():
            page = await context.new_page()
            while waiting:
                url = waiting.pop()
                await page.goto(url, wait_until="load", timeout=20000)
                await page.wait_for_load_state("networkidle", timeout=20000)
            await page.close()

        await asyncio.gather(*(tab() for _ in range(tabs)))
        await context.close()

try:
    asyncio.run(main())
finally:
    shutil.rmtree(profile, ignore_errors=True)
"""


def archiver(args: list[str]) -> list[str]:
    return [sys.executable, "-m", "archiver", *args]


def run_one(name: str, pages: Path, work: Path, env: dict[str, str]) -> Run:
    """Run "http", "browser-T" or "playwright-T" (T tabs) once."""
    memory = TreeMemorySampler(interval=0.1)
    kind, _, tabs = name.partition("-")
    if kind == "playwright":
        argv = [sys.executable, "-c", PLAIN_LOOP, str(pages), str(REPO_DIR), tabs]
    else:
        argv = archiver(["capture", "-i", str(pages), "-o", str(work / f"{name}-pkg"),
                         "--allow-private", "--no-extract",
                         *(["--browser", "--tabs", tabs] if kind == "browser"
                           else ["--no-browser"])])
    run = measure(argv, env=env, memory=memory)
    if run.returncode != 0:
        raise SystemExit(f"bench: {name} failed ({run.returncode}): {run.tail()}")
    remove_tree(work / f"{name}-pkg", keep=False)
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--shared", type=Path, default=None)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--tabs", default="1,4",
                        help="tab counts to run the browser and the loop with (comma-separated)")
    parser.add_argument("--keep", action="store_true")
    options = parser.parse_args()
    handle_signals()
    work = make_temp_dir("browser")
    env = {**os.environ, "PYTHONPATH": str(REPO_DIR)}
    tab_counts = [int(count) for count in options.tabs.split(",")]
    names = ["http", *(f"{kind}-{tabs}" for tabs in tab_counts
                       for kind in ("browser", "playwright"))]
    runs: dict[str, list[Run]] = {name: [] for name in names}
    try:
        with shared_site(options.shared or default_shared_dir(), work, pages=options.pages,
                         pdfs=0, latency_ms=options.latency_ms) as (_, urls):
            chosen = [u for u in urls.read_text().split() if u.endswith(".html")][:options.pages]
            pages = work / "pages.txt"
            pages.write_text("\n".join(chosen) + "\n")
            for round_number in range(options.rounds):
                order = names if round_number % 2 == 0 else list(reversed(names))
                for name in order:
                    runs[name].append(run_one(name, pages, work, env))
        rows = []
        for name in names:
            seconds = median([run.seconds for run in runs[name]])
            cpu = median([run.user_s + run.sys_s for run in runs[name]])
            peak = max(run.peak_tree_mb for run in runs[name])
            rows.append([name, f"{seconds:.1f}", f"{len(chosen) / seconds * 60:.0f}",
                         f"{cpu:.1f}", f"{peak:.0f}"])
        print(f"{len(chosen)} pages, {options.rounds} rounds, medians; "
              f"{machine_info().get('cpu', '')}")
        print(table(rows, ["run", "wall s", "pages/min", "CPU s", "peak tree MB (PSS)"]))
        for tabs in tab_counts:
            browser = median([run.seconds for run in runs[f"browser-{tabs}"]])
            for name in ("http", f"playwright-{tabs}"):
                other = median([run.seconds for run in runs[name]])
                print(f"browser capture with {tabs} tab(s) takes {browser / other:.2f}x "
                      f"the time of {name}")
        if options.json:
            options.json.write_text(json.dumps(
                {name: [vars(run) | {"stdout": "", "stderr": ""} for run in runs[name]]
                 for name in names}, indent=2))
    finally:
        remove_tree(work, options.keep)


if __name__ == "__main__":
    main()
