"""Fuzzing the reader of run lock files (archiver/run_lock.py) and the sweep that acts on them.

A lock file sits in a folder other people and programs can write to: whatever it holds, the
parser ends with a run or None, and the sweep of its directory ends with what it did, never
an exception, and removes the directory only for a well-formed lock of this host.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from hypothesis import given

from archiver.leftovers import remove_stale_partials
from archiver.run_lock import LOCK_NAME, RunInfo, parse_run_info, this_host
from tests.fuzz.mutations import mutated

LOCKS = Path(__file__).resolve().parents[2] / "fixtures" / "leftovers" / "locks"
SEEDS = [path.read_bytes() for path in sorted(LOCKS.glob("*.lock"))]
FIXTURE_HOST = b"fixture-host.example"
OURS = [seed.replace(FIXTURE_HOST, this_host().encode()) for seed in SEEDS]


@given(mutated(SEEDS))
def test_any_lock_file_parses_to_a_run_or_none(data: bytes) -> None:
    found = parse_run_info(data)
    assert found is None or isinstance(found, RunInfo)
    if found is not None:
        assert parse_run_info(found.to_text().encode()) == found


@given(mutated(OURS))
def test_the_sweep_removes_only_for_a_good_lock_of_this_host(data: bytes) -> None:
    parent = Path(tempfile.mkdtemp(prefix="archiver-fuzz-sweep-"))
    try:
        hidden = parent / ".pkg.partial-0123abcd"
        (hidden / "pkg").mkdir(parents=True)
        (hidden / LOCK_NAME).write_bytes(data)
        done = remove_stale_partials(parent)
        run = parse_run_info(data)
        if run is not None and run.host == this_host():
            assert [leftover.outcome for leftover in done] == ["removed"]
            assert not hidden.exists()
        else:
            assert all(leftover.outcome == "left" for leftover in done)
            assert (hidden / "pkg").is_dir()
        assert all("\n" not in str(leftover) for leftover in done)
    finally:
        shutil.rmtree(parent)
