"""The pywb side of `archiver replay`: a script run in its own process, by a Python that has pywb.

archiver never imports pywb. pywb pins packages archiver cannot live with (brotlipy, which
shadows the `brotli` module archiver decodes with; exact versions of werkzeug and redis;
pyOpenSSL, which caps cryptography), it monkeypatches the whole process for gevent at import,
and it is GPL-licensed. So it runs here, in a child process started by
`archiver.replay.server` with the interpreter of pywb's own environment; the two talk through
a work directory and one line on stdout. Of archiver, it loads only response_guard.py (from
beside this file: it needs nothing but the standard library), which has the last word on the
headers of every response, so that no replayed page reaches the live web.

    python pywb_child.py WORKDIR

WORKDIR/replay.json names the collection, the WARC files with the byte ranges of their
records that archiver found readable (archiver.replay.warc_scan), their directory, the address
to bind, and the parent's process id. The child indexes those ranges with pywb's own indexer,
serves the collection in archival mode only (no live web, no proxy, no recording), prints
`{"port": N, "indexed": N, "unindexed": [...]}` once it listens, and exits when its parent is
gone or on SIGTERM.
"""

from __future__ import annotations

import importlib
import io
import json
import os
import sys
from pathlib import Path
from typing import Any

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
PARENT_CHECK_SECONDS = 1.0
MAX_REPORTED = 100
"""Records pywb could not index named back to archiver; the rest are counted."""


def main(workdir: Path) -> None:
    # gevent must patch the standard library before pywb (or anything using sockets) loads.
    _module("gevent.monkey").patch_all()
    _allow_loopback_only()
    job = json.loads((workdir / "replay.json").read_text("utf-8"))
    index = workdir / "index.cdxj"
    report = _write_index(index, job["warcs"])
    app = _make_app(workdir, job, index)
    _serve(app, job, report)


def _module(name: str) -> Any:
    # By name: pywb and gevent exist only in pywb's environment, never in archiver's.
    return importlib.import_module(name)


