"""What runs that did not finish leave: known for what it is (verify says incomplete) and
cleared away by the next run into the same folder, but only when certainly ours and dead.

The runs here are real processes holding archiver's own work directories (tests/partial_holder.py)
or real `archiver` commands, killed with SIGKILL as a crash or the OOM killer would.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import traceback
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from archiver.cli import app
from archiver.errors import EnvironmentFault
from archiver.leftovers import remove_stale_partials
from archiver.run_lock import LOCK_NAME, RunInfo, parse_run_info
from archiver.staging import staging_beside

ARCHIVER = [sys.executable, "-m", "archiver"]
NOBODY = 65534
UNREACHABLE = ["http://127.0.0.1:9/", "--retries", "0"]
"""A capture that fails at once (nothing listens on the discard port): a run, for its sweep."""


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


class Holder:
    """A live run holding its work directory: `work` is the package or zip taking shape."""

    def __init__(self, kind: str, target: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.partial_holder", kind, str(target)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
            cwd=Path(__file__).resolve().parent.parent)
        assert self.process.stdout is not None
        self.work = Path(self.process.stdout.readline().strip())
        assert self.work.exists(), self.process.communicate()

    @property
    def hidden(self) -> Path:
        return self.work.parent

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.kill()


@pytest.fixture
def holders() -> Iterator[list[Holder]]:
    started: list[Holder] = []
    yield started
    for holder in started:
        holder.stop()


def dead_run(holders: list[Holder], kind: str, target: Path) -> Holder:
    holder = Holder(kind, target)
    holders.append(holder)
    holder.kill()
    return holder


def test_a_killed_runs_work_is_incomplete_for_verify(holders: list[Holder],
                                                     tmp_path: Path) -> None:
    package = dead_run(holders, "package", tmp_path / "pkg")
    export = dead_run(holders, "zip", tmp_path / "out.wacz")
    for path in (package.hidden, package.work, package.work / "data" / "half.txt",
                 export.hidden, export.work):
        code, stdout, _ = run("verify", str(path))
        assert code == 1, stdout
        assert "INCOMPLETE" in stdout and "left by a run that did not finish" in stdout
        run_of = package if path.is_relative_to(package.hidden) else export
        assert f"pid {run_of.process.pid} " in stdout
    code, stdout, _ = run("verify", "--json", str(export.work))
    [problem] = json.loads(stdout)[0]["problems"]
    assert code == 1 and problem["code"] == "incomplete"


def test_a_live_runs_work_is_incomplete_and_still_going(holders: list[Holder],
                                                        tmp_path: Path) -> None:
    live = Holder("package", tmp_path / "pkg")
    holders.append(live)
    code, stdout, _ = run("verify", str(live.work))
    assert code == 1 and "still going" in stdout


def test_the_next_run_removes_dead_partials_and_spares_live_ones(holders: list[Holder],
                                                                 tmp_path: Path) -> None:
    dead = dead_run(holders, "package", tmp_path / "a")
    dead_zip = dead_run(holders, "zip", tmp_path / "b.zip")
    live = Holder("package", tmp_path / "c")
    holders.append(live)
    removed = remove_stale_partials(tmp_path)
    assert sorted(leftover.path for leftover in removed) == sorted([dead.hidden, dead_zip.hidden])
    assert all(leftover.outcome == "removed" and leftover.freed >= 100_000
               for leftover in removed)
    assert "left by a run that did not finish" in str(removed[0])
    assert [path.name for path in tmp_path.iterdir()] == [live.hidden.name]
    assert (live.work / "data" / "half.txt").exists()
    live.kill()
    assert [leftover.path for leftover in remove_stale_partials(tmp_path)] == [live.hidden]
    assert list(tmp_path.iterdir()) == []


def test_removal_never_follows_links_out(holders: list[Holder], tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "precious.txt").write_text("keep me")
    dead = dead_run(holders, "package", tmp_path / "runs" / "pkg")
    (dead.work / "data" / "link-to-dir").symlink_to(outside)
    (dead.work / "data" / "link-to-file").symlink_to(outside / "precious.txt")
    [leftover] = remove_stale_partials(tmp_path / "runs")
    assert leftover.outcome == "removed"
    assert (outside / "precious.txt").read_text() == "keep me"
    assert list((tmp_path / "runs").iterdir()) == []


def test_what_is_not_certainly_ours_is_left_alone(holders: list[Holder],
                                                  tmp_path: Path) -> None:
    parent = tmp_path / "runs"
    parent.mkdir()
    older = parent / ".old.partial-0123abcd"  # made by an older version: no lock
    (older / "data").mkdir(parents=True)
    elsewhere = dead_run(holders, "package", tmp_path / "elsewhere" / "pkg")
    (parent / ".linked.partial-0123abce").symlink_to(elsewhere.hidden)  # a link: never walked
    forged = dead_run(holders, "package", parent / "forged")
    (forged.hidden / LOCK_NAME).write_bytes(b"not a lock\n")
    moved = dead_run(holders, "package", parent / "moved")
    info = parse_run_info((moved.hidden / LOCK_NAME).read_bytes())
    assert info is not None
    away = RunInfo(info.pid, "another-host.example", info.started)
    (moved.hidden / LOCK_NAME).write_text(away.to_text())
    notes = sorted(str(leftover) for leftover in remove_stale_partials(parent))
    assert len(notes) == 2 and all(note.startswith("left ") for note in notes)
    assert "is not archiver's" in notes[0] and "another host" in notes[1]
    assert len(list(parent.iterdir())) == 4 and elsewhere.hidden.exists()


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another user needs root")
def test_a_lock_of_another_user_is_left_alone_with_a_note(holders: list[Holder],
                                                          tmp_path: Path) -> None:
    dead = dead_run(holders, "package", tmp_path / "pkg")
    os.chown(dead.hidden / LOCK_NAME, NOBODY, NOBODY)
    code, _, stderr = run("capture", "-o", str(tmp_path / "next"), *UNREACHABLE)
    assert code == 1
    assert [line for line in stderr.splitlines() if dead.hidden.name in line] == [
        f"archiver: left {dead.hidden} alone: its lock belongs to another user"]
    assert (dead.work / "data" / "half.txt").exists()


SWEEP_AS_NOBODY = """
import os, sys
from pathlib import Path
from archiver.leftovers import remove_stale_partials
if os.geteuid() == 0:
    os.setuid(int(sys.argv[2]))  # root reads everything: sweep as a user who cannot
