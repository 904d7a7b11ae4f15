"""Packages on object storage (issue 16): archiver's upload (every file hashed, written
exclusively, the completion marker last) against s3fs's own recursive `put` (what a sync
tool does: no marker, no hashing), and `archiver verify s3://...` (download checked against
the marker, then the full package check) against s3fs's `get` followed by bagit-python's
validation of the copy, on the same package, in the same run; with the peak RSS of each.

The store is moto's S3 server on 127.0.0.1, in this process (so its work is not in the
measured processes' CPU or memory). The package is captured from a local server holding one
incompressible file of --mib MiB.

    python bench/storage_bench.py [--mib 48] [--rounds 3]
"""

from __future__ import annotations

import argparse
import http.server
import logging
import os
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.measurement import (
    REPO_DIR,
    Run,
    archiver_command,
    machine_info,
    make_temp_dir,
    measure,
    median,
    remove_tree,
    table,
)

PEER_PUT = """
import sys, fsspec
fs, path = fsspec.core.url_to_fs(sys.argv[2])
fs.put(sys.argv[1].rstrip("/") + "/", path + "/", recursive=True)
"""
PEER_GET_VALIDATE = """
import sys, fsspec, bagit
fs, path = fsspec.core.url_to_fs(sys.argv[1])
fs.get(path + "/", sys.argv[2] + "/", recursive=True)
bagit.Bag(sys.argv[2]).validate()
"""
ARCHIVER_UPLOAD = """
import sys, archiver
archiver.upload_package(sys.argv[1], sys.argv[2])
"""


def start_s3() -> tuple[str, object]:
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = make_server("127.0.0.1", 0, DomainDispatcherApplication(create_backend_app),
                         threaded=True, request_handler=MotoRequestHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    host, port = server.server_address[:2]
    return f"http://{host}:{port}", server


def make_package(work: Path, mib: int) -> Path:
    from archiver import CaptureSettings, create_package

    site = work / "site"
    site.mkdir()
    with (site / "big.bin").open("wb") as sink:
        for _ in range(mib):
            sink.write(os.urandom(1024 * 1024))

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, directory=str(site), **kwargs)  # type: ignore[misc]

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    package = work / "package"
    create_package([f"http://127.0.0.1:{server.server_address[1]}/big.bin"], package,
                   settings=CaptureSettings(allow_private=True, extraction=None,
                                            max_resource_bytes=(mib + 1) << 20))
    server.shutdown()
    return package


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mib", type=int, default=48)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    info = machine_info()
    cli, described = archiver_command()
    endpoint, _server = start_s3()
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
           "AWS_DEFAULT_REGION": "us-east-1", "AWS_ENDPOINT_URL": endpoint,
           "AWS_EC2_METADATA_DISABLED": "true",
           "PYTHONPATH": str(REPO_DIR)}  # this checkout's archiver, in every process
    os.environ.update(env)
    import boto3

    boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket="bench")
    work = make_temp_dir("storage")
    try:
        package = make_package(work, args.mib)
        size = sum(p.stat().st_size for p in package.rglob("*") if p.is_file())
        py = sys.executable
        runs: dict[str, list[Run]] = {name: [] for name in ("archiver upload", "s3fs put",
                                                         "archiver verify s3://",
                                                         "s3fs get + bagit validate")}
        for n in range(args.rounds):
            ours, theirs = f"s3://bench/ours-{n}", f"s3://bench/peer-{n}"
            runs["archiver upload"].append(measure([py, "-c", ARCHIVER_UPLOAD, str(package),
                                                    ours], env=env))
            runs["s3fs put"].append(measure([py, "-c", PEER_PUT, str(package), theirs],
                                            env=env))
            runs["archiver verify s3://"].append(measure([*cli, "verify", ours], env=env))
            copy = work / f"copy-{n}"
            runs["s3fs get + bagit validate"].append(measure([py, "-c", PEER_GET_VALIDATE,
                                                              theirs, str(copy)], env=env))
            remove_tree(copy, keep=False)
        for name, measured in runs.items():
            failed = [run for run in measured if run.returncode != 0]
            if failed:
                raise SystemExit(f"bench: {name} failed: {failed[0].tail()}")
        seconds = {name: median([run.seconds for run in measured])
                   for name, measured in runs.items()}
        rows = [[name, f"{seconds[name]:.2f}", f"{size / seconds[name] / 1e6:.0f}",
                 max(measured, key=lambda run: run.peak_rss_kib).peak_text()]
                for name, measured in runs.items()]
        print(f"machine: {info}")
        print(f"archiver: {described}")
        print(f"package: {size / 1e6:.1f} MB, {args.rounds} rounds, median seconds")
        print(table(rows, ["what", "seconds", "MB/s", "peak RSS MB"]))
        print(f"upload: archiver / s3fs put = "
              f"{seconds['archiver upload'] / seconds['s3fs put']:.2f}x the time")
        print(f"read and check: archiver verify / (s3fs get + bagit) = "
              f"{seconds['archiver verify s3://'] / seconds['s3fs get + bagit validate']:.2f}"
              "x the time")
    finally:
        remove_tree(work, keep=False)


if __name__ == "__main__":
    main()