def _allow_loopback_only() -> None:
    """Refuse any name lookup or connection that is not to this machine.

    pywb is configured with no live-web collection, so nothing should ever try; this makes
    sure of it. The replay promises never to fetch from the original site, and a lookup of a
    site's name would already tell a resolver what is being looked at. pywb itself talks to
    its own internal index server on localhost, which stays allowed.
    """
    import ipaddress
    import socket

    real_getaddrinfo = socket.getaddrinfo
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def is_loopback(host: Any) -> bool:
        if not isinstance(host, str):
            return False
        if host in LOOPBACK_NAMES:
            return True
        try:
            return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
        except ValueError:
            return False

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host is not None and not is_loopback(host):
            raise socket.gaierror(socket.EAI_NONAME, f"replay never looks up {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    def check(address: Any) -> None:
        if isinstance(address, tuple) and not is_loopback(address[0]):
            raise ConnectionRefusedError(f"replay never connects to {address[0]!r}")

    def connect(self: socket.socket, address: Any) -> None:
        check(address)
        real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        check(address)
        return real_connect_ex(self, address)

    socket.getaddrinfo = getaddrinfo
    socket.socket.connect = connect  # type: ignore[method-assign, assignment]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign, assignment]


def _write_index(index: Path, warcs: list[dict[str, Any]]) -> dict[str, Any]:
    """A sorted CDXJ of the byte ranges archiver found readable in each WARC, by pywb's own
    indexer (the index pywb expects). A range pywb still cannot read is left out and named;
    the rest is indexed. What was indexed and what was not goes back to archiver."""
    lines: list[bytes] = []
    unindexed: list[dict[str, Any]] = []
    for warc in warcs:
        path = Path(warc["path"])
        with path.open("rb") as handle:
            for run in _runs(warc["ranges"]):
                _index_run(handle, path.name, run, lines, unindexed)
    lines.sort()  # as bytes: the order of pywb's binary search
    index.write_bytes(b"".join(lines))
    return {"indexed": len(lines), "unindexed": unindexed[:MAX_REPORTED],
            "unindexed_total": len(unindexed)}


def _runs(ranges: list[list[int]]) -> list[list[list[int]]]:
    """Adjacent ranges joined: each run is read in one go, as pywb reads a whole file."""
    runs: list[list[list[int]]] = []
    for start, end in ranges:
        if runs and runs[-1][-1][1] == start:
            runs[-1].append([start, end])
        else:
            runs.append([[start, end]])
    return runs


def _index_run(handle: Any, name: str, run: list[list[int]], lines: list[bytes],
               unindexed: list[dict[str, Any]]) -> None:
    found, error = _index_window(handle, name, run[0][0], run[-1][1])
    if error is None:
        lines.extend(found)
        return
    for start, end in run:  # one record at a time, to find the one pywb cannot read
        found, error = _index_window(handle, name, start, end)
        if error is None:
            lines.extend(found)
        else:
            unindexed.append({"warc": name, "offset": start,
                              "reason": f"pywb cannot read it ({error[:200]})"})


def _index_window(handle: Any, name: str, start: int, end: int) -> tuple[list[bytes], str | None]:
    """The index lines of the records in bytes [start, end) of a WARC, or what went wrong."""
    parser = _module("pywb.indexer.archiveindexer").DefaultRecordParser(cdxj=True)
    writer_class = _module("pywb.indexer.cdxindexer").get_cdx_writer_cls({"cdxj": True})
    out = io.BytesIO()
    try:
        with writer_class(out) as writer:
            for entry in parser(_Window(handle, start, end)):
                writer.write(entry, name)
    except Exception as error:  # anything pywb raises on a record it cannot read
        return [], " ".join(f"{type(error).__name__}: {error}".split())
    return out.getvalue().splitlines(keepends=True), None


class _Window:
    """Bytes [start, end) of an open file; `tell()` gives offsets in the whole file, so the
    index says where each record is in it."""

    def __init__(self, handle: Any, start: int, end: int) -> None:
        handle.seek(start)
        self._handle = handle
        self._position = start
        self._end = end

    def read(self, size: int | None = -1) -> bytes:
        left = self._end - self._position
        if size is None or size < 0 or size > left:
            size = left
        data: bytes = self._handle.read(size)
        self._position += len(data)
        return data

    def tell(self) -> int:
        return self._position

    def close(self) -> None:
        pass


def _make_app(workdir: Path, job: dict[str, Any], index: Path) -> Any:
    collection = job["collection"]
    config = {
        # One fixed collection read from local files. pywb needs a collections root to route
        # by collection name; an empty one means no other collection is found on disk.
        "collections_root": str(_empty_dir(workdir / "collections")),
        "enable_auto_colls": False,
        "collections": {collection: {"index": str(index),
                                     "archive_paths": job["archive_dir"].rstrip("/") + "/"}},
        "framed_replay": True,
        "enable_memento": True,
        # pywb's own policy (on rewritten pages only) lets WebSockets go anywhere: the
        # guard sets archiver's on every response instead (response_guard.py).
        "csp-header": None,
        "debug": False,
    }
    empty = workdir / "pywb-config.yaml"  # pywb reads ./config.yaml unless given a file
    empty.write_text("{}\n", "utf-8")
    front_end = _module("pywb.apps.frontendapp").FrontEndApp
    app = front_end(config_file=str(empty), custom_config=config)
    routes = app.warcserver.list_fixed_routes()
    if routes != [collection] or app.proxy_prefix is not None or app.recorder is not None:
        raise SystemExit(f"pywb did not load the collection as configured (routes {routes})")
    return app


def _empty_dir(path: Path) -> Path:
    path.mkdir()
    return path


def _serve(app: Any, job: dict[str, Any], report: dict[str, Any]) -> None:
    gevent = _module("gevent")
    servers = _module("pywb.utils.geventserver")
    guarded = _module("response_guard").guarded(app, job["collection"])
    try:
        server = servers.GeventServer(guarded, port=job["port"], hostname=job["host"],
                                      handler_class=servers.RequestURIWSGIHandler)
    except OSError as error:
        reason = error.strerror or str(error)
        print(json.dumps({"error": f"{job['host']}:{job['port']}: {reason}"}), flush=True)
        raise SystemExit(1) from None
    print(json.dumps({"port": server.port, **report}), flush=True)
    parent = job["parent_pid"]
    # If archiver dies without stopping us, our parent changes: then stop too.
    while os.getppid() == parent:
        gevent.sleep(PARENT_CHECK_SECONDS)
    server.stop()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
