"""Packages on object storage (docs/storage.md), against a real S3 server on 127.0.0.1 (moto's,
tests/s3_server.py): capture to s3://, verify, extract, export and replay from it; the seal
written last, so that an upload killed midway never verifies as complete; nothing written over
what is there.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from archiver.cli import app
from archiver.schema_files import load_schema
from tests.conftest import assert_standard_tools_accept
from tests.s3_server import S3Server
from tests.server import REPORT_PATH, STORY_PATH, SiteServer

ROOT = Path(__file__).resolve().parent.parent
SITE = ["--allow-private", "--retries", "0"]
MARKER = "archiver-complete.json"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def uploaded(s3: S3Server, site: SiteServer, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A package captured straight to s3:// by the CLI, from a folder of its own (where the
    old bug left a folder named `s3:`)."""
    here = tmp_path_factory.mktemp("cwd")
    before = Path.cwd()
    os.chdir(here)
    try:
        url = s3.url("stories/water-meters")
        s3.puts.clear()
        code, stdout, stderr = run("capture", site.url(STORY_PATH), site.url(REPORT_PATH),
                                   "-o", url, *SITE)
    finally:
        os.chdir(before)
    assert code == 0, stderr
    assert f"Package: {url}" in stdout and f"archiver verify {url}" in stdout
    assert list(here.iterdir()) == [], "nothing is written into the working folder"
    return url


def local_copy(s3: S3Server, url: str, into: Path) -> Path:
    """The objects under `url`, fetched by fsspec itself (not archiver's reader)."""
    import fsspec

    fs, path = fsspec.core.url_to_fs(url)
    fs.invalidate_cache()
    fs.get(path + "/", str(into) + "/", recursive=True)
    return into


def test_capture_to_s3_uploads_the_package_with_the_marker_last(s3: S3Server, uploaded: str,
                                                                 tmp_path: Path) -> None:
    prefix = uploaded.split("/", 3)[3]
    objects = s3.objects(prefix)
    assert MARKER in objects and "bagit.txt" in objects
    assert any(name.startswith("data/warc/") for name in objects)
    order = [path.split(f"/{prefix}/", 1)[1] for path in s3.puts if f"/{prefix}/" in path]
    assert order[-2:] == ["tagmanifest-sha256.txt", MARKER]
    assert all(name.startswith("data/") for name in order[:3])
    copy = local_copy(s3, uploaded, tmp_path / "copy")
    marker = json.loads((copy / MARKER).read_bytes())
    jsonschema.validate(marker, load_schema("completion"))
    assert {entry["path"]: entry["size"] for entry in marker["objects"]} == {
        name: size for name, size in objects.items() if name != MARKER}
    (copy / MARKER).unlink()
    assert_standard_tools_accept(copy)  # warcio, FastWARC, bagit-python judge what S3 holds


def test_verify_reads_a_package_from_s3(uploaded: str) -> None:
    code, stdout, stderr = run("verify", uploaded, "--json")
    assert code == 0, stderr
    report = json.loads(stdout)[0]
    assert report["path"] == uploaded and report["verdict"] == "intact"
    assert report["files_checked"] >= 5


def test_story_reads_its_draft_from_s3_and_writes_its_package_there(
        s3: S3Server, site: SiteServer, tmp_path: Path) -> None:
    import boto3

    from tests.test_story import local_draft

    draft = local_draft(tmp_path, site, "draft-story.md")
    boto3.client("s3", endpoint_url=s3.endpoint, region_name="us-east-1").put_object(
        Bucket=s3.bucket, Key="drafts/draft-story.md", Body=draft.read_bytes())
    url = s3.url("stories/from-draft")
    code, stdout, stderr = run("story", s3.url("drafts/draft-story.md"), "-o", url, "--json",
                               *SITE)
    assert code == 0, stderr
    assert json.loads(stdout)["package"] == url
    copy = local_copy(s3, url, tmp_path / "copy")
    manifest = json.loads((copy / "manifest.json").read_bytes())
    assert manifest["story"]["file"] == "draft-story.md"
    assert len(manifest["story"]["citations"]) == 3
    code, _, stderr = run("verify", url)
    assert code == 0, stderr


