"""A Dask cluster and object storage together (issue 16 §2 and §3, docs/cluster.md): a real
LocalCluster whose worker processes reach a real S3 server on 127.0.0.1 (moto's,
tests/s3_server.py) by the standard environment they inherit, as a user's workers reach
their store; the driver sends them URLs, never credentials.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from typer.testing import CliRunner

from archiver.cli import app
from archiver.cluster.connect import cluster_client
from archiver.cluster.url_stream import stream_url_list
from archiver.errors import InputNotFoundError, OutputExistsError
from archiver.schema_files import load_schema
from archiver.storage.stores import open_store
from archiver.storage.transfer import PART, copy_new
from archiver.storage.upload import upload_package
from tests.s3_server import S3Server
from tests.server import REPORT_PATH, STORY_PATH, SiteServer

pytest.importorskip("distributed")
pq = pytest.importorskip("pyarrow.parquet")

if True:  # after the skip: Dask is an optional part
    from distributed import Client, LocalCluster

ROOT = Path(__file__).resolve().parent.parent
MARKER = "archiver-complete.json"
SITE = ["--allow-private", "--retries", "0"]
PAGE = Path(__file__).parent.parent / "fixtures" / "site" / "index.html"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def workers(s3: S3Server) -> Iterator[Client]:
    """Two worker processes, started once the S3 environment is set: they inherit it."""
    with cluster_client("local:2") as client:
        yield client


@pytest.fixture(scope="module")
def stored(s3: S3Server, sample_package: Path) -> dict[str, str]:
    """On the S3 server: the sample package (uploaded, marker last), the same package
    without its marker (an upload cut short), and one of its WARCs as a single object."""
    import boto3

    package = s3.url("pkgs/sample")
    upload_package(sample_package, package)
    client = boto3.client("s3", endpoint_url=s3.endpoint, region_name="us-east-1")
    for name in s3.objects("pkgs/sample"):
        if name != MARKER:
            client.copy_object(Bucket=s3.bucket, Key=f"pkgs/cut/{name}",
                               CopySource={"Bucket": s3.bucket, "Key": f"pkgs/sample/{name}"})
    warc = next((sample_package / "data" / "warc").glob("*.warc.gz"))
    client.upload_file(str(warc), s3.bucket, "warcs/sample.warc.gz")
    return {"package": package, "cut": s3.url("pkgs/cut"),
            "warc": s3.url("warcs/sample.warc.gz")}


def _verdicts(out: str) -> list[tuple[str, bool, str, list[Any]]]:
    return [(report["path"], report["valid"], report["verdict"], report["problems"])
            for report in json.loads(out)]


def _fetched(s3: S3Server, prefix: str, into: Path) -> dict[str, bytes]:
    """Every object under `prefix`, read with boto3 (not archiver's reader)."""
    import boto3

    client = boto3.client("s3", endpoint_url=s3.endpoint, region_name="us-east-1")
    found = {}
    for name in s3.objects(prefix):
        found[name] = client.get_object(Bucket=s3.bucket, Key=f"{prefix}/{name}")["Body"].read()
        (into / name).parent.mkdir(parents=True, exist_ok=True)
        (into / name).write_bytes(found[name])
    return found


def _bytes_asked(s3: S3Server, key: str) -> int:
    """How many bytes of the object `key` were asked for, by the ranges of its GETs."""
    asked = 0
    for path, wanted in s3.gets:
        if path.endswith(f"/{key}") and wanted and wanted.startswith("bytes="):
            start, _, end = wanted[len("bytes="):].partition("-")
            asked += int(end) - int(start) + 1
    return asked


def _check_marker(objects: dict[str, bytes]) -> None:
    """The completion marker lists every other object, with its size and SHA-256."""
    marker = json.loads(objects[MARKER])
    jsonschema.validate(marker, load_schema("completion"))
    assert {entry["path"]: (entry["size"], entry["sha256"]) for entry in marker["objects"]} == {
        name: (len(data), hashlib.sha256(data).hexdigest())
        for name, data in objects.items() if name != MARKER}


# -- verify ---------------------------------------------------------------------------------

def test_verify_reads_storage_urls_on_the_workers_as_a_local_run_does(
        workers: Client, stored: dict[str, str], sample_package: Path) -> None:
    paths = [stored["package"], stored["cut"], str(sample_package), stored["warc"]]
    local = run("verify", *paths, "--json")
    spread = run("verify", *paths, "--json", "--cluster", workers.scheduler.address)
    assert local[0] == spread[0] == 1, spread[2]
    assert _verdicts(spread[1]) == _verdicts(local[1])
    verdicts = _verdicts(spread[1])
    assert [valid for _, valid, _, _ in verdicts] == [True, False, True, True]
    assert verdicts[0][0] == stored["package"]
    [problem] = verdicts[1][3]  # no completion marker: incomplete, nothing read
    assert problem["code"] == "incomplete" and "upload did not finish" in problem["message"]
    code, out, err = run("verify", stored["package"], "--record", "--cluster",
                         workers.scheduler.address)
    assert code == 0 and "intact" in out
    assert "not recorded in its custody log" in err


def test_a_bucket_that_does_not_exist_is_the_local_runs_line_and_exit_3(
        workers: Client, sample_package: Path, site: SiteServer, tmp_path: Path) -> None:
    missing = "s3://no-such-bucket/pkg"
    local = run("verify", missing)
    spread = run("verify", missing, "--cluster", workers.scheduler.address)
    assert local[0] == spread[0] == 3
    assert spread[2] == local[2] and spread[2].count("\n") == 1
    assert spread[2].startswith(f"archiver: {missing}: ")
    listed = ["capture", "-i", "s3://no-such-bucket/urls.txt", "-o", str(tmp_path / "pkg")]
    local = run(*listed)
    spread = run(*listed, "--cluster", workers.scheduler.address)
    assert local[0] == spread[0] == 3 and spread[2] == local[2]
    assert "bucket does not exist" in spread[2] and spread[2].count("\n") == 1
    code, _, err = run("extract", str(sample_package), "-o", "s3://no-such-bucket/out",
                       "--cluster", workers.scheduler.address)
    assert code == 3 and err.count("\n") == 1 and "no bucket 'no-such-bucket'" in err
    before = site.hits(STORY_PATH)
    code, _, err = run("capture", site.url(STORY_PATH), "-o", "s3://no-such-bucket/pkg",
                       "--cluster", workers.scheduler.address, "--staging", str(tmp_path),
                       *SITE)
    assert code == 3 and err.count("\n") == 1 and "no bucket 'no-such-bucket'" in err
    assert site.hits(STORY_PATH) == before and list(tmp_path.iterdir()) == []


# -- extract --------------------------------------------------------------------------------

def test_extract_from_storage_to_storage_writes_what_a_local_run_writes(
        workers: Client, s3: S3Server, stored: dict[str, str], tmp_path: Path) -> None:
    paths = [stored["package"], str(PAGE), stored["warc"]]
    local_out = tmp_path / "local"
    local = run("extract", *paths, "-o", str(local_out))
    out = s3.url("extracted/json")
    spread = run("extract", *paths, "-o", out, "--cluster", workers.scheduler.address)
    assert spread[0] == local[0] == 0, spread[2]
    assert f"Written to {out}" in spread[1]
    objects = _fetched(s3, "extracted/json", tmp_path / "copy")
    assert sorted(objects) == sorted([MARKER, *(p.name for p in local_out.iterdir())])
    for path in local_out.glob("*.txt"):
        assert objects[path.name] == path.read_bytes()
    _check_marker(objects)
    # Taken now: refused before any work, nothing written over.
    code, _, err = run("extract", *paths, "-o", out, "--cluster", workers.scheduler.address)
    assert code == 2 and f"{out}: already exists" in err
    assert s3.objects("extracted/json") == {name: len(data) for name, data in objects.items()}


def test_extract_parquet_to_storage_and_from_storage_to_a_shared_folder(
        workers: Client, s3: S3Server, stored: dict[str, str], tmp_path: Path) -> None:
    out = s3.url("extracted/parquet")
    code, _, err = run("extract", stored["package"], str(PAGE), "-o", out, "--format",
                       "parquet", "--cluster", workers.scheduler.address)
    assert code == 0, err
    objects = _fetched(s3, "extracted/parquet", tmp_path / "copy")
    assert sorted(objects) == [MARKER, "part-00000.parquet", "part-00001.parquet"]
    _check_marker(objects)
    (tmp_path / "copy" / MARKER).unlink()
    table = pq.read_table(tmp_path / "copy")
    local = run("extract", stored["package"], "--json")
    assert table.num_rows == len(json.loads(local[1])) + 1
    assert stored["package"] in table.column("package").to_pylist()
    shared = tmp_path / "shared"
    code, _, err = run("extract", stored["package"], "-o", str(shared), "--cluster",
                       workers.scheduler.address)
    assert code == 0, err
    alone = tmp_path / "alone"
    assert run("extract", stored["package"], "-o", str(alone))[0] == 0
    assert {p.name: p.read_bytes() for p in shared.glob("*.txt")} == {
        p.name: p.read_bytes() for p in alone.glob("*.txt")}


def test_an_incomplete_input_is_refused_as_a_local_run_refuses_it(
        workers: Client, s3: S3Server, stored: dict[str, str]) -> None:
    out = s3.url("extracted/from-cut")
    local = run("extract", stored["cut"])
    code, _, err = run("extract", stored["cut"], "-o", out, "--cluster",
                       workers.scheduler.address)
    assert local[0] == code == 1 and err == local[2] and "incomplete" in err
    assert sorted(s3.objects("extracted/from-cut")) == [MARKER]  # the run finished: empty


def test_a_driver_killed_midway_leaves_no_output_that_claims_to_be_complete(
        workers: Client, s3: S3Server, sample_package: Path, tmp_path: Path) -> None:
    out = s3.url("extracted/killed")
    s3.kill_midway(["extract", str(sample_package), str(PAGE), "-o", out, "--cluster",
                    workers.scheduler.address], "extracted/killed", written=1, cwd=tmp_path,
                   repo=ROOT)
    assert MARKER not in s3.objects("extracted/killed")
    code, out_text, _ = run("verify", out)
    assert code == 1 and "upload did not finish" in out_text
    code, _, err = run("extract", str(PAGE), "-o", out, "--cluster", workers.scheduler.address)
    assert code == 2 and "already exists" in err  # what it left is never written over


def test_a_copy_into_place_never_writes_over_an_object(s3: S3Server) -> None:
    """What the driver copies into place is copied exclusively (If-None-Match): a run racing
    another for the same output fails rather than replace what the other wrote."""
    import boto3

    client = boto3.client("s3", endpoint_url=s3.endpoint, region_name="us-east-1")
    client.put_object(Bucket=s3.bucket, Key="race/out/.part-000000-aaaa/00001-a.txt",
                      Body=b"second run")
    client.put_object(Bucket=s3.bucket, Key="race/out/00001-a.txt", Body=b"first run")
    store = open_store(s3.url("race/out"))
    with pytest.raises(OutputExistsError, match="race/out: already exists"):
        copy_new(store, [store.join(".part-000000-aaaa/00001-a.txt")],
                 [store.join("00001-a.txt")])
    assert client.get_object(Bucket=s3.bucket, Key="race/out/00001-a.txt")["Body"].read() == (
        b"first run")
    copy_new(store, [store.join(".part-000000-aaaa/00001-a.txt")], [store.join("00002-a.txt")])
    assert client.get_object(Bucket=s3.bucket, Key="race/out/00002-a.txt")["Body"].read() == (
        b"second run")


def test_workers_without_credentials_stop_the_run_and_leave_nothing_complete(
        s3: S3Server, stored: dict[str, str], sample_package: Path) -> None:
    """The driver has credentials, its workers none: what the workers read and write, they
    reach with their own (nothing of the driver's travels in a task), so each fails as a run
    without credentials fails: one line, exit 3, and no output claims to be complete."""
    bare = {"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "",
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull, "AWS_CONFIG_FILE": os.devnull}
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                      dashboard_address=":0", env=bare) as cluster:
        address = cluster.scheduler_address
        code, _, err = run("verify", stored["package"], "--cluster", address)
        assert code == 3 and err.count("\n") == 1
        assert err.startswith(f"archiver: {stored['package']}: no credentials for the "
                              "storage (")
        out = s3.url("extracted/no-credentials")
        code, _, err = run("extract", str(sample_package), "-o", out, "--cluster", address)
        assert code == 3 and err.count("\n") == 1, err
        assert err.startswith(f"archiver: {out}: no credentials for the storage (")
        assert MARKER not in s3.objects("extracted/no-credentials")


