"""The cheap phases of checking a package: its tag files are there and well formed, and the
files on disk are exactly the files its manifests list (and Payload-Oxum counts)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from archiver.attestation.layout import ATTESTATIONS_DIR
from archiver.errors import UnreadableEvidence
from archiver.package_layout import (
    BAG_INFO,
    BAGIT,
    MANIFEST_JSON,
    PAYLOAD_MANIFEST,
    TAG_FILES,
    TAG_MANIFEST,
    is_payload_path,
)
from archiver.regular_files import NOT_REGULAR, kind_of, read_regular
from archiver.settings import ReadLimits
from archiver.verification.bag_files import Manifest, decode_tag_file, parse_fields, parse_manifest
from archiver.verification.boundary import os_errors
from archiver.verification.problems import Problem, ProblemSink

BAGIT_FIELDS = [("BagIt-Version", "1.0"), ("Tag-File-Character-Encoding", "UTF-8")]
BAG_INFO_REQUIRED = ("Bag-Software-Agent", "Bagging-Date", "Payload-Oxum")


@dataclass
class Bag:
    """What the cheap phases learned about a package, for the later ones."""

    root: Path
    sizes: dict[str, int]
    """Every regular file, by path, and its size."""
    others: dict[str, int] = field(default_factory=dict)
    """Every entry that is not a regular file or a directory (links too), and its mode."""
    limits: ReadLimits = field(default_factory=ReadLimits)
    tag_data: dict[str, bytes] = field(default_factory=dict)
    payload: Manifest | None = None
    tags: Manifest | None = None
    bag_info: list[tuple[str, str]] = field(default_factory=list)
    computed: dict[str, str] = field(default_factory=dict)
    """SHA-256 of every file read so far, by path."""

    unread: set[str] = field(default_factory=set)
    """Tag files there but refused (too large, or no longer a regular file)."""

    def read_tag_files(self) -> tuple[int, list[Problem]]:
        """Read the known tag files once: parsed from, and hashed from, the same bytes.
        Returns the bytes read, and a problem for each file refused."""
        total = 0
        problems = []
        for name in TAG_FILES:
            if name in self.sizes:
                limit = (self.limits.max_json_bytes if name == MANIFEST_JSON
                         else self.limits.max_tag_file_bytes)
                try:
                    with os_errors(self.root / name):
                        data = read_regular(self.root / name, limit, name)
                except UnreadableEvidence as refused:
                    self.unread.add(name)
                    problems.append(Problem(refused.code, name, refused.reason))
                    continue
                self.tag_data[name] = data
                self.computed[name] = hashlib.sha256(data).hexdigest()
                total += len(data)
        return total, problems


def check_structure(bag: Bag, report: ProblemSink) -> None:
    for name in TAG_FILES:
        if name not in bag.tag_data and name not in bag.unread and name not in bag.others:
            report.add(Problem("missing-file", name, f"the package has no {name}"))
    text = {name: decode_tag_file(name, data, report) for name, data in bag.tag_data.items()
            if name != MANIFEST_JSON}
    if BAGIT in text:
        found = parse_fields(BAGIT, text[BAGIT], report)
        if found != BAGIT_FIELDS:
            report.add(Problem("bagit-txt-invalid", BAGIT, "bagit.txt does not declare "
                               "BagIt 1.0 in UTF-8", _fields(BAGIT_FIELDS), _fields(found)))
    if BAG_INFO in text:
        bag.bag_info = parse_fields(BAG_INFO, text[BAG_INFO], report)
        labels = {label for label, _ in bag.bag_info}
        for label in BAG_INFO_REQUIRED:
            if label not in labels:
                report.add(Problem("bag-info-invalid", BAG_INFO, f"bag-info.txt has no {label}"))
    if PAYLOAD_MANIFEST in text:
        bag.payload = parse_manifest(PAYLOAD_MANIFEST, text[PAYLOAD_MANIFEST], report)
    if TAG_MANIFEST in text:
        bag.tags = parse_manifest(TAG_MANIFEST, text[TAG_MANIFEST], report)


def _fields(fields: list[tuple[str, str]]) -> str:
    said = "; ".join(f"{label[:100]}: {value[:100]}" for label, value in fields[:5])
    return (said + ("; ..." if len(fields) > 5 else "")) or "nothing"


def check_completeness(bag: Bag) -> list[Problem]:
    """Entries that are not regular files, listed files that are missing, files that are not
    listed, and Payload-Oxum."""
    problems = [Problem(NOT_REGULAR, path, f"{kind_of(mode)}; a package holds only regular "
                        "files") for path, mode in sorted(bag.others.items())]
    on_disk = set(bag.sizes)
    payload = {path for path in on_disk if is_payload_path(path)}
    # Attestations sit beside the bag, added after its seal: the attestation check judges
    # them (and names any file there it does not know); anything else unlisted is named here.
    attested = {path for path in on_disk if path.startswith(f"{ATTESTATIONS_DIR}/")}
    tags = on_disk - payload - attested - {TAG_MANIFEST}
    for manifest, present in ((bag.payload, payload), (bag.tags, tags)):
        if manifest is None:
            continue
        problems.extend(
            Problem("missing-file", path, f"{manifest.name} lists this file, but the package "
                    "does not have it")
            for path in sorted(set(manifest.entries) - present - set(bag.others))
            if path not in TAG_FILES)  # already reported by the structure check
        problems.extend(
            Problem("unlisted-file", path, f"this file is not listed in {manifest.name}")
            for path in sorted(present - set(manifest.entries)))
    problems.extend(_oxum_problems(bag, payload))
    return problems


def _oxum_problems(bag: Bag, payload: set[str]) -> list[Problem]:
    declared = [value for label, value in bag.bag_info if label == "Payload-Oxum"]
    if not declared:
        return []  # reported by the structure check, if bag-info.txt is there at all
    found = f"{sum(bag.sizes[path] for path in payload)}.{len(payload)}"
    octets, dot, count = declared[0].partition(".")
    if not (octets.isdigit() and dot and count.isdigit()):
        return [Problem("bag-info-invalid", BAG_INFO, "Payload-Oxum should be "
                        "<bytes>.<file count>", found=declared[0])]
    if declared[0] != found:
        return [Problem("oxum-mismatch", BAG_INFO, "Payload-Oxum (payload bytes.files) does "
                        "not match the files under data/", declared[0], found)]
    return []