def test_a_target_that_holds_anything_is_refused_before_any_capture(
        s3: S3Server, site: SiteServer, uploaded: str) -> None:
    before = s3.objects("stories/water-meters")
    code, _, stderr = run("capture", site.url(STORY_PATH), "-o", uploaded, *SITE)
    assert code == 2 and "already exists" in stderr
    assert site.hits(STORY_PATH) == 0
    assert s3.objects("stories/water-meters") == before
    code, _, stderr = run("capture", site.url(STORY_PATH), "-o", s3.url("stories"), *SITE)
    assert code == 2 and "already exists" in stderr  # a prefix holding any object
    code, _, stderr = run("capture", site.url(STORY_PATH), "-o", f"s3://{s3.bucket}", *SITE)
    assert code == 2 and "a whole bucket is never a target" in stderr
    assert site.hits(STORY_PATH) == 0


def test_a_bucket_that_does_not_exist_is_one_line_and_exit_3(site: SiteServer,
                                                             s3: S3Server) -> None:
    code, _, stderr = run("capture", site.url(STORY_PATH), "-o", "s3://no-such-bucket/pkg",
                          *SITE)
    assert code == 3 and stderr.count("\n") == 1 and "no bucket 'no-such-bucket'" in stderr
    assert site.hits(STORY_PATH) == 0


def _copy_objects(s3: S3Server, source: str, target: str, leave_out: str = "") -> None:
    import boto3

    client = boto3.client("s3", endpoint_url=s3.endpoint, region_name="us-east-1")
    for name in s3.objects(source):
        if name != leave_out:
            client.copy_object(Bucket=s3.bucket, Key=f"{target}/{name}",
                               CopySource={"Bucket": s3.bucket, "Key": f"{source}/{name}"})


def test_an_object_is_never_written_over_even_past_the_prefix_check(s3: S3Server,
                                                                    tmp_path: Path) -> None:
    """Two runs that both found the prefix empty: the second one's write of a name the first
    took fails (S3 If-None-Match), and the first one's bytes stay."""
    from archiver.errors import OutputExistsError
    from archiver.storage.stores import open_store
    from archiver.storage.transfer import put_new

    first, second = tmp_path / "first", tmp_path / "second"
    first.write_bytes(b"first run")
    second.write_bytes(b"second run")
    store = open_store(s3.url("race/pkg"))
    put_new(store, first, "bagit.txt")
    with pytest.raises(OutputExistsError, match=r"race/pkg/bagit\.txt: already exists"):
        put_new(store, second, "bagit.txt")
    assert store.fs.cat_file(store.join("bagit.txt")) == b"first run"


def test_a_package_without_its_marker_is_incomplete(s3: S3Server, uploaded: str) -> None:
    _copy_objects(s3, "stories/water-meters", "cut/no-marker", leave_out=MARKER)
    url = s3.url("cut/no-marker")
    code, stdout, stderr = run("verify", url, "--json")
    assert code == 1, stderr
    [problem] = json.loads(stdout)[0]["problems"]
    assert problem["code"] == "incomplete" and "upload did not finish" in problem["message"]
    code, stdout, _ = run("verify", url)
    assert f"{url}: " in stdout and "upload did not finish" in stdout
    for verb in (["extract", url], ["export", url, "--wacz", s3.url("cut/out.wacz")]):
        code, _, stderr = run(*verb)
        assert code == 1 and "incomplete" in stderr, verb
    assert "out.wacz" not in s3.objects("cut")


def test_objects_changed_or_added_after_the_upload_are_named(s3: S3Server,
                                                             uploaded: str) -> None:
    import boto3

    _copy_objects(s3, "stories/water-meters", "changed/pkg")
    client = boto3.client("s3", endpoint_url=s3.endpoint, region_name="us-east-1")
    key = "changed/pkg/bagit.txt"
    body = client.get_object(Bucket=s3.bucket, Key=key)["Body"].read()
    client.put_object(Bucket=s3.bucket, Key=key, Body=body.replace(b"1.0", b"0.9"))
    client.put_object(Bucket=s3.bucket, Key="changed/pkg/data/added.txt", Body=b"later")
    code, stdout, stderr = run("verify", s3.url("changed/pkg"), "--json")
    assert code == 1, stderr
    found = {(problem["code"], problem["path"]) for problem in json.loads(stdout)[0]["problems"]}
    assert ("file-digest-mismatch", "bagit.txt") in found
    assert ("unlisted-file", "data/added.txt") in found


