"""Read a WACZ's datapackage.json and datapackage-digest.json strictly: each problem with
them is reported, and what can still be used is returned."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from archiver.errors import UnreadableEvidence
from archiver.settings import ReadLimits
from archiver.untrusted_json import load_json_object
from archiver.verification.hashing import parse_hash
from archiver.verification.problems import Problem, VerificationReport
from archiver.verification.zip_safety import path_problem, shown
from archiver.wacz_layout import DATAPACKAGE, DATAPACKAGE_DIGEST, PACKAGE_PATH_KEY


@dataclass(frozen=True)
class Resource:
    """One file datapackage.json lists; `algorithm`/`digest` None when its hash is unusable."""

    path: str
    algorithm: str | None
    digest: str | None
    size: int | None
    package_path: str | None


def _load(name: str, data: bytes, report: VerificationReport,
          limits: ReadLimits | None) -> dict[str, Any] | None:
    try:
        return load_json_object(data, name, limits=limits or ReadLimits())
    except UnreadableEvidence as refused:
        report.add(Problem("wacz-datapackage-invalid", name, refused.reason))
        return None


def read_datapackage(data: bytes, report: VerificationReport,
                     limits: ReadLimits | None = None) -> dict[str, Resource]:
    """The resources of datapackage.json, by path."""
    document = _load(DATAPACKAGE, data, report, limits)
    if document is None:
        return {}
    if document.get("profile", "data-package") not in ("data-package", "wacz-package"):
        report.add(Problem("wacz-datapackage-invalid", DATAPACKAGE, "profile should be "
                           "data-package", "data-package", str(document.get("profile"))))
    if not isinstance(document.get("wacz_version"), str):
        report.add(Problem("wacz-datapackage-invalid", DATAPACKAGE, "it has no wacz_version"))
    entries = document.get("resources")
    if not isinstance(entries, list):
        report.add(Problem("wacz-datapackage-invalid", DATAPACKAGE, "it has no resources list"))
        return {}
    resources: dict[str, Resource] = {}
    for index, entry in enumerate(entries):
        resource = _resource(index, entry, report)
        if resource is None:
            continue
        if resource.path in resources:
            report.add(Problem("wacz-datapackage-invalid", DATAPACKAGE, f"resources[{index}] "
                               f"lists {shown(resource.path)} a second time"))
            continue
        resources[resource.path] = resource
    return resources


def _resource(index: int, entry: object, report: VerificationReport) -> Resource | None:
    where = f"resources[{index}]"
    if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
        report.add(Problem("wacz-datapackage-invalid", DATAPACKAGE, f"{where} has no path"))
        return None
    path: str = entry["path"]
    reason = path_problem(path)
    if reason:
        report.add(Problem("wacz-datapackage-invalid", DATAPACKAGE,
                           f"{where} names {shown(path)!r}, but {reason}"))
        return None
    label, size = entry.get("hash"), entry.get("bytes")
    parsed = parse_hash(label) if isinstance(label, str) else None
    if parsed is None:
        report.add(Problem("wacz-datapackage-invalid", DATAPACKAGE, f"{where} ({path}) has no "
                           "usable hash, so the file cannot be checked", found=str(label)))
    if not (isinstance(size, int) and not isinstance(size, bool) and size >= 0):
        size = None
    origin = entry.get(PACKAGE_PATH_KEY)
    return Resource(path, parsed[0] if parsed else None, parsed[1] if parsed else None, size,
                    origin if isinstance(origin, str) else None)


def read_digest_file(data: bytes, datapackage: bytes,
                     limits: ReadLimits | None = None) -> list[Problem]:
    """datapackage-digest.json names datapackage.json with the digest it has."""
    return load_digest_file(data, datapackage, limits)[1]


def load_digest_file(data: bytes, datapackage: bytes, limits: ReadLimits | None = None
                     ) -> tuple[dict[str, Any] | None, list[Problem]]:
    """datapackage-digest.json, parsed, when it names datapackage.json with the digest it
    has; else None, and the problems that say why."""
    report = VerificationReport(DATAPACKAGE_DIGEST, "package")
    document = _load(DATAPACKAGE_DIGEST, data, report, limits)
    if document is None:
        return None, report.problems
    label = document.get("hash")
    parsed = parse_hash(label) if isinstance(label, str) else None
    if document.get("path") != DATAPACKAGE or parsed is None:
        said = f"path {_short(document.get('path'))}, hash {_short(label)}"
        return None, [Problem("wacz-datapackage-invalid", DATAPACKAGE_DIGEST, f"it should "
                              f"give the path {DATAPACKAGE} and a hash of it", found=said)]
    algorithm, wanted = parsed
    found = hashlib.new(algorithm, datapackage).hexdigest()
    if found != wanted:
        return None, [Problem("file-digest-mismatch", DATAPACKAGE, f"datapackage.json does "
                              f"not match its {algorithm} in {DATAPACKAGE_DIGEST}",
                              f"{algorithm}:{wanted}", f"{algorithm}:{found}")]
    return document, []


def _short(value: object) -> str:
    """A value of a hostile document, fit for a message (never the whole of a huge one)."""
    if isinstance(value, str):
        return repr(shown(value[:100]))
    return "none" if value is None else f"a JSON {type(value).__name__}"
