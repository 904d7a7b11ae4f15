"""A WARC checked in parts, in several processes, gives exactly what one reader gives: for
intact, damaged and hostile files, wherever the cuts fall; and no process outlives it.

The size from which archiver cuts a file (64 MiB) is lowered here, or the cuts are given,
so that small files show every case.
"""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import signal
import subprocess
import sys
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from archiver.errors import EnvironmentFault
from archiver.verification import check, pipeline, split_check, warc_check
from archiver.verification.split_check import check_in_parts, find_cuts
from archiver.verification.warc_check import check_warc_file
from archiver.verification.warc_parts import PartSpec, WarcResult, check_part
from archiver.warc import members, reader
from archiver.warc.members import GZIP_MAGIC

NEVER = 1 << 62


# -- making WARCs ------------------------------------------------------------------------------


def record(number: int, body: bytes, *, http: bool = True, good: bool = True) -> bytes:
    """One response (or resource) record, digests right unless `good` is false."""
    if http:
        block = (b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                 b"Content-Length: %d\r\n\r\n" % len(body)) + body
        kind, content_type = "response", "application/http;msgtype=response"
    else:
        block, kind, content_type = body, "resource", "application/octet-stream"
    block_digest = hashlib.sha256(block if good else block + b"!").hexdigest()
    lines = [f"WARC-Type: {kind}", f"WARC-Record-ID: {record_id(number)}",
             "WARC-Date: 2024-05-01T00:00:00Z", f"WARC-Target-URI: http://127.0.0.1/{number}",
             f"Content-Type: {content_type}", f"WARC-Block-Digest: sha256:{block_digest}"]
    if http:
        lines.append(f"WARC-Payload-Digest: sha256:{hashlib.sha256(body).hexdigest()}")
    lines.append(f"Content-Length: {len(block)}")
    head = ("WARC/1.1\r\n" + "\r\n".join(lines) + "\r\n\r\n").encode()
    return head + block + b"\r\n\r\n"


def gz(data: bytes, level: int = 6) -> bytes:
    compressor = zlib.compressobj(level, zlib.DEFLATED, 31)
    return compressor.compress(data) + compressor.flush()