def test_extract_reads_from_s3_and_writes_to_s3(s3: S3Server, uploaded: str) -> None:
    code, stdout, stderr = run("extract", uploaded, "--json")
    assert code == 0, stderr
    extractions = json.loads(stdout)
    assert {entry["source"]["url"].rsplit("/", 1)[-1] for entry in extractions} >= {
        "water-meters.html"}
    assert "archiver-download-" not in stdout  # the local copy is named as its URL
    out = s3.url("extracted/water-meters")
    code, stdout, stderr = run("extract", uploaded, "-o", out)
    assert code == 0, stderr
    written = s3.objects("extracted/water-meters")
    assert MARKER in written and any(name.endswith(".txt") for name in written)
    assert out in stdout


def test_export_from_s3_to_local_and_to_s3(s3: S3Server, uploaded: str, tmp_path: Path) -> None:
    local_wacz, remote_wacz = tmp_path / "story.wacz", s3.url("exports/story.wacz")
    code, stdout, stderr = run("export", uploaded, "--wacz", str(local_wacz), "--zip",
                               s3.url("exports/story.zip"))
    assert code == 0, stderr
    assert local_wacz.is_file() and "not in its custody log" in stderr
    assert s3.objects("exports") == {"story.zip": s3.objects("exports")["story.zip"]}
    code, stdout, stderr = run("export", uploaded, "--wacz", remote_wacz)
    assert code == 0, stderr
    assert stdout.startswith(f"{remote_wacz}: WACZ of {uploaded}")
    for wacz in (str(local_wacz), remote_wacz):
        code, stdout, stderr = run("verify", wacz)
        assert code == 0 and "intact" in stdout, stderr
    code, _, stderr = run("export", uploaded, "--wacz", remote_wacz)
    assert code == 2 and "already exists" in stderr


def test_recheck_and_quote_read_from_s3_and_recheck_writes_there(
        s3: S3Server, uploaded: str, tmp_path: Path) -> None:
    rechecked = s3.url("rechecks/water-meters-r1")
    code, stdout, stderr = run("recheck", uploaded, "-o", rechecked)
    assert code == 0, stderr + stdout  # the site still serves the same sources
    assert MARKER in s3.objects("rechecks/water-meters-r1")
    code, stdout, stderr = run("verify", rechecked)
    assert code == 0 and "intact" in stdout, stderr
    manifest = json.loads((local_copy(s3, rechecked, tmp_path) / "manifest.json").read_text())
    original = json.loads((local_copy(s3, uploaded, tmp_path / "o") / "manifest.json")
                          .read_text())
    assert manifest["recheck_of"]["package_id"] == original["package_id"]
    code, stdout, stderr = run("quote", rechecked, "residents of Harrow Point told the "
                               "Water Department")
    assert code == 0 and "Found 1 time" in stdout and "archiver-download" not in stdout, stderr
    (tmp_path / "packages").mkdir()
    code, _, stderr = run("recheck", str(tmp_path / "packages"), "-o", s3.url("rechecks/all"))
    assert code == 2 and "local folder" in stderr


def test_an_upload_killed_midway_never_verifies_as_complete(s3: S3Server, site: SiteServer,
                                                             tmp_path: Path) -> None:
    url = s3.url("killed/pkg")
    s3.kill_midway(["capture", site.url(STORY_PATH), site.url(REPORT_PATH), "-o", url, *SITE],
                   "killed/pkg", written=3, cwd=tmp_path, repo=ROOT)
    left = s3.objects("killed/pkg")
    assert MARKER not in left and len(left) >= 3
    code, stdout, stderr = run("verify", url)
    assert code == 1, stderr
    assert "incomplete" in stdout and "upload did not finish" in stdout
    code, _, stderr = run("capture", site.url(STORY_PATH), "-o", url, *SITE)
    assert code == 2 and "already exists" in stderr  # what it left is never written over


