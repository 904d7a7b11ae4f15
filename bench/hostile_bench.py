#!/usr/bin/env python3
"""Hostile-input benchmark (issue 10): every hostile case of the issue, built at run time and
given to the real `archiver` CLI, with its wall time, peak memory, exit code and last line.

    python bench/hostile_bench.py [--archiver PATH] [--case NAME]... [--json OUT]
                                  [--time-limit 120] [--memory-limit-mb 5000] [--list] [--keep]

Each case builds its input (files in a temporary directory, or routes of a misbehaving HTTP
server this script runs on 127.0.0.1), runs `archiver capture|extract|verify` on it as a
subprocess in a session of its own, and prints:

- wall time; peak memory of the whole process tree (archiver and every worker it starts: the
  largest sum of their RSS, sampled from /proc every 20 ms, and never below any one process's
  own peak, VmHWM), and the peak of their anonymous memory alone (mapped files left out); see
  hostile_runner.py;
- the exit code, or "hung" when the time limit killed it, or "killed" when its memory passed
  the memory limit (so a bomb cannot take the machine down);
- the last line of stderr, control characters escaped;
- whether each expectation held: the documented exit code, no internal error, < 20 s,
  < 500 MB (700 MB for the brotli bomb), and the case's own (package sealed with the other
  sources, manifest claims match the record, no request reached a private address, ...).

`--case` takes a case's name or its item number (`--case 7` runs every case of item 7).
`--archiver` is the command to measure (default: `archiver` on PATH), e.g. the CLI of a
worktree of the code before the fixes. Capture cases pass `--allow-private` when that
archiver has it (it then refuses 127.0.0.1 by default), except the SSRF case, which is about
what is fetched without it. Nothing but loopback addresses is ever contacted: the SSRF case
sends the capture only to loopback forms where the bench itself listens, and lists the
others (169.254.169.254, 10.0.0.1, metadata.google.internal) as not run.
Item 4 (replay's Content-Security-Policy) needs a browser: see tests/test_replay.py.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
import traceback
from dataclasses import asdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import hostile_cases_capture  # noqa: F401  (registers its cases)
import hostile_cases_files  # noqa: F401
from hostile_context import CASES, Case, CaseResult, Context, SetupFailed, has_allow_private
from hostile_runner import escape
from hostile_site import LoopbackSite
from measurement import handle_signals, machine_info, make_temp_dir, remove_tree, tool_version

NOT_RUN = {"4-replay-csp": "replay's Content-Security-Policy needs a real browser: "
                          "see tests/test_replay.py"}


def item_of(case: Case) -> int:
    return int(case.name.split("-", 1)[0])


def chosen(names: list[str]) -> list[Case]:
    ordered = sorted(CASES, key=item_of)
    if not names:
        return ordered
    picked = [c for c in ordered if any(n in (c.name, c.name.split("-", 1)[0]) for n in names)]
    unknown = [n for n in names if not any(n in (c.name, c.name.split("-", 1)[0])
                                           for c in ordered) and n not in NOT_RUN]
    if unknown:
        raise SystemExit(f"hostile_bench: no case {', '.join(unknown)} (see --list)")
    return picked


def archiver_code(command: str) -> str:
    """The commit of the archiver sources `command` runs (read-only git), as measurement's
    code_version does for this repository's own."""
    script = Path(shutil.which(command) or command)
    try:
        python = script.read_text("utf-8", "replace").splitlines()[0].removeprefix("#!")
        where = subprocess.run([python.strip(), "-I", "-c", "import archiver, os; print(os.path."
                                "dirname(os.path.dirname(archiver.__file__)))"],
                               capture_output=True, text=True, timeout=60).stdout.strip()
        head = subprocess.run(["git", "-C", where, "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", where, "status", "--porcelain", "--", "archiver"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, IndexError, subprocess.SubprocessError):
        return "unknown"
    if not where or not head:
        return f"unknown (sources in {where or '?'})"
    return f"{head}{' + uncommitted changes in archiver/' if dirty else ''} ({where})"


def run_case(case: Case, ctx: Context) -> CaseResult:
    started = time.perf_counter()
    try:
        result = case.function(ctx)
    except SetupFailed as exc:
        result = CaseResult(case.name, case.title, ended=f"not run: {exc}")
    except Exception as exc:  # a fault of the bench itself: report it, go on with the rest
        traceback.print_exc()
        result = CaseResult(case.name, case.title,
                            ended=f"bench error: {type(exc).__name__}: {exc}")
    result.notes.append(f"case took {time.perf_counter() - started:.1f} s with its setup")
    return result


def show(result: CaseResult) -> None:
    print(f"\n{result.name}: {result.title}")
    if result.command:
        print(f"  {result.command}")
    if result.seconds is not None:
        print(f"  {result.seconds:.2f} s, peak {result.peak_mb:.0f} MB (anonymous "
              f"{result.anon_mb:.0f} MB; tree of up to {result.processes} processes), "
              f"{result.ended}")
    else:
        print(f"  {result.ended}")
    if result.last_line:
        print(f"  last line: {result.last_line}")
    if result.checks:
        print("  " + "  ".join(f"[{'ok' if held else 'FAIL'}] {label}"
                               for label, held in result.checks.items()))
    for note in result.notes:
        print(f"  - {escape(note)}")


def summary(results: list[CaseResult]) -> str:
    rows = ["| case | wall s | peak MB | anon MB | ended | expectations held "
            "| last line of stderr |", "|---|---|---|---|---|---|---|"]
    for r in results:
        failed = [label for label, held in r.checks.items() if not held]
        held = "all" if r.held else ("not run" if not r.checks else "no: " + ", ".join(failed))
        seconds = f"{r.seconds:.2f}" if r.seconds is not None else "-"
        peak = f"{r.peak_mb:.0f}" if r.peak_mb is not None else "-"
        anon = f"{r.anon_mb:.0f}" if r.anon_mb is not None else "-"
        line = r.last_line.replace("|", "\\|")
        rows.append(f"| {r.name} | {seconds} | {peak} | {anon} | {r.ended} | {held} | {line} |")
    return "\n".join(rows)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--archiver", default=shutil.which("archiver") or "archiver",
                    help="the archiver command to measure (default: archiver on PATH)")
    ap.add_argument("--case", action="append", default=[], metavar="NAME",
                    help="run this case (a name, or an item number for all its cases)")
    ap.add_argument("--json", type=Path, help="also write the results as JSON here")
    ap.add_argument("--time-limit", type=float, default=120.0,
                    help="seconds before a run is killed and reported hung (default 120)")
    ap.add_argument("--memory-limit-mb", type=float, default=5000.0,
                    help="a run whose process tree passes this is killed (default 5000)")
    ap.add_argument("--list", action="store_true", help="list the cases and exit")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    args = ap.parse_args()
    if args.list:
        for c in sorted(CASES, key=item_of):
            print(f"{c.name:24} {c.title}")
        for name, why in NOT_RUN.items():
            print(f"{name:24} not run: {why}")
        return 0
    handle_signals()
    cases = chosen(args.case)
    archiver = [args.archiver]
    info = machine_info()
    info["archiver"] = f"{args.archiver} ({tool_version([*archiver, '--version'])})"
    info["bench"] = info.pop("code")  # this script's commit; "code" is the archiver's
    info["code"] = archiver_code(args.archiver)
    allow_private = has_allow_private(archiver)
    info["allow_private"] = "yes" if allow_private else "no (capture reaches 127.0.0.1 as is)"
    info["date"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    print("machine: " + ", ".join(f"{k} {v}" for k, v in info.items()))
    work = make_temp_dir("hostile")
    results: list[CaseResult] = []
    try:
        with LoopbackSite().running() as site:
            ctx = Context(archiver, work, site, args.time_limit, args.memory_limit_mb,
                          allow_private)
            for case in cases:
                results.append(run_case(case, ctx))
                show(results[-1])
    finally:
        remove_tree(work, args.keep)
    for name, why in NOT_RUN.items():
        if not args.case or name in args.case or name.split("-")[0] in args.case:
            results.append(CaseResult(name, why, ended="not run (see tests/test_replay.py)"))
    print("\n" + summary(results))
    if args.json:
        args.json.write_text(json.dumps({"machine": info, "command": sys.argv[1:],
                                         "time_limit_s": args.time_limit,
                                         "memory_limit_mb": args.memory_limit_mb,
                                         "results": [asdict(r) for r in results]},
                                        indent=1, ensure_ascii=False) + "\n")
    return 0 if all(r.held for r in results if r.checks) else 1


if __name__ == "__main__":
    sys.exit(main())