for leftover in remove_stale_partials(Path(sys.argv[1])):
    print(leftover)
"""


def test_an_unreadable_lock_is_left_alone_with_a_note(holders: list[Holder]) -> None:
    parent = Path(tempfile.mkdtemp(prefix="archiver-leftovers-"))  # a folder nobody may enter
    try:
        parent.chmod(0o755)
        dead = dead_run(holders, "package", parent / "pkg")
        dead.hidden.chmod(0o755)
        (dead.hidden / LOCK_NAME).chmod(0)
        done = subprocess.run([sys.executable, "-c", SWEEP_AS_NOBODY, str(parent), str(NOBODY)],
                              capture_output=True, text=True, timeout=60,
                              cwd=Path(__file__).resolve().parent.parent)
        assert done.stdout.splitlines() == [
            f"left {dead.hidden} alone: its lock file cannot be read (permission denied)"], \
            done.stderr
        assert (dead.work / "data" / "half.txt").exists()
    finally:
        shutil.rmtree(parent)


def test_a_partial_export_is_cleared_by_the_next_export(holders: list[Holder],
                                                        sample_package: Path,
                                                        tmp_path: Path) -> None:
    dead = dead_run(holders, "zip", tmp_path / "story.wacz")
    run_info = parse_lock(dead.hidden)
    code, stdout, stderr = run("export", str(sample_package), "--wacz", str(tmp_path / "x.wacz"))
    assert code == 0, stdout + stderr
    [line] = stderr.splitlines()
    assert line.startswith(f"archiver: removed {dead.hidden}, left by a run that did not "
                           f"finish ({run_info}): ") and line.endswith(" freed")
    assert [path.name for path in tmp_path.iterdir()] == ["x.wacz"]


def parse_lock(hidden: Path) -> RunInfo:
    info = parse_run_info((hidden / LOCK_NAME).read_bytes())
    assert info is not None
    return info


@pytest.fixture
def low_recursion_limit() -> Iterator[int]:
    """A recursion limit 100 frames above this test's (each level of a deep tree costs the
    file system milliseconds to remove: a low limit keeps the tree that exceeds it small)."""
    saved = sys.getrecursionlimit()
    sys.setrecursionlimit(len(traceback.extract_stack()) + 100)
    try:
        yield sys.getrecursionlimit()
    finally:
        sys.setrecursionlimit(saved)


def test_a_failed_run_clears_a_tree_deeper_than_the_recursion_limit(
        tmp_path: Path, low_recursion_limit: int) -> None:
    """A tree unpacked from a hostile zip may nest thousands of levels deep: clearing it away
    after a failure must neither recurse nor hide the failure."""
    with (pytest.raises(EnvironmentFault, match="the disk failed"),
          staging_beside(tmp_path / "pkg") as work):
        fd = os.open(work, os.O_RDONLY | os.O_DIRECTORY)
        for _ in range(low_recursion_limit + 50):  # each level made relative to the last:
            os.mkdir("d", dir_fd=fd)               # no path grows too long
            inner = os.open("d", os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
            os.close(fd)
            fd = inner
        os.close(fd)
        raise OSError(errno.EIO, "the disk failed")
    assert list(tmp_path.iterdir()) == []


LEFTOVERS = Path(__file__).resolve().parent.parent / "fixtures" / "leftovers"


def test_a_leftover_warc_is_incomplete_though_every_record_is_intact(tmp_path: Path) -> None:
    [warc] = (LEFTOVERS / ".story.partial-0123abcd").glob("story/data/warc/*.warc.gz")
    code, stdout, _ = run("verify", str(warc))
    assert code == 1 and "INCOMPLETE" in stdout and "intact" not in stdout
    assert ("left by a run that did not finish (pid 4242 on fixture-host.example, started "
            "2026-11-30T09:15:02.123456Z)") in stdout
    shutil.copyfile(warc, tmp_path / warc.name)  # the same bytes, out of the partial
    code, stdout, _ = run("verify", str(tmp_path / warc.name))
    assert code == 0 and "intact" in stdout


def test_hostile_lock_files_never_hang_the_sweep_or_verify(tmp_path: Path) -> None:
    """Lock files that are a FIFO, links (to /dev/zero, to a good lock elsewhere), a directory,
    or 10 MB long: nothing waits on them, nothing is removed for them."""
    good = tmp_path / "elsewhere.lock"
    shutil.copyfile(LEFTOVERS / "locks" / "valid.lock", good)
    makers = {
        "fifo": os.mkfifo,
        "zero": lambda lock: lock.symlink_to("/dev/zero"),
        "link": lambda lock: lock.symlink_to(good),
        "dir": lambda lock: lock.mkdir(),
        "long": lambda lock: lock.write_bytes(b"archiver run lock\n" + b"x" * 10_000_000),
    }
    parent = tmp_path / "runs"
    for number, (kind, make) in enumerate(makers.items()):
        hidden = parent / f".{kind}.partial-0000000{number}"
        (hidden / kind).mkdir(parents=True)
        make(hidden / LOCK_NAME)
    done = subprocess.run([*ARCHIVER, "capture", "-o", str(parent / "next"), *UNREACHABLE],
                          capture_output=True, text=True, timeout=120)
    notes = [line for line in done.stderr.splitlines() if ".partial-" in line]
    assert notes == [f"archiver: left {parent}/.long.partial-00000004 alone: its lock file is "
                     "not archiver's"], done.stderr
    assert len(list(parent.glob(".*.partial-*/*"))) == 2 * len(makers)
    verify = subprocess.run([*ARCHIVER, "verify", *map(str, sorted(parent.glob(".*")))],
                            capture_output=True, text=True, timeout=120)
    assert verify.returncode == 1 and verify.stdout.count("INCOMPLETE") == len(makers)
