"""A real S3-compatible server on 127.0.0.1 for the storage tests: moto in server mode
(ThreadedMotoServer), started by the tests. archiver reaches it as a user reaches any S3
endpoint: by the standard environment (AWS_ENDPOINT_URL and the AWS_* credentials).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest

BUCKET = "evidence"


@dataclass(frozen=True)
class S3Server:
    endpoint: str
    bucket: str

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


@contextmanager
def s3_server() -> Iterator[S3Server]:
    pytest.importorskip("moto", reason="moto[server] (the [test] extra) is the test S3 server")
    pytest.importorskip("s3fs", reason="s3fs (the [storage] extra) reaches S3")
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line a request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    s3 = S3Server(f"http://{host}:{port}", BUCKET)
    saved = {name: os.environ.get(name) for name in s3.environment}
    os.environ.update(s3.environment)
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
        server.stop()
