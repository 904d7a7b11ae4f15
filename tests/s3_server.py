"""A real S3-compatible server on 127.0.0.1 for the storage tests: moto's server (the app
ThreadedMotoServer serves, on werkzeug), started by the tests. archiver reaches it as a user
reaches any S3 endpoint: by the standard environment (AWS_ENDPOINT_URL and the AWS_*
credentials). `S3Server.put_delay` makes it slow on purpose: each object written waits that
long, so a test can kill an upload midway.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

BUCKET = "evidence"


@dataclass
class S3Server:
    endpoint: str
    bucket: str
    put_delay: float = 0.0
    """Seconds each PUT of an object waits before moto handles it."""
    puts: list[str] = field(default_factory=list)
    """The path of every object PUT, in the order they came."""
    gets: list[tuple[str, str | None]] = field(default_factory=list)
    """The path and Range header of every GET of an object, in the order they came."""

    @property
    def environment(self) -> dict[str, str]:
        """What a process needs to reach the server, and nothing else: credentials, region,
        endpoint, and no instance-metadata lookup (which would leave 127.0.0.1)."""
        return {"AWS_ACCESS_KEY_ID": "archiver-test", "AWS_SECRET_ACCESS_KEY": "archiver-test",
                "AWS_DEFAULT_REGION": "us-east-1", "AWS_ENDPOINT_URL": self.endpoint,
                "AWS_EC2_METADATA_DISABLED": "true"}

    def url(self, path: str) -> str:
        return f"s3://{self.bucket}/{path}"

    def objects(self, prefix: str) -> dict[str, int]:
        """Every object under `prefix` in the bucket, by its path below it, with its size."""
        import boto3

        client = boto3.client("s3", endpoint_url=self.endpoint, region_name="us-east-1",
                              aws_access_key_id="archiver-test",
                              aws_secret_access_key="archiver-test")
        found: dict[str, int] = {}
        for page in client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=prefix.rstrip("/") + "/"):
            for entry in page.get("Contents", []):
                found[entry["Key"][len(prefix.rstrip("/")) + 1:]] = entry["Size"]
        return found

    def kill_midway(self, args: list[str], prefix: str, *, written: int, cwd: Path,
                    repo: Path) -> None:
        """Run `archiver ARGS` in a process of its own, each object it writes slowed down,
        and kill it (SIGKILL) once `written` objects are under `prefix`."""
        self.put_delay = 0.3  # each object takes a while: the kill lands midway
        env = {**os.environ, **self.environment, "PYTHONPATH": str(repo)}
        process = subprocess.Popen([sys.executable, "-m", "archiver", *args], cwd=cwd,
                                   env=env, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE)
        try:
            deadline = time.monotonic() + 120
            while len(self.objects(prefix)) < written:
                assert process.poll() is None, "the run ended before it was killed"
                assert time.monotonic() < deadline, "nothing was written"
                time.sleep(0.05)
            process.send_signal(signal.SIGKILL)
            process.wait(30)
        finally:
            self.put_delay = 0.0
            if process.poll() is None:
                process.kill()
                process.wait()


App = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def _watched(app: App, s3: list[S3Server]) -> App:
    """moto's app, recording each object PUT (waiting `put_delay` before it) and GET."""

    def serve(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if environ.get("REQUEST_METHOD") == "PUT" and path.count("/") >= 2 and s3:
            s3[0].puts.append(path)
            time.sleep(s3[0].put_delay)
        elif environ.get("REQUEST_METHOD") == "GET" and path.count("/") >= 2 and s3:
            s3[0].gets.append((path, environ.get("HTTP_RANGE")))
        return app(environ, start_response)

    return serve


@contextmanager
def s3_server() -> Iterator[S3Server]:
    pytest.importorskip("moto", reason="moto[server] (the [test] extra) is the test S3 server")
    pytest.importorskip("s3fs", reason="s3fs (the [storage] extra) reaches S3")
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line a request otherwise
    holder: list[S3Server] = []
    server = make_server("127.0.0.1", 0, _watched(DomainDispatcherApplication(
        create_backend_app), holder), threaded=True, request_handler=MotoRequestHandler)
    thread = threading.Thread(target=server.serve_forever, name="s3-server", daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    s3 = S3Server(f"http://{host}:{port}", BUCKET)
    holder.append(s3)
    saved = {name: os.environ.get(name) for name in s3.environment}
    os.environ.update(s3.environment)
    _forget_file_systems()  # one made for another module's server reaches that server
    try:
        import boto3

        boto3.client("s3", endpoint_url=s3.endpoint, region_name="us-east-1").create_bucket(
            Bucket=BUCKET)
        yield s3
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        server.shutdown()
        thread.join()
        _forget_file_systems()


def _forget_file_systems() -> None:
    """fsspec keeps each S3 file system it made, with the endpoint it read from the
    environment then: a server started later, on another port, needs new ones."""
    from s3fs import S3FileSystem

    S3FileSystem.clear_instance_cache()