# -- capture --------------------------------------------------------------------------------

def test_capture_from_a_list_on_storage_to_storage_on_the_cluster(
        workers: Client, s3: S3Server, site: SiteServer, tmp_path: Path) -> None:
    import boto3

    boto3.client("s3", endpoint_url=s3.endpoint, region_name="us-east-1").put_object(
        Bucket=s3.bucket, Key="lists/urls.txt",
        Body=f"# sources\n{site.url(STORY_PATH)}\n{site.url(REPORT_PATH)}\n".encode())
    staging = tmp_path / "shared"
    staging.mkdir()
    url = s3.url("captured/on-cluster")
    code, out, err = run("capture", "-i", s3.url("lists/urls.txt"), "-o", url, "--cluster",
                         workers.scheduler.address, "--staging", str(staging), "--batch", "1",
                         "--json", *SITE)
    assert code == 0, err
    summary = json.loads(out)
    assert (summary["package"], summary["captured"], summary["batches"]) == (url, 2, 2)
    assert list(staging.iterdir()) == []  # built there, uploaded, removed
    objects = s3.objects("captured/on-cluster")
    assert MARKER in objects and any(name.startswith("data/warc/") for name in objects)
    order = [path.split("/captured/on-cluster/", 1)[1] for path in s3.puts
             if "/captured/on-cluster/" in path]
    assert order[-2:] == ["tagmanifest-sha256.txt", MARKER]
    code, out, err = run("verify", url)
    assert code == 0 and f"{url}: intact" in out, err


