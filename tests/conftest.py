"""The one helper module of the tests: the test site, packages captured from it, the judges.

Fixtures:

- `site`: the test site (tests/server.py) over HTTP, one per session. `site.url(path)` is an
  absolute URL, `site.hits(path)` how many times the server was asked for it *in this test*
  (counts are reset before each test that uses the site).
- `tls_site`: the same site over HTTPS; `tls_site.ca_file` is the PEM of the CA to trust.
- `any_site`: `site`, then `tls_site`, for a test that must hold over HTTP and HTTPS alike.
- `fresh_site`: a site of its own for one test (connection counts untouched by other tests).
- `sample_package`: a sealed package captured from the site once per session (the story with
  its requisites, the PDF report, a 404 and a redirect). Shared: copy it before damaging it.
- `capture`: `capture(urls, **settings) -> Captured`, a new package in the test's tmp_path,
  already passed by the judges (`warcio check`, bagit-python, the manifest schema).

Every test fails if archiver logged an error (a bug its safety nets turned into an outcome).
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import itertools
import json
import logging
import tempfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import bagit
import fastwarc.cli
import jsonschema
import pytest
import warcio.bufferedreaders
import warcio.cli
from click.testing import CliRunner

from archiver.package.build import PackageResult, create_package
from archiver.schema_files import load_schema, manifest_schema
from archiver.settings import CaptureSettings
from tests import peers
from tests.server import SAMPLE_PATHS, SiteServer
from tests.server import tls_site as start_tls_site

TEST_SETTINGS: dict[str, Any] = {
    "retry_backoff": 0.01,
    "connect_timeout": 2.0,
    "read_timeout": 5.0,
    "resource_timeout": 20.0,
    "gzip_level": 1,
    "allow_private": True,
}
"""Defaults for tests: the same behaviour as a user's, with short waits, and 127.0.0.1 (the
test site) allowed. tests/test_address_policy.py tests the default policy."""


def fast_settings(**overrides: Any) -> CaptureSettings:
    return CaptureSettings(**{**TEST_SETTINGS, **overrides})


def load_script(path: Path) -> ModuleType:
    """A fixture-making script (fixtures/**/make_*.py) loaded as a module, so tests build
    their inputs with the very functions that wrote the committed fixtures."""
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# -- the judges: tools written by others ---------------------------------------------------------


def pytest_configure(config: pytest.Config) -> None:
    """Set up the peers that live outside archiver's environment (pywb, ReplayWeb.page)
    before the test modules are read, since their skip marks look for them."""
    config.stash[_PEER_NOTES] = peers.provide()


def pytest_report_header(config: pytest.Config) -> list[str]:
    return [f"peer {name}: {how}" for name, how in config.stash[_PEER_NOTES].items()]


_PEER_NOTES = pytest.StashKey[dict[str, str]]()


def warcio_check(warc: Path) -> tuple[int, str]:
    """Run `warcio check -v` in this process; return its exit code and output.

    warcio decodes br bodies with the API of the old brotlipy package and crashes with
    Google's brotli (warcio issue #73), which FastWARC installs. Its digest checks never need
    the decoded body, so it runs here without br decoding, as it would without brotli.
    """
    output = io.StringIO()
    code: int | str | None = 0
    decoders = warcio.bufferedreaders.BufferedReader.DECOMPRESSORS
    with contextlib.redirect_stdout(output), _without(decoders, "br"):
        try:
            warcio.cli.main(["check", "-v", str(warc)])
        except SystemExit as done:
            code = done.code
    return int(code or 0), output.getvalue()


@contextlib.contextmanager
def _without(table: dict[str, Any], key: str) -> Iterator[None]:
    saved = table.pop(key, None)
    try:
        yield
    finally:
        if saved is not None:
            table[key] = saved


def fastwarc_check(warc: Path) -> tuple[int, str]:
    """Run `fastwarc check --verify-payloads` in this process (its own command, through
    click's runner); return its exit code and what it printed, every record's verdict
    included. It rejects a WARC-Payload-Digest on any record that is not HTTP."""
    with tempfile.TemporaryDirectory() as scratch:
        details = Path(scratch) / "records.txt"
        result = CliRunner().invoke(fastwarc.cli.main, ["check", "--verify-payloads", "--quiet",
                                                        "--output", str(details), str(warc)])
        verdicts = details.read_text("utf-8") if details.exists() else ""
    return result.exit_code, result.output + verdicts


def assert_standard_tools_accept(package: Path) -> None:
    """warcio check passes on every WARC (every record's digests checked and right), so do
    FastWARC's digest checks, bagit-python validates the bag, and manifest.json is valid
    against its schema."""
    warcs = sorted((package / "data" / "warc").glob("*.warc.gz"))
    assert warcs, f"no WARC in {package}"
    for warc in warcs:
        code, report = warcio_check(warc)
        assert code == 0, report
        records = report.count(" offset ")
        assert records and report.count("digest pass") == records, report
        code, report = fastwarc_check(warc)
        assert code == 0, report
        assert report.count(": OK") == records, report
    bagit.Bag(str(package)).validate()
    manifest = json.loads((package / "manifest.json").read_text("utf-8"))
    jsonschema.validate(manifest, manifest_schema())
    for extraction in sorted((package / "data" / "extract").glob("*.json")):
        jsonschema.validate(json.loads(extraction.read_bytes()), load_schema("extraction"))


# -- reading what was captured --------------------------------------------------------------------


@dataclass
class WarcRecord:
    """One record as stored: its WARC headers and its block, read without archiver's code."""

    headers: dict[str, str]
    block: bytes

    @property
    def http_head(self) -> bytes:
        return self.block[: self.block.index(b"\r\n\r\n") + 4]

    @property
    def payload(self) -> bytes:
        """The bytes after the HTTP header block, exactly as stored (still chunked or gzipped)."""
        return self.block[len(self.http_head):]


def read_record(warc: Path, offset: int) -> WarcRecord:
    """The record in the gzip member at `offset`."""
    inflater = zlib.decompressobj(31)
    data = bytearray()
    with warc.open("rb") as handle:
        handle.seek(offset)
        while not inflater.eof:
            chunk = handle.read(64 * 1024)
            assert chunk, f"{warc}: the gzip member at {offset} is cut short"
            data += inflater.decompress(chunk)
    head_end = data.index(b"\r\n\r\n")
    lines = data[:head_end].decode("utf-8").split("\r\n")
    assert lines[0] == "WARC/1.1", lines[0]
    headers = dict(line.split(": ", 1) for line in lines[1:])
    length = int(headers["Content-Length"])
    block = bytes(data[head_end + 4: head_end + 4 + length])
    assert data[head_end + 4 + length:] == b"\r\n\r\n", "a record ends with two CRLFs"
    return WarcRecord(headers, block)


@dataclass
class Captured:
    """A package made by the `capture` fixture, with ways to look into it by URL."""

    result: PackageResult

    @property
    def path(self) -> Path:
        return self.result.path

    @property
    def manifest(self) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads((self.path / "manifest.json").read_text("utf-8"))
        return loaded

    def source(self, requested_url: str) -> dict[str, Any]:
        found = [s for s in self.manifest["sources"] if s["requested_url"] == requested_url]
        assert len(found) == 1, f"{requested_url} is not one source of {self.path}"
        source: dict[str, Any] = found[0]
        return source

    def resource(self, url: str) -> dict[str, Any]:
        found = [r for r in self.manifest["resources"] if r["url"] == url]
        assert len(found) == 1, f"{url} is not one resource of {self.path}"
        resource: dict[str, Any] = found[0]
        return resource

    @property
    def resource_urls(self) -> set[str]:
        return {r["url"] for r in self.manifest["resources"]}

    def response(self, url: str) -> WarcRecord:
        ref = self.resource(url)["record"]
        assert ref is not None, f"{url} has no record"
        return read_record(self.path / ref["warc_file"], ref["offset"])

    def request(self, url: str) -> WarcRecord:
        ref = self.resource(url)["record"]
        assert ref is not None, f"{url} has no record"
        return read_record(self.path / ref["warc_file"], ref["request_offset"])

    def records(self) -> Iterator[WarcRecord]:
        """Every record of every WARC, in file order."""
        for warc in sorted((self.path / "data" / "warc").glob("*.warc.gz")):
            data = warc.read_bytes()
            offset = 0
            while offset < len(data):
                inflater = zlib.decompressobj(31)
                inflater.decompress(data[offset:])
                yield read_record(warc, offset)
                offset = len(data) - len(inflater.unused_data)


# -- fixtures ------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def site() -> Iterator[SiteServer]:
    with SiteServer() as server:
        yield server


@pytest.fixture(scope="session")
def tls_site() -> Iterator[SiteServer]:
    pytest.importorskip("trustme", reason="trustme (the [test] extra) makes the test CA")
    with start_tls_site() as server:
        yield server


@pytest.fixture(params=["http", "https"])
def any_site(request: pytest.FixtureRequest) -> SiteServer:
    """`site`, then `tls_site`: a test of a fault runs through TLS too. Pass
    `ca_file=any_site.ca_file` to `capture` (None over HTTP)."""
    server: SiteServer = request.getfixturevalue("site" if request.param == "http" else "tls_site")
    server.reset_counts()
    return server


@pytest.fixture
def fresh_site() -> Iterator[SiteServer]:
    with SiteServer() as server:
        yield server


@pytest.fixture(autouse=True)
def _hits_per_test(request: pytest.FixtureRequest) -> None:
    """Hit counts start at zero in each test. Session fixtures (sample_package) are set up
    before this one, so their requests are not counted against the test."""
    for name in ("site", "tls_site"):
        if name in request.fixturenames:
            request.getfixturevalue(name).reset_counts()


@pytest.fixture(autouse=True)
def _own_configuration(tmp_path_factory: pytest.TempPathFactory,
                       monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test has a configuration folder of its own, empty: no user's configuration, key,
    trusted keys or passphrase ever leaks in, and `archiver key new` trusts keys there."""
    home = tmp_path_factory.mktemp("config")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    monkeypatch.delenv("ARCHIVER_CONFIG", raising=False)
    monkeypatch.delenv("ARCHIVER_KEY_PASSPHRASE", raising=False)
    return home / "archiver"


@pytest.fixture(autouse=True)
def _no_unexpected_errors(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """A bug met in one exchange fails only that exchange, and is logged as an error (see
    archiver/capture/job.py): here it fails the test too, so that the job's safety net never
    hides a bug. A test that plants one marks its record `expected_in_test`."""
    yield
    logged = [record for record in caplog.get_records("call")
              if record.name.startswith("archiver") and record.levelno >= logging.ERROR
              and not getattr(record, "expected_in_test", False)]
    assert not logged, [record.getMessage() for record in logged]


@pytest.fixture(scope="module")
def s3() -> Iterator[Any]:
    """A real S3-compatible server (moto's) on 127.0.0.1, the environment pointing at it
    (tests/s3_server.py); one per test module."""
    from tests.s3_server import s3_server

    with s3_server() as server:
        yield server


@pytest.fixture(scope="session")
def cluster() -> Iterator[Any]:
    """A real Dask LocalCluster of two worker processes (docs/cluster.md), its client."""
    pytest.importorskip("distributed")
    from archiver.cluster.connect import cluster_client

    with cluster_client("local:2") as client:
        yield client


@pytest.fixture(scope="session")
def sample_package(site: SiteServer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A sealed package of SAMPLE_PATHS. Shared by every test: copy it before damaging it."""
    output = tmp_path_factory.mktemp("sample") / "sample-package"
    create_package([site.url(path) for path in SAMPLE_PATHS], output, settings=fast_settings())
    assert_standard_tools_accept(output)
    return output


@pytest.fixture
def capture(tmp_path: Path) -> Callable[..., Captured]:
    """`capture(urls, **settings)`: capture into a new package, judge it, return it."""
    serial = itertools.count(1)

    def run(urls: Sequence[str], **settings: Any) -> Captured:
        output = tmp_path / f"package-{next(serial)}"
        result = create_package(list(urls), output, settings=fast_settings(**settings))
        assert_standard_tools_accept(output)
        return Captured(result)

    return run
