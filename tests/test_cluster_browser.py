"""What a local capture does, on a Dask cluster too (issue 16): --browser, the default
automatic mode, and --dedup, run by the workers of a real LocalCluster against the real test
sites on 127.0.0.1, with the system's Chromium in the workers (skipped, with the reason, where
there is none) and with a worker whose environment names no Chromium."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bagit
import pytest
from typer.testing import CliRunner

pytest.importorskip("distributed")

from archiver.capture.browser.chromium import ENVIRONMENT_VARIABLE
from archiver.cli import app
from archiver.cluster.capture_driver import create_package_on_cluster
from archiver.cluster.connect import LOCAL_CONFIG
from archiver.collection.build import index_packages
from archiver.replay import start_replay
from archiver.verification.api import check
from tests.conftest import assert_standard_tools_accept, fast_settings, read_record, warcio_check
from tests.server import REPORT_PATH, STORY_PATH, SiteServer
from tests.test_browser_auto import AUTO, mixed_site  # noqa: F401  (a fixture)
from tests.test_browser_capture import LIMITS, needs_chromium
from tests.test_dedup import NEW_PAGE, PROFILE
from tests.test_replay import get, needs_pywb

if True:  # after the skip: Dask is an optional part
    from distributed import Client


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def manifest(package: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((package / "manifest.json").read_text("utf-8"))
    return loaded


def source(package: Path, requested_url: str) -> dict[str, Any]:
    [found] = [s for s in manifest(package)["sources"] if s["requested_url"] == requested_url]
    return found


def resources(package: Path, url: str) -> list[dict[str, Any]]:
    return [r for r in manifest(package)["resources"] if r["url"] == url]


def assert_every_file_is_named(package: Path) -> None:
    """What is under data/ is what manifest.json lists: nothing a worker wrote is stray."""
    named = {entry["path"] for entry in manifest(package)["files"]}
    on_disk = {str(path.relative_to(package)) for path in (package / "data").rglob("*")
               if path.is_file()}
    assert on_disk == named


@pytest.fixture(scope="module")
def chromeless(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A cluster of one worker whose environment names a Chromium that is not there (as a
    machine without one): its scheduler's address."""
    import dask
    import distributed

    missing = tmp_path_factory.mktemp("chromeless") / "no-such-chromium"
    with dask.config.set(LOCAL_CONFIG):
        cluster = distributed.LocalCluster(
            n_workers=1, threads_per_worker=1, processes=True, dashboard_address=":0",
            silence_logs=logging.CRITICAL, env={ENVIRONMENT_VARIABLE: str(missing)})
    with cluster:
        yield cluster.scheduler_address


# -- --browser ---------------------------------------------------------------------------

@needs_chromium
def test_a_browser_capture_on_the_cluster_verifies_with_the_rendered_text(
        cluster: Client, mixed_site: SiteServer, tmp_path: Path) -> None:  # noqa: F811
    """Two batches, on two workers, each with its own Chromium: the attachments and texts
    of both are moved into the package and numbered as a local run numbers them."""
    article, static = mixed_site.url("/article.html"), mixed_site.url("/news_story.html")
    output = tmp_path / "pkg"
    code, out, err = run("capture", article, static, "-o", str(output), "--browser",
                         "--cluster", cluster.scheduler.address, "--batch", "1",
                         "--allow-private", "--json")
    assert code == 0, out + err
    assert json.loads(out)["batches"] == 2
    assert_standard_tools_accept(output)
    code, out, err = run("verify", str(output))
    assert code == 0, out + err
    assert_every_file_is_named(output)

    assert source(output, article)["outcome"] == "captured"
    [page] = resources(output, article)
    kinds = {entry["kind"]: entry["path"] for entry in page["derived"]}
    assert {"screenshot", "pdf", "rendered-dom", "text"} <= set(kinds)
    assert kinds["screenshot"].startswith("data/browser/")
    assert "412 water meters reading backwards" in (output / kinds["text"]).read_text("utf-8")
    # each derived file names the record that holds the same bytes, in the package's WARCs
    for entry in page["derived"]:
        record = read_record(output / entry["record"]["warc_file"], entry["record"]["offset"])
        assert record.headers["WARC-Record-ID"] == entry["record"]["record_id"]
    numbers = sorted(int(Path(entry["path"]).name.partition("-")[0])
                     for item in manifest(output)["resources"] for entry in item["derived"])
    assert len(set(numbers)) > 1  # the second batch's files renumbered past the first's
    assert not list(tmp_path.glob(".pkg.partial-*"))


@needs_chromium
def test_the_per_host_limit_holds_for_browser_tabs_across_the_cluster(
        cluster: Client, fresh_site: SiteServer, tmp_path: Path) -> None:
    """Two workers, each with a browser of its own, load pages of one site: with a limit of
    one, never two of them at once, as on one machine."""
    urls = [fresh_site.url(f"/delay/tab{number}?ms=800") for number in range(4)]
    result = create_package_on_cluster(
        cluster, iter(urls), tmp_path / "pkg", batch_size=2,
        settings=fast_settings(per_host=1, browser=LIMITS, requisites=False))
    assert (result.sources, result.captured) == (4, 4)
    kinds = {entry["kind"] for item in manifest(tmp_path / "pkg")["resources"]
             for entry in item["derived"]}
    assert "screenshot" in kinds  # loaded in the browsers, not fetched over plain HTTP
    assert fresh_site.log.max_delayed == 1


