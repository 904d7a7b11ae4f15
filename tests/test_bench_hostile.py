"""The hostile-input bench (bench/hostile_bench.py) bounds what it runs and reports it: a hung
run is killed with everything it started, a run past the memory limit is killed, and a case
runs end to end against the archiver installed here."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "bench"
sys.path.insert(0, str(BENCH))

from hostile_runner import escape, run_bounded, session_members  # noqa: E402


def test_a_hung_run_is_killed_with_every_process_it_started(tmp_path: Path) -> None:
    leader = tmp_path / "leader"
    run = run_bounded(["sh", "-c", f"echo $$ > {leader}; sleep 300 & sleep 300"],
                      time_limit=1, memory_limit_mb=1000)
    assert run.killed == "hung" and run.exit_code is None
    assert session_members(int(leader.read_text())) == []


def test_a_run_past_the_memory_limit_is_killed() -> None:
    grow = "import time; block = bytearray(400_000_000); time.sleep(300)"
    run = run_bounded([sys.executable, "-c", grow], time_limit=120, memory_limit_mb=150)
    assert run.killed == "memory"
    assert run.peak_mb > 150


def test_the_last_line_shows_control_characters_escaped() -> None:
    write = "import sys; sys.stderr.write('a\\x1b[2J\\r\\u202eb')"
    run = run_bounded([sys.executable, "-c", write], time_limit=60, memory_limit_mb=1000)
    assert run.last_line() == escape("a\x1b[2J\r\u202eb") == "a\\x1b[2J\\r\\u202eb"


def test_a_case_runs_against_the_installed_archiver(tmp_path: Path) -> None:
    archiver = Path(sys.executable).with_name("archiver")
    out = tmp_path / "results.json"
    done = subprocess.run([sys.executable, str(BENCH / "hostile_bench.py"), "--archiver",
                           str(archiver), "--case", "7-no-target-uri", "--json", str(out)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode in (0, 1), done.stderr
    (result,) = json.loads(out.read_text())["results"]
    assert result["name"] == "7-no-target-uri"
    assert result["ended"].startswith("exit ") and result["seconds"] > 0
    assert set(result["checks"]) >= {"no internal error", "< 20 s", "< 500 MB"}