def test_a_remote_cluster_needs_a_shared_staging_folder(
        workers: Client, s3: S3Server, site: SiteServer, tmp_path: Path) -> None:
    before = site.hits(STORY_PATH)
    url = s3.url("captured/no-staging")
    code, _, err = run("capture", site.url(STORY_PATH), "-o", url, "--cluster",
                       workers.scheduler.address, *SITE)
    assert code == 2 and "give that folder with --staging DIR" in err
    code, _, err = run("capture", site.url(STORY_PATH), "-o", str(tmp_path / "pkg"),
                       "--staging", str(tmp_path), *SITE)
    assert code == 2 and "--staging is for -o a storage URL" in err
    code, _, err = run("capture", site.url(STORY_PATH), "-o", url, "--staging",
                       str(tmp_path / "nowhere"), *SITE)
    assert code == 2 and "no such folder" in err
    assert site.hits(STORY_PATH) == before and s3.objects("captured/no-staging") == {}


def test_a_local_cluster_stages_in_the_temporary_folder(s3: S3Server, site: SiteServer) -> None:
    url = s3.url("captured/local-cluster")
    code, out, err = run("capture", site.url(REPORT_PATH), "-o", url, "--cluster", "local:1",
                         *SITE)
    assert code == 0, err
    assert f"Package: {url}" in out and f"archiver verify {url}" in out
    assert "archiver-upload-" not in out  # the scratch copy is named by its URL
    assert MARKER in s3.objects("captured/local-cluster")


def test_a_url_list_on_storage_is_read_as_it_goes(s3: S3Server) -> None:
    """Read in ranged reads as the URLs are wanted: the first URL costs one part of the
    object, not the whole of it."""
    import boto3

    client = boto3.client("s3", endpoint_url=s3.endpoint, region_name="us-east-1")
    lines = [f"https://example.org/sources/page-{number:07d}" for number in range(600_000)]
    body = ("\ufeff# a long list\n" + "\n".join(lines) + "\n").encode()
    assert len(body) > 2 * PART
    client.put_object(Bucket=s3.bucket, Key="lists/long.txt", Body=body)
    s3.gets.clear()
    stream = stream_url_list(s3.url("lists/long.txt"))
    assert next(stream) == lines[0]
    assert 0 < _bytes_asked(s3, "lists/long.txt") <= 2 * PART
    assert list(stream) == lines[1:]
    assert _bytes_asked(s3, "lists/long.txt") >= len(body)
    with pytest.raises(InputNotFoundError, match=r"missing\.txt: no such object"):
        stream_url_list(s3.url("lists/missing.txt"))
    with pytest.raises(InputNotFoundError, match=r"lists: no such file at .* \(a prefix"):
        stream_url_list(s3.url("lists"))