def test_browser_on_a_worker_without_chromium_stops_the_run_with_one_line(
        chromeless: str, mixed_site: SiteServer, tmp_path: Path) -> None:  # noqa: F811
    output = tmp_path / "pkg"
    code, out, err = run("capture", mixed_site.url("/article.html"), "-o", str(output),
                         "--browser", "--cluster", chromeless, "--allow-private")
    assert code == 3, out + err
    [line] = err.strip().splitlines()
    assert line.startswith("archiver: --browser: a worker of the cluster (on ")
    assert "cannot run Chromium: the Chromium named by ARCHIVER_CHROMIUM" in line
    assert "no-such-chromium" in line and "apt install chromium" in line
    assert line.endswith("nothing was sealed")
    assert not output.exists() and not list(tmp_path.glob(".pkg.partial-*"))


# -- automatic mode ----------------------------------------------------------------------

@needs_chromium
def test_auto_mode_on_the_cluster_loads_the_script_built_page_in_chromium(
        cluster: Client, mixed_site: SiteServer, tmp_path: Path) -> None:  # noqa: F811
    article, static = mixed_site.url("/article.html"), mixed_site.url("/news_story.html")
    output = tmp_path / "pkg"
    result = create_package_on_cluster(cluster, iter([article, static]), output,
                                       batch_size=1, settings=fast_settings(browser=AUTO))
    loaded_with = source(output, article)
    assert loaded_with["captured_with"] == "browser"
    assert loaded_with["captured_with_reason"].startswith("built by script: ")
    assert (result.sources, result.captured, result.browser_wanted_count) == (2, 2, 0)
    assert_standard_tools_accept(output)
    report = check(output)
    assert report.is_valid, [str(problem) for problem in report.problems]
    assert_every_file_is_named(output)
    shell, loaded = resources(output, article)  # the HTTP exchange stays, as evidence
    assert shell["derived"] == [] and "loaded again in the browser" in shell["notes"][0]
    assert loaded_with["record"] == loaded["record"] != shell["record"]
    kinds = {entry["kind"]: entry["path"] for entry in loaded["derived"]}
    assert {"screenshot", "rendered-dom", "text"} <= set(kinds)
    assert "412 water meters reading backwards" in (output / kinds["text"]).read_text("utf-8")

    plain = source(output, static)
    assert plain["captured_with"] == "http"
    assert plain["captured_with_reason"].startswith("not built by script: ")
    assert manifest(output)["settings"]["browser"]["when"] == "script-built"


def test_auto_mode_on_a_worker_without_chromium_keeps_the_http_capture_and_says_so(
        chromeless: str, mixed_site: SiteServer, tmp_path: Path) -> None:  # noqa: F811
    article, static = mixed_site.url("/article.html"), mixed_site.url("/news_story.html")
    output = tmp_path / "pkg"
    code, out, err = run("capture", article, static, "-o", str(output), "--cluster",
                         chromeless, "--allow-private")
    assert code == 0, out + err
    [note] = [line for line in out.splitlines() if line.startswith("note:")]
    assert "1 page(s) are built by script" in note and article in note
    assert "no-such-chromium" in note and "apt install chromium" in note
    assert source(output, article)["captured_with"] == "http"
    assert "no browser to load it" in source(output, article)["captured_with_reason"]
    assert source(output, static)["captured_with"] == "http"
    assert check(output).is_valid

    code, out, err = run("capture", article, "-o", str(tmp_path / "pkg2"), "--cluster",
                         chromeless, "--allow-private", "--json")
    assert code == 0, out + err
    wanted = json.loads(out)["browser_wanted"]
    assert (wanted["pages"], wanted["count"]) == ([article], 1)
    assert "no-such-chromium" in wanted["reason"]


# -- --dedup -----------------------------------------------------------------------------

@dataclass
class Deduped:
    first: Path
    second: Path
    automatic: Path
    """The story and a PDF captured again on the cluster in automatic mode."""
    story_url: str
    new_url: str
    report_url: str