def bodies(count: int, seed: int) -> Iterator[bytes]:
    rng = random.Random(seed)
    words = [rng.randbytes(rng.randint(2, 8)).hex().encode() for _ in range(300)]
    for number in range(count):
        size = rng.choice([0, 50, 3000, 20_000, 70_000])
        if number % 3:
            yield b" ".join(rng.choices(words, k=size // 8))
        else:
            yield rng.randbytes(size)


def embedded_warc() -> bytes:
    """A small gzipped WARC: what a capture of a .warc.gz holds, and a trap for a cut."""
    return b"".join(gz(record(900 + n, b"inner %d" % n * 300)) for n in range(3))


def members_of(count: int, seed: int = 1) -> list[bytes]:
    return [gz(record(number, body), level=0 if number % 5 == 0 else 6)
            for number, body in enumerate(bodies(count, seed))]


def hostile_members(count: int) -> list[bytes]:
    """Members around a record stored uncompressed (level 0) whose payload is a gzipped
    WARC: its members sit, byte for byte, in the middle of the file."""
    before = members_of(count // 2, seed=2)
    trap = gz(record(500, os.urandom(5000) + embedded_warc() * 4 + os.urandom(5000)), level=0)
    return [*before, trap, *members_of(count // 2, seed=3)]


def offsets(parts: list[bytes]) -> list[int]:
    found, position = [], 0
    for part in parts:
        found.append(position)
        position += len(part)
    return found


def damaged(parts: list[bytes], how: str, rng: random.Random) -> bytes:
    parts = list(parts)
    middle = len(parts) // 2
    if how == "bad-digest-each-half":
        for index in (2, middle + 2):
            parts[index] = gz(record(9000 + index, b"x" * 5000, good=False))
    elif how == "flipped-bits":
        for index in (1, middle - 1, middle, len(parts) - 2):
            data = bytearray(parts[index])
            data[rng.randrange(20, len(data) - 10)] ^= 1 << rng.randrange(8)
            parts[index] = bytes(data)
    elif how == "garbage-between":
        parts.insert(middle, b"garbage that is no gzip member\r\n" * 10)
    elif how == "record-across-members":
        whole = record(7777, os.urandom(40_000))
        parts[middle:middle + 1] = [gz(whole[:30_000]), gz(whole[30_000:])]
    elif how == "two-records-in-one-member":
        parts[middle:middle + 2] = [gz(record(7778, b"a" * 3000) + record(7779, b"b" * 3000))]
    elif how == "bad-header":
        parts[middle] = gz(b"WARC/1.1\r\nContent-Length: nope\r\n\r\n" + b"z" * 400)
    elif how == "truncated-inside-member":
        return b"".join(parts)[:sum(map(len, parts[:middle])) + len(parts[middle]) // 2]
    elif how == "truncated-after-half":
        return b"".join(parts[:middle + 1]) + parts[middle + 1][:25]
    elif how == "tail-cut":
        parts[middle] = parts[middle][:-9]  # the member runs on into the next one
    return b"".join(parts)


HOW = ["intact", "bad-digest-each-half", "flipped-bits", "garbage-between",
       "record-across-members", "two-records-in-one-member", "bad-header",
       "truncated-inside-member", "truncated-after-half", "tail-cut"]


# -- judging -----------------------------------------------------------------------------------


def record_id(number: int) -> str:
    return f"<urn:uuid:00000000-0000-4000-8000-{number:012d}>"


# Every other record, the embedded ones (never real records) and the damaged ones.
WANTED = frozenset(record_id(number) for number in [*range(0, 30, 2), 900, 9002, 7777, 7779])


def one_reader(path: Path, wanted: frozenset[str]) -> WarcResult:
    return check_warc_file(path, path.name, wanted=wanted, split_min_bytes=NEVER)


def in_parts(path: Path, wanted: frozenset[str], cuts: list[int],
             at_once: int = 2) -> WarcResult:
    result = check_in_parts(PartSpec(path, path.name, wanted, True), sorted(set(cuts)),
                            at_once=at_once)
    if not result.records and not result.problems:  # as check_warc_file says of it
        result.problems.append(one_reader(path, wanted).problems[0])
    return result


def cut_sets(data: bytes, parts: list[bytes], rng: random.Random) -> list[list[int]]:
    """Cuts at member starts, at gzip magics (some inside records), anywhere at all."""
    starts = [offset for offset in offsets(parts) if 0 < offset < len(data)]
    magics, found = [], data.find(GZIP_MAGIC, 1)
    while found >= 0:
        magics.append(found)
        found = data.find(GZIP_MAGIC, found + 1)
    middle = sorted(magics, key=lambda offset: abs(offset - len(data) // 2))
    anywhere = rng.sample(range(1, len(data)), 4)
    return [rng.sample(starts, 5), middle[:5],
            sorted(anywhere + rng.sample(starts, 2)), sorted(rng.sample(magics, 5))]


SMALL = ((pipeline, "READ_BLOCK", 4099), (pipeline, "BATCH_BYTES", 5000),
         (members, "PIECE", 1500), (reader, "PIECE", 1500), (members, "LOOKBACK", 9000))


def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Small blocks, pieces and lookback make a small file cross every boundary a large one
    does: between read blocks, inflated pieces, and the bytes kept to rescan from. In the
    workers too, which are fresh processes: they check their parts with
    `check_part_in_small_blocks`."""
    for module, name, value in SMALL:
        monkeypatch.setattr(module, name, value)
    monkeypatch.setattr(split_check, "check_part", check_part_in_small_blocks)


def check_part_in_small_blocks(spec: PartSpec, **kwargs: object) -> object:
    """`check_part` in a worker, with small_blocks' sizes."""
    for module, name, value in SMALL:
        setattr(module, name, value)
    return check_part(spec, **kwargs)  # type: ignore[arg-type]


# -- the same findings, wherever the cuts fall -------------------------------------------------


@pytest.mark.parametrize("how", HOW)
def test_parts_find_what_one_reader_finds(tmp_path: Path, how: str,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(how)
    parts = hostile_members(24)
    data = damaged(parts, how, rng)
    path = tmp_path / "test.warc.gz"
    path.write_bytes(data)
    for blocks in ("1 MiB", "small"):
        if blocks == "small":
            small_blocks(monkeypatch)
        expected = one_reader(path, WANTED)
        assert expected.records >= 10
        if how in ("intact", "record-across-members", "two-records-in-one-member"):
            assert expected.problems == [] and expected.found
        else:
            assert expected.problems
        for index, cuts in enumerate(cut_sets(data, parts, rng)):
            got = in_parts(path, WANTED, cuts, at_once=1 + index % 3)
            assert got == expected, f"{blocks} blocks, cuts {cuts}"


def test_a_gzip_member_inside_a_record_is_no_place_to_cut(tmp_path: Path) -> None:
    small = [gz(record(number, b"t" * 500)) for number in range(10)]
    trap = gz(record(500, os.urandom(5000) + embedded_warc() * 4 + os.urandom(5000)), level=0)
    parts = [*small[:5], trap, *small[5:]]
    data = b"".join(parts)
    path = tmp_path / "hostile.warc.gz"
    path.write_bytes(data)
    start = offsets(parts)[5]
    assert start < len(data) // 2 < start + len(trap)
    # The search from the middle does find a gzip member of a WARC record, inside the trap.
    (cut,) = find_cuts(path, len(data), [len(data) // 2])
    assert data.index(embedded_warc(), start) <= cut < start + len(trap)
    expected = one_reader(path, frozenset())
    assert expected.problems == [] and expected.records == 11
    assert in_parts(path, frozenset(), [cut]) == expected
    assert check_warc_file(path, path.name, split_min_bytes=0) == expected


def test_a_cut_is_looked_for_only_so_far(tmp_path: Path) -> None:
    """A target inside a large record (a video) is given up after `reach` bytes rather than
    scanned to the record's end while every process waits; the next target still cuts."""
    small = [gz(record(number, b"t" * 500)) for number in range(6)]
    large = gz(record(100, random.Random(1).randbytes(300_000)), level=0)
    parts = [*small[:3], large, *small[3:]]
    data = b"".join(parts)
    path = tmp_path / "video.warc.gz"
    path.write_bytes(data)
    starts = offsets(parts)
    inside, after = starts[3] + 1000, starts[4]
    assert find_cuts(path, len(data), [inside], reach=len(data)) == [after]
    assert find_cuts(path, len(data), [inside], reach=100_000) == []
    assert find_cuts(path, len(data), [inside, after - 10], reach=100_000) == [after]


def test_a_record_across_the_middle(tmp_path: Path) -> None:
    parts = [*members_of(6), gz(record(99, os.urandom(300000)), level=0), *members_of(2, 4)]
    data = b"".join(parts)
    path = tmp_path / "big-record.warc.gz"
    path.write_bytes(data)
    assert offsets(parts)[6] < len(data) // 2 < offsets(parts)[7]
    expected = one_reader(path, frozenset())
    assert expected.problems == []
    assert check_warc_file(path, path.name, split_min_bytes=0) == expected
    assert in_parts(path, frozenset(), [len(data) // 2, offsets(parts)[7]]) == expected


@pytest.mark.parametrize("name", ["intact-sha256.warc.gz", "corrupt-member.warc.gz",
                                  "truncated-record.warc.gz", "trailing-garbage.warc.gz",
                                  "bad-block-digest.warc.gz", "whole-file-gzip.warc.gz",
                                  "empty.warc.gz", "not-gzip-garbage.warc.gz"])
def test_fixtures_checked_in_parts(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    path = Path(__file__).resolve().parent.parent / "fixtures" / "warc" / name
    expected = check_warc_file(path, name, split_min_bytes=NEVER)
    split = spy_on_parts(monkeypatch)
    assert check_warc_file(path, name, split_min_bytes=0) == expected
    # One member (or none), or no gzip at all: nowhere to cut.
    whole = ("empty.warc.gz", "whole-file-gzip.warc.gz", "not-gzip-garbage.warc.gz")
    assert bool(split) == (name not in whole)
    data = path.read_bytes()
    for cut in range(1, len(data), max(1, len(data) // 12)):
        assert in_parts(path, frozenset(), [cut]) == expected, cut


# -- packages, progress and the file's digest --------------------------------------------------


def spy_on_parts(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The number of cuts of each file checked in parts, from now on (two processes at a
    time, however many cores this machine has)."""
    monkeypatch.setattr(warc_check, "processes", lambda: 2)
    made: list[int] = []
    real = warc_check.PartsCheck

    def spy(spec: PartSpec, cuts: list[int], **kwargs: object) -> object:
        made.append(len(cuts))
        return real(spec, cuts, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(warc_check, "PartsCheck", spy)
    return made


def test_a_package_checked_in_parts(sample_package: Path, tmp_path: Path,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "package"
    shutil.copytree(sample_package, package)
    expected = check(package).to_dict()
    monkeypatch.setattr(warc_check, "SPLIT_MIN_BYTES", 0)
    split = spy_on_parts(monkeypatch)
    seen: list[tuple[int, int]] = []
    report = check(package, progress=lambda done, total: seen.append((done, total)))
    assert split and report.to_dict() == expected
    assert seen[-1] == (report.bytes_read, report.bytes_read)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)
    # Damage in the WARC reads the same too, the file's own digest included.
    warc = sorted((package / "data" / "warc").glob("*.warc.gz"))[0]
    original = warc.read_bytes()
    rng = random.Random(5)
    for position in rng.sample(range(len(original) * 8), 12):
        flipped = bytearray(original)
        flipped[position // 8] ^= 1 << (position % 8)
        warc.write_bytes(bytes(flipped))
        monkeypatch.setattr(warc_check, "SPLIT_MIN_BYTES", NEVER)
        alone = check(package).to_dict()
        monkeypatch.setattr(warc_check, "SPLIT_MIN_BYTES", 0)
        assert check(package).to_dict() == alone, position
    warc.write_bytes(original)


def test_the_file_digest_and_progress_in_parts(tmp_path: Path) -> None:
    parts = members_of(30)
    data = b"".join(parts)
    path = tmp_path / "test.warc.gz"
    path.write_bytes(data)
    counted: list[int] = []
    result = check_in_parts(PartSpec(path, "t", frozenset(), True), offsets(parts)[1::4],
                            hash_file=True, on_read=counted.append)
    assert result.sha256 == hashlib.sha256(data).hexdigest()
    assert sum(counted) == result.bytes_read == len(data) and min(counted) > 0


# -- errors and interruptions ------------------------------------------------------------------


# What a worker runs instead of check_part. Workers are fresh processes: the functions are
# found by name, so they are defined here, at the top of this module.


def fails_after_the_first_part(spec: PartSpec, **kwargs: object) -> object:
    if spec.start >= 1:
        raise OSError(5, "Input/output error", str(spec.path))
    return check_part(spec, **kwargs)  # type: ignore[arg-type]


def fails_from_the_embedded_warc(spec: PartSpec, **kwargs: object) -> object:
    if spec.start >= spec.path.read_bytes().index(embedded_warc()):
        raise OSError(5, "Input/output error", str(spec.path))
    return check_part(spec, **kwargs)  # type: ignore[arg-type]


def dies_after_the_first_part(spec: PartSpec, **kwargs: object) -> object:
    if spec.start:
        os._exit(9)
    return check_part(spec, **kwargs)  # type: ignore[arg-type]


def test_an_os_error_in_a_part_is_the_error_one_reader_raises(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "test.warc.gz"
    path.write_bytes(b"".join(members_of(20)))
    monkeypatch.setattr(warc_check, "SPLIT_MIN_BYTES", 0)
    monkeypatch.setattr(split_check, "check_part", fails_after_the_first_part)
    with pytest.raises(EnvironmentFault) as raised:
        check(path)
    assert str(raised.value) == f"{path}: input/output error"


def test_an_error_in_a_part_that_does_not_count_is_no_error(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    parts = hostile_members(10)
    path = tmp_path / "hostile.warc.gz"
    path.write_bytes(b"".join(parts))
    expected = one_reader(path, frozenset())
    inner = b"".join(parts).index(embedded_warc())
    monkeypatch.setattr(split_check, "check_part", fails_from_the_embedded_warc)
    assert in_parts(path, frozenset(), [inner]) == expected


def test_a_part_that_dies_is_an_environment_fault(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "test.warc.gz"
    path.write_bytes(b"".join(members_of(20)))

    monkeypatch.setattr(warc_check, "SPLIT_MIN_BYTES", 0)
    monkeypatch.setattr(split_check, "check_part", dies_after_the_first_part)
    with pytest.raises(EnvironmentFault, match="ended without"):
        check(path)


SLOW_VERIFY = """
import sys, time
from archiver.verification import split_check, warc_check


def slow(spec, **kwargs):  # run by the workers, which find it here by name
    time.sleep(60)
    return split_check.check_part(spec, **kwargs)


if __name__ == "__main__":
    warc_check.SPLIT_MIN_BYTES = 0
    split_check.check_part = slow
    if sys.argv[1] == "sigterm-as-interrupt":  # as the CLI's capture does
        import signal
        def interrupt(signum, frame):
            raise KeyboardInterrupt
        signal.signal(signal.SIGTERM, interrupt)
    from archiver.cli import main
    sys.argv = ["archiver", "verify", sys.argv[2]]
    main()
"""


def processes_in_group(group: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == group and fields[0] != "Z":
                found.append(int(entry.name))
    return found


@pytest.mark.skipif(not Path("/proc/self/stat").exists() or split_check.processes() < 2,
                    reason="needs /proc and two cores")
@pytest.mark.parametrize(("how", "signum", "code"), [
    ("plain", signal.SIGINT, 3),
    ("sigterm-as-interrupt", signal.SIGTERM, 3),
    ("plain", signal.SIGTERM, 3),  # the CLI turns SIGTERM into an interrupt too
    ("plain", signal.SIGKILL, -signal.SIGKILL),
])
def test_an_interrupted_verify_leaves_no_process(tmp_path: Path, how: str, signum: int,
                                                 code: int) -> None:
    path = tmp_path / "test.warc.gz"
    path.write_bytes(b"".join(members_of(20)))
    script = tmp_path / "slow_verify.py"
    script.write_text(SLOW_VERIFY)
    proc = subprocess.Popen([sys.executable, str(script), how, str(path)],
                            start_new_session=True, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": os.getcwd()})
    try:
        deadline = time.monotonic() + 30
        while len(processes_in_group(proc.pid)) < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
        # the parent, the fork server and the parts
        assert len(processes_in_group(proc.pid)) >= 3
        proc.send_signal(signum)
        _, stderr = proc.communicate(timeout=30)
        assert proc.returncode == code, stderr
        if code == 3:
            assert "interrupted" in stderr and "Traceback" not in stderr
        deadline = time.monotonic() + 10
        while processes_in_group(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert processes_in_group(proc.pid) == []
    finally:
        for pid in processes_in_group(proc.pid):
            os.kill(pid, signal.SIGKILL)
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


# -- the caller's process is never forked ------------------------------------------------------


THREADED_HOST = """
import os, sys, threading, warnings
import archiver
from archiver.verification import warc_check

if __name__ == "__main__":
    forked = []
    os.register_at_fork(before=lambda: forked.append(os.getpid()))
    parts = []
    real = warc_check.PartsCheck
    def spy(*args, **kwargs):
        parts.append(args[1])
        return real(*args, **kwargs)
    warc_check.PartsCheck = spy
    stop = threading.Event()
    busy = threading.Thread(target=stop.wait, daemon=True)  # a host with a thread running
    busy.start()
    report = archiver.check(sys.argv[1])
    stop.set()
    print(not report.problems and report.records_checked, len(parts),
          len(parts[0]) if parts else 0, forked)
"""


@pytest.mark.skipif(split_check.processes() < 2, reason="needs two cores")
def test_a_threaded_host_is_never_forked(tmp_path: Path) -> None:
    """A WARC large enough to be checked in parts (default threshold) is checked in worker
    processes that the fork server starts: the host, which has a thread running, never
    calls fork (which Python 3.12+ warns about, here an error)."""
    path = tmp_path / "large.warc.gz"
    rng = random.Random(3)
    with path.open("wb") as out:
        number = 0
        while out.tell() <= warc_check.SPLIT_MIN_BYTES:  # 64 records of 1 MiB
            out.write(gz(record(number, rng.randbytes(1 << 20)), level=0))
            number += 1
    script = tmp_path / "host.py"
    script.write_text(THREADED_HOST)
    done = subprocess.run([sys.executable, "-W", "error::DeprecationWarning", str(script),
                           str(path)], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": os.getcwd()})
    assert done.returncode == 0, done.stderr
    records, checked_in_parts, cuts, forked = done.stdout.split(" ", 3)
    assert int(records) >= 64 and checked_in_parts == "1" and int(cuts) >= 1
    assert forked.strip() == "[]"
