"""A package holds regular files only: every reader of a package (verify, extract, export,
replay) names a link, a FIFO or a device as a problem and never opens it, never follows a
link out of the package, and never waits on one.

The hostile packages are built here, from copies of the session's sample package: git
keeps no FIFO, and a link's target is this machine's.
"""

from __future__ import annotations

import hashlib
import os
import resource
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from archiver.errors import UnreadableEvidence
from archiver.extract.api import extract
from archiver.regular_files import open_regular, read_regular
from archiver.replay.collection import open_collection
from archiver.verification import Problem, check
from tests.test_verify import reseal

ARCHIVER = [sys.executable, "-m", "archiver"]
HANG_LIMIT = 60
"""Seconds a run may take before it counts as hung (it takes about one)."""
LINK = "a symbolic link; a package holds only regular files"


@pytest.fixture
def package(sample_package: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "package"
    shutil.copytree(sample_package, copy)
    return copy


def list_in_manifest(package: Path, path: str, data: bytes) -> None:
    """Add `path` to manifest-sha256.txt with the digest of `data`, as a hostile packer
    would list the file it planted, and reseal the tag manifest."""
    with (package / "manifest-sha256.txt").open("a", encoding="utf-8") as manifest:
        manifest.write(f"{hashlib.sha256(data).hexdigest()}  {path}\n")
    reseal(package)


def run_in_child(*args: str) -> subprocess.CompletedProcess[str]:
    """`archiver ARGS` in a child process: a hang fails the test instead of blocking it, and
    a read of /dev/zero stops at 4 GiB instead of taking the machine's memory."""
    def bounded() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))

    return subprocess.run([*ARCHIVER, *args], capture_output=True, text=True,
                          timeout=HANG_LIMIT, preexec_fn=bounded)


def verify_in_child(package: Path) -> subprocess.CompletedProcess[str]:
    return run_in_child("verify", str(package))


def test_a_link_to_dev_zero_is_named_and_never_read(package: Path) -> None:
    (package / "data" / "zero").symlink_to("/dev/zero")
    list_in_manifest(package, "data/zero", b"")
    done = verify_in_child(package)
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"  - data/zero: {LINK} [not-a-regular-file]" in done.stdout.splitlines()
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr


def test_a_fifo_is_named_and_never_opened(package: Path) -> None:
    os.mkfifo(package / "data" / "pipe")
    list_in_manifest(package, "data/pipe", b"")
    done = verify_in_child(package)
    assert done.returncode == 1, done.stdout + done.stderr
    assert ("  - data/pipe: a FIFO (a named pipe); a package holds only regular files "
            "[not-a-regular-file]") in done.stdout.splitlines()


def test_a_tag_file_that_is_a_link_to_dev_zero_is_named(package: Path) -> None:
    (package / "bag-info.txt").unlink()
    (package / "bag-info.txt").symlink_to("/dev/zero")
    done = verify_in_child(package)
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"  - bag-info.txt: {LINK} [not-a-regular-file]" in done.stdout.splitlines()


def test_a_link_out_of_the_package_is_never_followed(package: Path, tmp_path: Path,
                                                     sample_package: Path) -> None:
    # The link leads to a file whose digest the manifest gives: following it would pass.
    secret = tmp_path / "outside.txt"
    secret.write_bytes(b"not part of the evidence\n")
    (package / "data" / "outside.txt").symlink_to(secret)
    list_in_manifest(package, "data/outside.txt", secret.read_bytes())
    # and lines naming it by a path that leaves the bag: problems, never opened
    lines = len((package / "manifest-sha256.txt").read_text("utf-8").splitlines())
    list_in_manifest(package, "data/../../outside.txt", secret.read_bytes())
    list_in_manifest(package, str(secret), secret.read_bytes())
    report = check(package)
    assert Problem("not-a-regular-file", "data/outside.txt", LINK) in report.problems
    for number, path in ((lines + 1, "data/../../outside.txt"), (lines + 2, str(secret))):
        assert Problem("manifest-line-invalid", "manifest-sha256.txt", f"line {number} lists "
                       f"{path!r}, but that path is not a plain path inside the bag"
                       ) in report.problems
    # not the one outside (nor the attestations, which the reseal dropped)
    attested = sum(1 for path in (sample_package / "attestations").rglob("*") if path.is_file())
    assert report.files_checked == check(sample_package).files_checked - attested


def test_a_link_to_a_folder_is_not_descended_into(package: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "planted.txt").write_bytes(b"planted\n")
    (package / "data" / "more").symlink_to(outside, target_is_directory=True)
    list_in_manifest(package, "data/more/planted.txt", b"planted\n")
    report = check(package)
    assert Problem("not-a-regular-file", "data/more", LINK) in report.problems
    assert Problem("missing-file", "data/more/planted.txt", "manifest-sha256.txt lists this "
                   "file, but the package does not have it") in report.problems