def test_an_endpoint_from_fsspec_configuration_is_used(s3: S3Server, uploaded: str,
                                                       tmp_path: Path) -> None:
    """fsspec's own variables (FSSPEC_S3_ENDPOINT_URL) reach the driver as well as the AWS
    ones: nothing about the storage is ever on archiver's command line."""
    env = {**os.environ, **s3.environment, "PYTHONPATH": str(ROOT),
           "FSSPEC_S3_ENDPOINT_URL": s3.endpoint}
    env["AWS_ENDPOINT_URL"] = "http://127.0.0.1:9"  # nothing listens there
    done = subprocess.run([sys.executable, "-m", "archiver", "verify", uploaded], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "intact" in done.stdout


def test_no_credentials_is_one_line_and_exit_3(s3: S3Server, tmp_path: Path) -> None:
    env = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
    env.update(AWS_ENDPOINT_URL=s3.endpoint, AWS_EC2_METADATA_DISABLED="true",
               AWS_DEFAULT_REGION="us-east-1", AWS_SHARED_CREDENTIALS_FILE=os.devnull,
               AWS_CONFIG_FILE=os.devnull, PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-m", "archiver", "verify", s3.url("any/pkg")],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 3
    assert done.stderr.startswith(f"archiver: {s3.url('any/pkg')}: no credentials for the "
                                  "storage (")
    assert done.stderr.count("\n") == 1


def test_demo_writes_to_s3_and_sign_refuses_a_package_there(s3: S3Server,
                                                            tmp_path: Path) -> None:
    url = s3.url("demo/sample")
    code, stdout, stderr = run("demo", "-o", url)
    assert code == 0, stderr
    assert f"{url}: intact" in stdout and MARKER in s3.objects("demo/sample")
    for verb in (["sign", url, "--key", str(tmp_path / "key")],
                 ["timestamp", url, "--tsa", "http://127.0.0.1:9/"]):
        code, _, stderr = run(*verb)
        assert code == 2 and "never changed after its upload" in stderr, verb


def test_a_url_list_on_s3_and_a_package_in_fsspec_memory(s3: S3Server, site: SiteServer) -> None:
    """-i reads a list from storage; any fsspec store works as S3 does (memory://, which has no
    buckets, here)."""
    import boto3

    boto3.client("s3", endpoint_url=s3.endpoint, region_name="us-east-1").put_object(
        Bucket=s3.bucket, Key="lists/sources.txt",
        Body=f"# sources\n{site.url(REPORT_PATH)}\n".encode())
    url = "memory://archiver-tests/report"
    code, stdout, stderr = run("capture", "-i", s3.url("lists/sources.txt"), "-o", url, *SITE)
    assert code == 0, stderr
    assert "1 of 1 sources captured" in stdout
    code, stdout, stderr = run("verify", url)
    assert code == 0 and f"{url}: intact" in stdout, stderr
    code, _, stderr = run("capture", site.url(REPORT_PATH), "-o", url, *SITE)
    assert code == 2 and "already exists" in stderr


def test_the_library_uploads_a_sealed_package_and_checks_it_there(
        sample_package: Path) -> None:
    import archiver

    url = "memory://archiver-tests/library/sample"
    upload = archiver.upload_package(sample_package, url)
    assert [entry.path for entry in upload.objects][-1] == "tagmanifest-sha256.txt"
    report = archiver.check_target(url)
    assert report.is_valid and report.path == url
    with pytest.raises(archiver.OutputExistsError):
        archiver.upload_package(sample_package, url)


def test_file_urls_and_local_paths_are_local(site: SiteServer, tmp_path: Path) -> None:
    target = tmp_path / "as url"
    code, _, stderr = run("capture", site.url(STORY_PATH), "-o", target.as_uri(), *SITE)
    assert code == 0, stderr
    assert (target / "bagit.txt").is_file()
    code, _, stderr = run("verify", target.as_uri())
    assert code == 0, stderr


def test_a_storage_url_without_fsspec_says_how_to_install_it(tmp_path: Path) -> None:
    hide = ("import sys; sys.modules['fsspec'] = None; sys.argv = ['archiver', 'verify', "
            "'s3://bucket/pkg']; from archiver.cli import main; main()")
    done = subprocess.run([sys.executable, "-c", hide], cwd=tmp_path, capture_output=True,
                          text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=60)
    assert done.returncode == 3
    assert done.stderr == ("archiver: s3://bucket/pkg: reading and writing storage URLs needs "
                           "fsspec: pip install 'archiver[storage]'\n")
    assert list(tmp_path.iterdir()) == []


def test_a_scheme_without_its_driver_names_the_package(tmp_path: Path) -> None:
    pytest.importorskip("fsspec")
    try:
        import gcsfs  # noqa: F401
        pytest.skip("gcsfs is installed here")
    except ImportError:
        pass
    code, _, stderr = run("verify", "gs://bucket/pkg")
    assert code == 3 and "gs:// storage needs gcsfs: pip install gcsfs" in stderr


@pytest.fixture
def needs_pywb() -> None:
    from tests.test_replay import _has_pywb

    if not _has_pywb():
        pytest.skip("pywb could not be set up for the tests")


def test_replay_serves_a_package_from_s3(s3: S3Server, uploaded: str,
                                         needs_pywb: None) -> None:
    from tests.test_replay import get

    env = {**os.environ, **s3.environment, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen([sys.executable, "-m", "archiver", "replay", uploaded],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline(), process.stdout.readline()]
        assert lines[0].startswith(f"Replaying {uploaded}: "), lines
        address = lines[1].split()[1]
        assert STORY_PATH.encode() in get(address).body
        process.send_signal(signal.SIGINT)
        assert process.wait(30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


MEMORY_PROBE = """
import sys
from pathlib import Path
from archiver.storage.stores import open_store
from archiver.storage.upload import upload_file
from archiver.storage.download import download
from tests.peak_rss import peak_rss_kib

small, big, url, into = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], Path(sys.argv[4])

def round_trip(path, name):
    upload_file(path, open_store(f"{url}/{name}"))
    copy = download(open_store(f"{url}/{name}"), into / name)
    assert copy.local.stat().st_size == path.stat().st_size

round_trip(small, "small")  # the driver, its connections and buffers are up: the baseline
before = peak_rss_kib()
round_trip(big, "big")
print(before, peak_rss_kib())
"""


def test_uploads_and_downloads_stream_in_chunks(s3: S3Server, tmp_path: Path) -> None:
    """Once a 10 MiB object went up and came back (the driver's buffers and connections
    made), a 36 MiB one does too with the archiver side's memory growing by less than a
    third of it: chunks and one multipart part, never the whole (measured: by nothing)."""
    files = []
    for name, mib in (("small", 10), ("big", 36)):
        files.append(tmp_path / name)
        with files[-1].open("wb") as sink:
            for _ in range(mib):
                sink.write(os.urandom(1024 * 1024))
    (tmp_path / "back").mkdir()
    done = subprocess.run([sys.executable, "-c", MEMORY_PROBE, *map(str, files),
                           s3.url("memory"), str(tmp_path / "back")], capture_output=True,
                          text=True, timeout=300,
                          env={**os.environ, **s3.environment, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    before, peak = map(int, done.stdout.split())
    assert (peak - before) < 12 * 1024, (before, peak)


def test_extract_names_a_file_and_a_warc_on_s3_by_their_urls(s3: S3Server, uploaded: str,
                                                             tmp_path: Path) -> None:
    """What extract writes and prints names an input on storage by its URL, never by the
    local copy it was read from (a loose file's `source.file`, a WARC's name)."""
    import fsspec

    fs, root = fsspec.core.url_to_fs(uploaded)
    [warc] = [name for name in fs.ls(f"{root}/data/warc") if name.endswith(".warc.gz")]
    page = s3.url("loose/page.html")
    with fsspec.open(page, "wb") as out:
        out.write(b"<html><head><title>A saved page</title></head><body><article><p>"
                  + b"Words of a page saved from a browser. " * 40 + b"</p></article></body>"
                  b"</html>")
    warc_url = f"s3://{warc}"
    for given in (page, warc_url):
        out = tmp_path / given.rsplit("/", 1)[-1]
        code, stdout, stderr = run("extract", given, "-o", str(out), "--json")
        assert code == 0, stderr
        written = "".join(path.read_text("utf-8") for path in out.glob("*.json"))
        for said in (stdout, written):
            assert "archiver-download-" not in said and given in said, said[:500]
