"""Capture on a Dask cluster (issue 16 §1): a real LocalCluster of two worker processes and the
real test site on 127.0.0.1. A package sealed on the cluster passes the same judges as a
local one (warcio, FastWARC, bagit-python, the schema, archiver verify)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

pytest.importorskip("distributed")

from archiver.cli import app, read_url_list
from archiver.cluster.capture_driver import create_package_on_cluster
from archiver.cluster.connect import cluster_client
from archiver.cluster.url_stream import stream_url_list
from archiver.errors import ClusterUnavailable
from archiver.package.build import create_package
from archiver.package.manifest import dump_manifest
from archiver.package.manifest_stream import write_manifest_streaming
from archiver.package.text_index import package_resources, write_text_index
from tests.conftest import assert_standard_tools_accept, fast_settings
from tests.server import SAMPLE_PATHS, SiteServer

if True:  # after the skip: Dask is an optional part
    from distributed import Client


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def _shape(value: Any) -> Any:
    """The structure of a JSON value: its keys and the types of its leaves."""
    if isinstance(value, dict):
        return {key: _shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_shape(value[0])] if value else []
    return type(value).__name__


def test_a_cluster_package_cannot_be_told_from_a_local_one(
        cluster: Client, site: SiteServer, tmp_path: Path) -> None:
    urls = [site.url(path) for path in SAMPLE_PATHS]
    listed = tmp_path / "urls.txt"
    listed.write_text("# the sample\n" + "\n".join(urls) + "\n", encoding="utf-8")
    local = tmp_path / "local"
    made = create_package(urls, local, settings=fast_settings())
    on_cluster = tmp_path / "cluster"
    # --no-browser: the local run's settings (fast_settings) are plain HTTP too; automatic
    # mode on a cluster is tests/test_cluster_browser.py's
    code, out, err = run("capture", "-i", str(listed), "-o", str(on_cluster), "--cluster",
                         cluster.scheduler.address, "--batch", "2", "--allow-private",
                         "--no-browser", "--json")
    assert code == 0, err
    summary = json.loads(out)
    assert (summary["sources"], summary["captured"], summary["complete"], summary["batches"]
            ) == (4, 4 - len(made.capture.failed), made.is_complete, 2)
    assert_standard_tools_accept(on_cluster)
    mine, theirs = (json.loads((path / "manifest.json").read_text("utf-8"))
                    for path in (on_cluster, local))
    assert mine.keys() == theirs.keys()
    assert _shape(mine["sources"]) == _shape(theirs["sources"])
    assert _shape(mine["resources"][0]) == _shape(theirs["resources"][0])
    assert _shape(mine["provenance"]) == _shape(theirs["provenance"])
    assert ([(s["requested_url"], s["outcome"], s["status"], s["payload_sha256"])
             for s in mine["sources"]]
            == [(s["requested_url"], s["outcome"], s["status"], s["payload_sha256"])
                for s in theirs["sources"]])
    # Two batches: a requisite both need is fetched by each (docs/cluster.md), so there may
    # be more resources; the same URLs, and the same documents extracted.
    assert {r["url"] for r in mine["resources"]} == {r["url"] for r in theirs["resources"]}
    assert sorted(len(r["derived"]) for r in mine["resources"] if r["derived"]) == sorted(
        len(r["derived"]) for r in theirs["resources"] if r["derived"])
    # Named by the resource's place in the job, which the order responses arrive in decides
    # (locally too): the same files, perhaps numbered otherwise.
    assert sorted(path.name.partition("-")[2] for path in (on_cluster / "data" / "extract")
                  .iterdir()) == sorted(path.name.partition("-")[2]
                                        for path in (local / "data" / "extract").iterdir())
    assert [p.name for p in on_cluster.iterdir()] and {p.name for p in on_cluster.iterdir()} == {
        p.name for p in local.iterdir()}
    for package in (local, on_cluster):
        code, out, err = run("verify", str(package))
        assert code == 0, out + err
    assert not list(tmp_path.glob(".cluster.partial-*"))
    # The text index, made batch by batch as the driver took them in, is the index made
    # again from the sealed package's manifest.json (derived data).
    resources, package_id, index_path = package_resources(on_cluster)
    assert index_path is not None and mine["text_index"]["documents"] > 0
    again = tmp_path / "again.sqlite3"
    write_text_index(on_cluster, resources, package_id, again)
    rows = []
    for path in (on_cluster / index_path, again):
        with contextlib.closing(sqlite3.connect(path)) as db:
            rows.append(db.execute("SELECT * FROM documents ORDER BY id").fetchall())
    assert rows[0] == rows[1]


def test_the_per_host_limit_holds_across_the_cluster(cluster: Client, fresh_site: SiteServer,
                                                     tmp_path: Path) -> None:
    """Two workers with four fetches each would open eight connections to the site; the
    limit of two holds for the whole cluster."""
    urls = [fresh_site.url(f"/delay/page{number}?ms=250") for number in range(16)]
    result = create_package_on_cluster(
        cluster, iter(urls), tmp_path / "pkg", batch_size=4,
        settings=fast_settings(per_host=2, concurrency=4, requisites=False))
    assert result.captured == 16
    assert fresh_site.max_in_flight == 2


def _leases_kept_after_four_exchanges(urls: list[str], job_id: str) -> tuple[int, int]:
    """On a worker: four exchanges at once with one site through the cluster-wide limit
    (four leases of the host), then what the worker keeps idle and what the scheduler
    counts as held."""
    from concurrent.futures import ThreadPoolExecutor

    from distributed import get_client

    from archiver.capture.http_transport import HttpTransport
    from archiver.capture.transport import Request
    from archiver.cluster.host_limit import ClusterHostLimit, HostLimitedTransport

    limit = ClusterHostLimit(job_id, per_host=4)
    transport = HostLimitedTransport(HttpTransport(fast_settings()), limit, hold=30)
    try:
        with ThreadPoolExecutor(4) as pool:
            for exchange in pool.map(lambda url: transport.fetch(Request(url)), urls):
                exchange.close()
        name = limit.semaphore_for(urls[0]).name
        kept = len(transport._idle.get(name, []))

        def held(dask_scheduler: Any) -> int:
            return len(dask_scheduler.extensions["semaphores"].leases[name])

        return kept, int(get_client().run_on_scheduler(held))
    finally:
        transport.close()


def test_a_worker_keeps_only_its_share_of_a_hosts_leases(cluster: Client,
                                                         fresh_site: SiteServer) -> None:
    """With two workers and four leases for a host, a worker keeps two between its
    exchanges (its share) and hands the others back at once, so that the other worker is
    not left waiting on leases nobody uses while this one works on other things."""
    urls = [fresh_site.url(f"/delay/share{number}?ms=1000") for number in range(4)]
    kept, held = cluster.submit(_leases_kept_after_four_exchanges, urls, "share-test",
                                pure=False).result(timeout=60)
    assert fresh_site.max_in_flight == 4  # alone, the worker used every lease
    assert (kept, held) == (2, 2)


def test_the_url_list_is_read_as_locally(tmp_path: Path) -> None:
    listed = tmp_path / "urls.txt"
    listed.write_text("\ufeff# comment\nhttps://a.example/ # note\n\n  b.example  \n#x\n",
                      encoding="utf-8")
    assert list(stream_url_list(listed)) == read_url_list(listed)


def test_manifest_written_as_it_streams_is_byte_for_byte_the_same(
        sample_package: Path, tmp_path: Path) -> None:
    manifest = json.loads((sample_package / "manifest.json").read_text("utf-8"))
    written = write_manifest_streaming(tmp_path, manifest, {
        "sources": iter(manifest["sources"]), "resources": iter(manifest["resources"]),
        "signatures": iter([])})
    assert (tmp_path / "manifest.json").read_bytes() == dump_manifest(manifest)
    assert written.size == len(dump_manifest(manifest))


def test_an_unreachable_scheduler_is_one_clear_error() -> None:
    with pytest.raises(ClusterUnavailable, match=r"^--cluster tcp://127\.0\.0\.1:9: cannot "
                       "reach the scheduler"), cluster_client("tcp://127.0.0.1:9", timeout=1):
        pass


def test_a_bad_local_worker_count_is_a_usage_error(tmp_path: Path) -> None:
    code, _, err = run("capture", "https://example.org/", "-o", str(tmp_path / "p"),
                       "--cluster", "local:many")
    assert code == 2
    assert err.strip().splitlines() == [
        "archiver: --cluster local:many: give local, local:N (N workers, 1 to 256) or a "
        "scheduler's address such as tcp://HOST:8786"]
    assert not (tmp_path / "p").exists()


def test_without_dask_the_cluster_option_says_how_to_install_it(tmp_path: Path) -> None:
    script = ("import sys; sys.modules['distributed'] = None; from archiver.cli import main; "
              f"sys.argv = ['archiver', 'capture', 'https://example.org/', '-o', "
              f"{str(tmp_path / 'p')!r}, '--cluster', 'local:1']; main()")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 3
    assert done.stderr.strip().splitlines() == [
        "archiver: --cluster local:1: Dask distributed is not installed; install it with "
        "pip install 'archiver[cluster]'"]


def test_a_worker_killed_mid_job_loses_nothing(cluster: Client, fresh_site: SiteServer,
                                                tmp_path: Path) -> None:
    """One worker is killed (SIGKILL) while it fetches: its batch runs again on the other,
    and the package names no file the dead worker wrote. (Last: the nanny restarts it.)"""
    urls = [fresh_site.url(f"/delay/slow{number}?ms=700") for number in range(12)]
    output = tmp_path / "pkg"
    outcome: dict[str, Any] = {}

    def capture() -> None:
        try:
            outcome["result"] = create_package_on_cluster(
                cluster, iter(urls), output, batch_size=3,
                settings=fast_settings(per_host=6, concurrency=3, requisites=False))
        except BaseException as error:  # handed to the test's thread
            outcome["error"] = error

    worker = threading.Thread(target=capture)
    worker.start()
    pids = cluster.run(os.getpid)
    victim = None
    deadline = time.monotonic() + 60
    while victim is None and time.monotonic() < deadline:
        busy = [address for address, keys in cluster.processing().items() if keys]
        if busy and fresh_site.log.in_flight:
            victim = pids[busy[0]]
        else:
            time.sleep(0.05)
    assert victim is not None
    os.kill(victim, signal.SIGKILL)
    worker.join(180)
    assert "error" not in outcome, outcome.get("error")
    result = outcome["result"]
    assert (result.sources, result.captured) == (12, 12)
    assert_standard_tools_accept(output)
    named = {entry["path"] for entry in
             json.loads((output / "manifest.json").read_text("utf-8"))["files"]}
    on_disk = {str(path.relative_to(output)) for path in (output / "data").rglob("*")
               if path.is_file()}
    assert on_disk == named
    code, out, err = run("verify", str(output))
    assert code == 0, out + err
    assert not list(tmp_path.glob(".pkg.partial-*"))


def _loaded(modules: tuple[str, ...]) -> list[str]:
    return [name for name in modules if name not in sys.modules]


def test_local_workers_start_with_archivers_code_loaded() -> None:
    """`--cluster local` workers load the code of a batch as they start (the preload
    module docs/cluster.md gives for `dask worker`), before their first batch."""
    from archiver.cluster.preload import MODULES

    with cluster_client("local:1") as client:
        missing = client.run(_loaded, MODULES)
    assert list(missing.values()) == [[]]


def test_a_batch_done_fetching_makes_room_for_the_next(site: SiteServer, tmp_path: Path) -> None:
    """On a worker of one task slot, a batch whose fetches are done leaves the slot while it
    extracts its documents and closes its WARC file, so the next batch fetches meanwhile
    (bench/RESULTS.md: what this keeps of local speed). Seen in Dask's own task stream: the
    second batch starts before the first has returned."""
    from distributed import get_task_stream

    from archiver.cluster.capture_batch import CaptureBatch, capture_batch
    from tests.server import REPORT_PATH

    parts = tmp_path / "parts"
    parts.mkdir()
    settings = fast_settings(requisites=False)
    reports = [site.url(f"{REPORT_PATH}?copy={number}") for number in range(12)]
    batches = [CaptureBatch(number, urls, str(parts), "pkg-slot-test", "slot", {}, settings)
               for number, urls in enumerate([reports, [site.url(SAMPLE_PATHS[0])]])]
    with cluster_client("local:1") as client, get_task_stream(client) as stream:
        futures = [client.submit(capture_batch, batch, pure=False) for batch in batches]
        results = client.gather(futures)
    assert [len(result.sources) for result in results] == [12, 1]
    spans = {}
    for task in stream.data:
        if task["key"] in {future.key for future in futures}:
            computed = [span for span in task["startstops"] if span["action"] == "compute"]
            spans[task["key"]] = (computed[0]["start"], computed[-1]["stop"])
    first, second = (spans[future.key] for future in futures)
    assert second[0] < first[1]


def test_a_worker_fetches_a_requisite_its_batches_share_once(site: SiteServer,
                                                              tmp_path: Path) -> None:
    """Three pages of one site, each its own batch on one worker, load the same stylesheet:
    it is fetched once for the package, as a local run fetches it, and the package is
    whole (its pages and the stylesheet's one response verify)."""
    from warcio.archiveiterator import ArchiveIterator

    from archiver.verification.api import check

    pages = ["/story/water-meters.html", "/sources/smartflow-press-release.html",
             "/sources/smartflow-field-memos.html"]
    with cluster_client("local:1") as client:
        result = create_package_on_cluster(
            client, iter([site.url(path) for path in pages]), tmp_path / "pkg", batch_size=1,
            settings=fast_settings())
    assert result.captured == 3 and result.batches == 3
    fetched = []
    for warc in sorted((tmp_path / "pkg" / "data" / "warc").glob("*.warc.gz")):
        with warc.open("rb") as stream:
            fetched += [record.rec_headers.get_header("WARC-Target-URI")
                        for record in ArchiveIterator(stream) if record.rec_type == "response"]
    assert fetched.count(site.url("/static/css/story.css")) == 1
    assert check(tmp_path / "pkg").is_valid


def test_a_worker_that_cannot_see_the_package_folder_says_so(cluster: Client, site: SiteServer,
                                                             tmp_path: Path) -> None:
    """The driver builds the package in a folder every worker must share; a worker that
    cannot see it (a local path on another machine) stops the run with one line naming the
    worker and what to do, not a bare "no such file"."""
    from archiver.cluster.capture_batch import CaptureBatch, capture_batch
    from archiver.errors import EnvironmentFault

    batch = CaptureBatch(0, [site.url(SAMPLE_PATHS[0])], str(tmp_path / "not-shared" / "parts"),
                         "pkg-unshared", "unshared", {}, fast_settings())
    with pytest.raises(EnvironmentFault) as raised:
        cluster.submit(capture_batch, batch, pure=False).result(timeout=60)
    message = str(raised.value)
    assert message.startswith("a worker of the cluster (on ")
    assert "cannot see the folder the package is built in" in message
    assert "--staging" in message and "nothing was sealed" in message
    assert not (tmp_path / "not-shared").exists()