@pytest.fixture(scope="module")
def deduped(cluster: Client, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deduped]:
    """The story and a report captured on this machine and indexed; then, on the cluster
    under --dedup, in two batches: the story and a page not seen before over plain HTTP,
    and the story and the report in automatic mode; the site is stopped before anything is
    read back."""
    root = tmp_path_factory.mktemp("cluster-dedup")
    with SiteServer() as site:
        story, new, report = site.url(STORY_PATH), site.url(NEW_PAGE), site.url(REPORT_PATH)
        code, out, err = run("capture", story, report, "-o", str(root / "first"),
                             "--allow-private")
        assert code == 0, out + err
        assert index_packages([root / "first"], root / "c.db").problems == []
        on_cluster = ["--allow-private", "--dedup", str(root / "c.db"), "--cluster",
                      cluster.scheduler.address, "--batch", "1"]
        code, out, err = run("capture", story, new, "-o", str(root / "second"), "--no-browser",
                             *on_cluster)
        assert code == 0, out + err
        code, out, err = run("capture", story, report, "-o", str(root / "automatic"),
                             *on_cluster)
        assert code == 0, out + err
    yield Deduped(root / "first", root / "second", root / "automatic", story, new, report)


def test_dedup_on_the_cluster_writes_revisits_of_the_first_capture(deduped: Deduped) -> None:
    first_id = manifest(deduped.first)["package_id"]
    [original] = resources(deduped.first, deduped.story_url)
    [again] = resources(deduped.second, deduped.story_url)
    assert again["revisit"] == {"package": first_id,
                                "record_id": original["record"]["record_id"],
                                "target_uri": deduped.story_url,
                                "date": original["captured_at"],
                                "warc_file": original["record"]["warc_file"]}
    assert again["derived"] == []
    record = read_record(deduped.second / again["record"]["warc_file"],
                         again["record"]["offset"])
    assert record.headers["WARC-Type"] == "revisit"
    assert record.headers["WARC-Profile"] == PROFILE
    assert record.headers["WARC-Refers-To"] == original["record"]["record_id"]
    assert record.payload == b""
    [new] = resources(deduped.second, deduped.new_url)  # not seen before: stored whole
    assert "revisit" not in new and new["derived"]


def test_dedup_in_automatic_mode_on_the_cluster_keeps_each_page_whole(
        deduped: Deduped) -> None:
    """As locally: each web page asked for is judged from its stored body, so is stored
    whole; its requisites and the PDF asked for are revisits."""
    document = manifest(deduped.automatic)
    [page] = resources(deduped.automatic, deduped.story_url)
    assert "revisit" not in page and page["derived"]
    [report] = resources(deduped.automatic, deduped.report_url)
    assert report["revisit"]["package"] == manifest(deduped.first)["package_id"]
    requisites = [r for r in document["resources"]
                  if r["role"] == "requisite" and r["outcome"] == "captured"]
    assert requisites and all(r.get("revisit") for r in requisites)
    assert {s["captured_with"] for s in document["sources"]} == {"http"}
    code, out, err = run("verify", str(deduped.automatic))
    assert code == 0, out + err


def test_a_cluster_dedup_package_verifies_as_a_local_one(deduped: Deduped) -> None:
    document = manifest(deduped.second)
    revisits = sum("revisit" in item for item in document["resources"])
    assert revisits >= 2  # the story and its requisites
    warcs = sorted((deduped.second / "data" / "warc").glob("*.warc.gz"))
    assert len(warcs) == 2  # one per batch
    checked = 0
    for warc in warcs:
        code, report = warcio_check(warc)
        assert code == 0, report
        checked += report.count("not checked (revisit)")
    assert checked == revisits
    bagit.Bag(str(deduped.second)).validate()
    assert_every_file_is_named(deduped.second)
    code, out, err = run("verify", str(deduped.second), "--json")
    assert code == 0, out + err
    [report] = json.loads(out)
    assert report["verdict"] == "intact"
    [note] = [note for note in report["notes"] if note["code"] == "revisit-records"]
    assert manifest(deduped.first)["package_id"] in note["message"]
    assert f"{revisits} responses are written as revisit records" in note["message"]


@needs_pywb
def test_replay_shows_a_page_a_worker_wrote_as_a_revisit(deduped: Deduped) -> None:
    [again] = resources(deduped.second, deduped.story_url)
    [original] = resources(deduped.first, deduped.story_url)
    when = "".join(c for c in again["captured_at"] if c.isdigit())[:14]
    body = read_record(deduped.first / original["record"]["warc_file"],
                       original["record"]["offset"]).payload
    with start_replay([deduped.second, deduped.first]) as server:
        reply = get(server.replay_url(deduped.story_url, when, "id_"))
        assert (reply.status, reply.body) == (200, body)


def test_a_collection_a_worker_cannot_open_names_the_worker(cluster: Client, site: SiteServer,
                                                            tmp_path: Path) -> None:
    """A library user's --dedup collection that is not on the workers' storage: the run
    stops with one error that says a worker could not open it, and nothing is sealed."""
    from archiver.errors import CollectionUnreadable

    missing = tmp_path / "elsewhere" / "c.db"
    with pytest.raises(CollectionUnreadable) as raised:
        create_package_on_cluster(cluster, iter([site.url(STORY_PATH)]), tmp_path / "pkg",
                                  settings=fast_settings(dedup=missing))
    message = str(raised.value)
    assert message.startswith(f"--dedup {missing}: a worker of the cluster (on ")
    assert "every worker shares" in message and "\n" not in message
    assert not (tmp_path / "pkg").exists()
