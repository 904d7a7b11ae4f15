#!/usr/bin/env python3
"""Attestation benchmark: what signing adds to a package, and what checking it adds to verify.

Builds the sample package once (`archiver demo`'s story, served on 127.0.0.1 from the bundled
sample site), makes a P-256 key, then in each round, on a fresh unsigned copy:

    sign      sign_sealed_package(copy, key): what `--key` adds to a capture or story (the tag
              manifest re-hashed against its files, the signature, its three files, the
              custody entry), in this process
    peer sign openssl dgst -sha256 -sign KEY tagmanifest-sha256.txt (a process of its own)
    verify    archiver.check(signed copy) with its attestations checked (the signer's key
              trusted) and without (ProofOptions(check=False): the bag alone, as before
              issue 13), alternating, in this process: the difference is what checking the
              signature and the custody log adds to a verify; and the unsigned copy (its
              custody log only)
    attest    check_attestations(signed copy): that check alone
    peer      openssl dgst -sha256 -verify PUB -signature SIG tagmanifest-sha256.txt
    cli       `archiver verify` (a process of its own, as a user runs it) on the signed copy,
              and on a copy with no attestations/ at all (a package made before issue 13):
              the difference includes loading the cryptography

Targets (issue 13): signing adds < 0.5 s to a package (timestamps, measured by their own
work, come on top); verifying the signature adds < 50 ms. Prints the medians and the ratios
to OpenSSL's own command on the same files (OpenSSL's time is mostly its process start).

    python bench/attestation_bench.py [--rounds 9] [--json results.json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from measurement import code_version, machine_info, median, table

from archiver.attestation.check import check_attestations
from archiver.attestation.keys import load_signing_key, new_key
from archiver.attestation.signature import sign_sealed_package
from archiver.attestation.trust import TrustList
from archiver.demo import run_demo
from archiver.verification import ProofOptions, check


def timed(action: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    value = action()
    return time.perf_counter() - start, value


def run_peer(argv: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0 and b"Verified OK" not in done.stdout:
        raise SystemExit(f"{argv[0]} failed: {done.stderr.decode(errors='replace')}")
    return elapsed


def one_round(sample: Path, key_path: Path, work: Path, n: int) -> dict[str, float]:
    key = load_signing_key(key_path)
    trust = TrustList(signers=(key.public,))
    unsigned = work / f"unsigned-{n}"
    signed = work / f"signed-{n}"
    shutil.copytree(sample, unsigned)
    shutil.copytree(sample, signed)
    sign_s, result = timed(lambda: sign_sealed_package(signed, key))
    tag = signed / "tagmanifest-sha256.txt"
    peer_sign_s = run_peer(["openssl", "dgst", "-sha256", "-sign", str(key_path), "-out",
                            str(work / f"peer-{n}.sig"), str(tag)])
    runs = {"verify_signed": (signed, ProofOptions(trust=trust)),
            "verify_bag_only": (signed, ProofOptions(check=False)),
            "verify_unsigned": (unsigned, ProofOptions(trust=trust))}
    # Rotate which goes first, so the page cache and the fork server favour none.
    order = list(runs)[n % 3:] + list(runs)[:n % 3]
    times = {}
    for name in order:
        package, proof = runs[name]
        elapsed, report = timed(lambda package=package, proof=proof: check(package,
                                                                           proof=proof))
        assert report.is_valid, [str(p) for p in report.problems]
        times[name] = elapsed
    attest_s, attestations = timed(lambda: check_attestations(signed, trust))
    assert attestations.is_signed
    peer_verify_s = run_peer(["openssl", "dgst", "-sha256", "-verify",
                              str(signed / result.files.public_key), "-signature",
                              str(signed / result.files.signature), str(tag)])
    bare = work / f"bare-{n}"
    shutil.copytree(sample, bare)
    shutil.rmtree(bare / "attestations")
    trusted = work / f"trusted-{n}.pem"
    trusted.write_text(key.public.pem)
    cli = {}
    for name, argv in sorted({"cli_bare": [str(bare)],
                              "cli_signed": [str(signed), "--trust", str(trusted)]}.items(),
                             reverse=bool(n % 2)):
        cli[name] = run_peer([sys.executable, "-m", "archiver", "verify", *argv])
    for path in (unsigned, signed, bare):
        shutil.rmtree(path)
    return {"sign": sign_s, "peer_sign": peer_sign_s, **times, "attestations": attest_s,
            "peer_verify": peer_verify_s, **cli}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="attestation-bench-") as scratch:
        work = Path(scratch)
        os.environ["XDG_CONFIG_HOME"] = str(work / "config")  # trust nothing of the user's
        os.environ.pop("ARCHIVER_CONFIG", None)
        sample = work / "sample"
        demo = run_demo(sample)
        assert demo.verification.is_valid
        key_path = work / "bench.key"
        new_key(key_path)
        files = sum(1 for path in sample.rglob("*") if path.is_file())
        size = sum(path.stat().st_size for path in sample.rglob("*") if path.is_file())
        rounds = [one_round(sample, key_path, work, n) for n in range(args.rounds)]
    medians = {name: median([r[name] for r in rounds]) for name in rounds[0]}
    added = median([r["verify_signed"] - r["verify_bag_only"] for r in rounds])
    cli_added = median([r["cli_signed"] - r["cli_bare"] for r in rounds])
    rows = [
        ["sign (in-process)", f"{medians['sign'] * 1000:.1f}", "openssl dgst -sign",
         f"{medians['peer_sign'] * 1000:.1f}", f"{medians['peer_sign'] / medians['sign']:.1f}x"],
        ["check attestations", f"{medians['attestations'] * 1000:.1f}", "openssl dgst -verify",
         f"{medians['peer_verify'] * 1000:.1f}",
         f"{medians['peer_verify'] / medians['attestations']:.1f}x"],
        ["verify signed, bag only", f"{medians['verify_bag_only'] * 1000:.1f}", "", "", ""],
        ["verify signed, all", f"{medians['verify_signed'] * 1000:.1f}", "", "", ""],
        ["verify unsigned (custody)", f"{medians['verify_unsigned'] * 1000:.1f}", "", "", ""],
        ["verify: added by attestations", f"{added * 1000:.1f}", "", "", ""],
        ["archiver verify, no attestations/", f"{medians['cli_bare'] * 1000:.1f}", "", "", ""],
        ["archiver verify, signed", f"{medians['cli_signed'] * 1000:.1f}", "", "", ""],
        ["archiver verify: added", f"{cli_added * 1000:.1f}", "", "", ""],
    ]
    print(f"sample package: {files} files, {size / 1024:.0f} KiB; {args.rounds} rounds; "
          f"code {code_version()}")
    print(table(rows, ["archiver", "median ms", "peer", "peer ms", "peer / archiver"]))
    print(f"targets: signing adds < 500 ms: {medians['sign'] * 1000:.1f} ms; verifying the "
          f"signature adds < 50 ms: {added * 1000:.1f} ms in-process, "
          f"{cli_added * 1000:.1f} ms to `archiver verify`")
    if args.json:
        args.json.write_text(json.dumps({"machine": machine_info(), "rounds": rounds,
                                         "medians": medians, "verify_added": added,
                                         "cli_added": cli_added},
                                        indent=2), "utf-8")


if __name__ == "__main__":
    main()