def test_a_warc_that_is_a_link_out_is_named(package: Path, tmp_path: Path) -> None:
    warc = sorted((package / "data" / "warc").glob("*.warc.gz"))[0]
    moved = tmp_path / warc.name
    shutil.move(warc, moved)
    warc.symlink_to(moved)  # the same bytes, from outside the package
    report = check(package)
    assert Problem("not-a-regular-file", f"data/warc/{warc.name}", LINK) in report.problems


def test_open_regular_judges_what_it_opened(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "link").symlink_to(tmp_path / "pipe")
    for name, kind in (("pipe", "a FIFO (a named pipe)"), ("link", "a symbolic link")):
        with pytest.raises(UnreadableEvidence) as refused:
            open_regular(tmp_path / name, name)
        assert str(refused.value) == f"{name}: {kind}; a package holds only regular files"
    with pytest.raises(UnreadableEvidence, match="directory"):
        open_regular(tmp_path)
    (tmp_path / "big").write_bytes(b"x" * 11)
    with pytest.raises(UnreadableEvidence, match="11 bytes, more than the 10"):
        read_regular(tmp_path / "big", 10)


def test_verify_of_a_fifo_given_by_name_does_not_wait(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "crawl.warc.gz")
    done = run_in_child("verify", str(tmp_path / "crawl.warc.gz"))
    assert done.returncode == 2 and "not a regular file" in done.stderr


def test_verify_never_opens_a_warc_through_a_linked_warc_folder(package: Path,
                                                                tmp_path: Path) -> None:
    """The first WARC is checked before the package is listed: even then, never through a
    link (an audit hook logs every file opened; the package is too small to be checked in
    worker processes, so this process opens them all)."""
    elsewhere = tmp_path / "elsewhere"
    shutil.move(package / "data" / "warc", elsewhere)
    (package / "data" / "warc").symlink_to(elsewhere, target_is_directory=True)
    log = tmp_path / "opened.log"
    code = ("import sys\n"
            "def hook(event, args):\n"
            "    if event == 'open' and 'data/warc/' in str(args[0]):\n"
            "        with open(sys.argv[2], 'a') as out: out.write(str(args[0]) + '\\n')\n"
            "sys.addaudithook(hook)\n"
            "from archiver.verification import check\n"
            "print(check(sys.argv[1]).is_valid)\n")
    done = subprocess.run([sys.executable, "-c", code, str(package), str(log)],
                          capture_output=True, text=True, timeout=HANG_LIMIT, check=True)
    assert done.stdout.strip() == "False"
    assert not log.exists(), log.read_text()


# -- the other readers of a package ------------------------------------------------------------


def test_extract_never_reads_a_warc_folder_that_is_a_link(package: Path,
                                                          tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    shutil.move(package / "data" / "warc", elsewhere)
    (package / "data" / "warc").symlink_to(elsewhere, target_is_directory=True)
    run = extract(package)
    assert list(run) == []
    assert run.problems and all("not a WARC file of this package" in p for p in run.problems)


def test_extract_never_opens_a_warc_that_is_a_fifo(package: Path) -> None:
    # Without a readable manifest.json, extract reads every WARC of data/warc instead.
    (package / "manifest.json").write_text("{", "utf-8")
    warc = sorted((package / "data" / "warc").glob("*.warc.gz"))[0]
    warc.unlink()
    os.mkfifo(warc)
    done = run_in_child("extract", str(package))
    assert done.returncode == 1, done.stderr
    assert "manifest.json: cannot be read" in done.stderr


def test_export_refuses_a_package_with_a_link(package: Path, tmp_path: Path) -> None:
    (package / "data" / "zero").symlink_to("/dev/zero")
    list_in_manifest(package, "data/zero", b"")
    done = run_in_child("export", str(package), "--zip", str(tmp_path / "o.zip"))
    assert done.returncode == 1, done.stderr
    assert f"  - data/zero: {LINK} [not-a-regular-file]" in done.stderr.splitlines()
    assert not (tmp_path / "o.zip").exists()


def test_replay_serves_only_the_packages_own_warcs(package: Path, tmp_path: Path) -> None:
    planted = tmp_path / "planted.warc.gz"
    shutil.copy(sorted((package / "data" / "warc").glob("*.warc.gz"))[0], planted)
    (package / "data" / "warc" / "zz-planted.warc.gz").symlink_to(planted)
    os.mkfifo(package / "data" / "warc" / "zz-pipe.warc.gz")
    collection = open_collection(package, tmp_path / "scratch")
    assert [warc.name for warc in collection.warcs] == [
        path.name for path in sorted((package / "data" / "warc").glob("archiver-*.warc.gz"))]
