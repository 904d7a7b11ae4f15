#!/usr/bin/env python3
"""A Dask cluster reading and writing object storage (issue 16): `archiver verify s3://P1..PN`
and `archiver extract s3://P1..PN -o s3://OUT` on one machine, against the same commands with
`--cluster` on 1 and on 2 worker processes, in the same run; what the cluster costs and gives
when every worker reads its inputs from the store and writes its outputs there (staged, then
copied into place by the driver, the completion marker last).

The store is moto's S3 server on 127.0.0.1, in this process; the cluster is a `dask
scheduler` and `dask worker` processes on 127.0.0.1 started before the timed commands, with
the S3 endpoint and credentials in their environment (nothing about the storage is sent in
a task). The packages are N uploads of one package: the sample package (`archiver demo`), or
with --pages a capture of ../shared/bench/site.py (--pages pages, --pdfs PDFs).

    python bench/cluster_storage_bench.py [--copies 8] [--rounds 2] [--pages 0] [--pdfs 5]
                                          [--shared DIR]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cluster_bench import dask_cluster, timed
from generated_site import shared_site
from measurement import (
    REPO_DIR,
    archiver_command,
    machine_info,
    make_temp_dir,
    median,
    remove_tree,
    table,
)
from storage_bench import start_s3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--copies", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--pages", type=int, default=0,
                        help="capture this many pages of the bench site (default: the demo)")
    parser.add_argument("--pdfs", type=int, default=5)
    parser.add_argument("--shared", type=Path, help="the shared/ folder (default: beside the repo)")
    args = parser.parse_args()
    info = machine_info()
    cli, described = archiver_command()
    endpoint, _server = start_s3()
    os.environ.update({"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
                       "AWS_DEFAULT_REGION": "us-east-1", "AWS_ENDPOINT_URL": endpoint,
                       "AWS_EC2_METADATA_DISABLED": "true", "PYTHONPATH": str(REPO_DIR)})
    import boto3

    boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket="bench")
    work = make_temp_dir("cluster-storage")
    try:
        sample = work / "sample"
        if args.pages:
            with shared_site(args.shared, work, pages=args.pages, pdfs=args.pdfs,
                             latency_ms=0) as (_, listed):
                subprocess.run([*cli, "capture", "-i", str(listed), "-o", str(sample),
                                "--allow-private"], stdout=subprocess.DEVNULL)
        else:
            subprocess.run([*cli, "demo", "-o", str(sample)], check=True,
                           stdout=subprocess.DEVNULL)
        import archiver

        urls = []
        for index in range(args.copies):
            urls.append(f"s3://bench/pkgs/{index:02d}")
            archiver.upload_package(sample, urls[-1])
        size = sum(path.stat().st_size for path in sample.rglob("*") if path.is_file())
        print(f"{args.copies} packages of {size / 1e6:.2f} MB on S3 (moto, 127.0.0.1)")
        with dask_cluster(1, work) as one, dask_cluster(2, work) as two:
            results = {}
            for verb in ("verify", "extract"):
                rows = []
                for number in range(1, args.rounds + 1):
                    times = {}
                    for how, address in (("local", None), ("1 worker", one),
                                         ("2 workers", two)):
                        out = f"s3://bench/out/{verb}-{number}-{how.replace(' ', '')}"
                        extra = ["-o", out] if verb == "extract" else []
                        extra += ["--cluster", address] if address else []
                        times[how] = timed(cli, [verb, *urls, *extra]).seconds
                    rows.append(times)
                    print(f"{verb} round {number}: " + ", ".join(
                        f"{how} {seconds:.2f} s" for how, seconds in times.items()))
                results[verb] = {how: median([row[how] for row in rows]) for how in rows[0]}
        print(f"machine: {info}")
        print(f"archiver: {described}")
        print(table([[verb, *(f"{seconds[how]:.2f}" for how in ("local", "1 worker",
                                                                  "2 workers")),
                      f"{seconds['1 worker'] / seconds['2 workers']:.2f}x",
                      f"{seconds['local'] / seconds['2 workers']:.2f}x"]
                     for verb, seconds in results.items()],
                    ["verb", "local s", "1 worker s", "2 workers s", "2 vs 1 worker",
                     "2 workers vs local"]))
    finally:
        remove_tree(work, keep=False)


if __name__ == "__main__":
    main()
