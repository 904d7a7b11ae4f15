#!/usr/bin/env python3
"""Timestamp benchmark (issue 13): what signing plus two timestamps add to a package, and what
checking the tokens costs, beside `openssl ts -verify` checking the same tokens.

Once: the sample package (`archiver demo`'s story, served on 127.0.0.1) and two local TSAs,
each OpenSSL's `openssl ts -reply` behind a small HTTP handler with a test PKI of its own
(tests/tsa_server.py). Then, in each round, on a fresh copy of the package:

    added     an ECDSA P-256 signature of the tag manifest (as `--key` makes it) written to
              attestations/, then timestamp_package(PKG, [TSA 1, TSA 2]): two requests over
              HTTP, two replies checked and stored (target: < 0.5 s in all)
    check     check_timestamps(PKG, trust): both tokens, offline (target: < 50 ms)
    openssl   `openssl ts -verify` of the same two tokens (the peer; one process each)

and prints the medians and the ratio openssl / archiver for checking. One more round, not
timed, measures with tracemalloc the peak of Python memory allocated while signing, stamping
and checking (the package's bytes are hashed in 1 MiB blocks, never read whole). The TSAs' own time
(openssl ts -reply starts a process per request) is inside "added", as a real TSA's network
time would be.

    python bench/timestamp_bench.py [--rounds 7] [--json results.json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR.parent))

from cryptography.hazmat.primitives import hashes  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402

from archiver.attestation.keys import PublicKey  # noqa: E402
from archiver.attestation.layout import signature_stem  # noqa: E402
from archiver.attestation.timestamp_check import check_timestamps  # noqa: E402
from archiver.attestation.timestamping import timestamp_package  # noqa: E402
from archiver.attestation.trust import load_trust  # noqa: E402
from archiver.demo import sample_paths, sample_root  # noqa: E402
from archiver.package.build import create_package  # noqa: E402
from archiver.sample_site import SampleServer  # noqa: E402
from archiver.settings import CaptureSettings  # noqa: E402
from tests.tsa_server import OPENSSL, TsaServer, make_pki, openssl_verify  # noqa: E402


def sample_package(folder: Path) -> Path:
    output = folder / "sample"
    root = sample_root()
    with SampleServer(root) as server:
        urls = [server.url(path) for path in sample_paths(root)]
        create_package(urls, output, settings=CaptureSettings(allow_private=True))
    return output


def sign(package: Path) -> None:
    """What `--key` adds: an ECDSA P-256 signature over the tag manifest, in attestations/."""
    key = ec.generate_private_key(ec.SECP256R1())
    stem = package / signature_stem(PublicKey(key.public_key()).fingerprint)
    stem.parent.mkdir(exist_ok=True)
    data = (package / "tagmanifest-sha256.txt").read_bytes()
    stem.with_suffix(".sig").write_bytes(key.sign(data, ec.ECDSA(hashes.SHA256())))


def one_round(base: Path, work: Path, urls: list[str], trust_files: list[Path],
              number: int) -> dict[str, float]:
    package = work / f"round-{number}"
    shutil.copytree(base, package)
    trust = load_trust(trust_files)
    started = time.perf_counter()
    sign(package)
    outcomes = timestamp_package(package, urls)
    added = time.perf_counter() - started
    assert all(outcome.ok for outcome in outcomes), outcomes
    started = time.perf_counter()
    findings = check_timestamps(package, trust)
    checked = time.perf_counter() - started
    assert [f.status for f in findings] == ["valid", "valid"], findings
    started = time.perf_counter()
    for finding, ca in zip(findings, trust_files, strict=True):
        done = openssl_verify(package / finding.path, package / (finding.stamped_file or ""),
                              ca)
        assert done.returncode == 0, done.stderr
    peer = time.perf_counter() - started
    return {"added": added, "check": checked, "openssl": peer}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    if OPENSSL is None:
        raise SystemExit("bench: openssl is needed (the local TSAs are `openssl ts -reply`)")
    work = Path(tempfile.mkdtemp(prefix="archiver-bench-timestamp-"))
    try:
        base = sample_package(work)
        pkis = [make_pki(work / "pki-1", name="Bench TSA 1"),
                make_pki(work / "pki-2", name="Bench TSA 2")]
        with TsaServer(pkis[0]) as first, TsaServer(pkis[1]) as second:
            urls = [first.url, second.url]
            one_round(base, work, urls, [p.root_pem for p in pkis], 0)  # warm-up
            rounds = [one_round(base, work, urls, [p.root_pem for p in pkis], n)
                      for n in range(1, args.rounds + 1)]
            tracemalloc.start()
            one_round(base, work, urls, [p.root_pem for p in pkis], args.rounds + 1)
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    medians = {key: statistics.median(r[key] for r in rounds) for key in rounds[0]}
    version = subprocess.run([OPENSSL, "version"], capture_output=True, text=True).stdout
    print(f"load average at start: {os.getloadavg()[0]:.2f}; {version.strip()}; "
          f"{args.rounds} rounds, medians")
    print(f"  signing + 2 timestamps added:      {medians['added'] * 1000:7.1f} ms "
          f"(target < 500 ms)")
    print(f"  checking 2 tokens (archiver):      {medians['check'] * 1000:7.1f} ms "
          f"(target < 50 ms)")
    print(f"  checking 2 tokens (openssl ts -verify x2): {medians['openssl'] * 1000:7.1f} ms")
    print(f"  ratio openssl / archiver (checking): {medians['openssl'] / medians['check']:.1f}x")
    print(f"  peak Python memory allocated in one round: {peak / 1024:.0f} KiB")
    spread = {key: (min(r[key] for r in rounds), max(r[key] for r in rounds)) for key in medians}
    for key, (low, high) in spread.items():
        print(f"  spread {key}: {low * 1000:.1f} .. {high * 1000:.1f} ms")
    if args.json:
        args.json.write_text(json.dumps({"medians": medians, "rounds": rounds,
                                              "peak_python_bytes": peak}, indent=2))


if __name__ == "__main__":
    main()
