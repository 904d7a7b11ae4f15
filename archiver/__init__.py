"""archiver: capture the sources behind a story into verifiable WARC evidence packages.

    import archiver
    result = archiver.create_package(["https://example.org/report.pdf"], Path("evidence/r1"))
    story = archiver.create_story_package("https://example.org/story", Path("evidence/s1"))
    report = archiver.check(Path("evidence/r1"))
    key = archiver.load_signing_key(Path("ana.key"))  # made by `archiver key new ana.key`
    archiver.sign_package(Path("evidence/r1"), archiver.Signer(key))
    for page in archiver.extract(Path("evidence/s1")):
        print(page.source.url, page.title)
"""

from __future__ import annotations

__version__ = "0.1.0"

import sys
import types
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from archiver.attestation.keys import load_signing_key, new_key
    from archiver.attestation.sealing import Signer
    from archiver.attestation.signature import SignResult
    from archiver.attestation.timestamp_check import check_timestamps
    from archiver.attestation.timestamping import TimestampOutcome, timestamp_package
    from archiver.capture.results import CaptureResult, Resource, SourceOutcome
    from archiver.cluster.capture_driver import ClusterPackageResult, create_package_on_cluster
    from archiver.cluster.connect import cluster_client
    from archiver.cluster.spread import extract_on_cluster, verify_on_cluster
    from archiver.collection.build import IndexSummary, index_packages
    from archiver.collection.search import SearchResult, search_collection
    from archiver.errors import (
        ArchiveRefused,
        ArchiverError,
        ArchiverUsageError,
        BrowserMissing,
        CaptureError,
        ClusterUnavailable,
        EnvironmentFault,
        EvidenceError,
        IncompleteUpload,
        InputNotFoundError,
        NotEvidenceError,
        OutputExistsError,
        StorageMissing,
        VerificationFailed,
    )
    from archiver.extract.api import ExtractionRun, extract
    from archiver.extract.document import Extraction
    from archiver.leftovers import Leftover, remove_stale_partials
    from archiver.package.build import PackageResult, create_package
    from archiver.package.provenance import Operator
    from archiver.package.signing import sign_package
    from archiver.quotes.lookup import QuoteResult, find_quote
    from archiver.recheck.run import RecheckResult, recheck_directory, recheck_package
    from archiver.recheck.verdicts import RecheckOptions
    from archiver.replay import ReplayServer, start_replay
    from archiver.settings import BrowserSettings, CaptureSettings, ExtractionSettings
    from archiver.storage.targets import check_target
    from archiver.storage.upload import Upload, upload_package
    from archiver.story.build import StoryOptions, StoryResult, create_story_package
    from archiver.transfer import ExportResult, export_wacz, export_zip
    from archiver.transfer.unpack import unpack_archive
    from archiver.verification import (
        Problem,
        ProofOptions,
        VerificationReport,
        check,
        is_valid,
        verify,
    )

# Names load on first use (PEP 562), so `archiver --help` or `archiver verify` do not pay for
# the capture stack they never touch.
_HOMES = {
    "CaptureResult": "archiver.capture.results",
    "Resource": "archiver.capture.results",
    "SourceOutcome": "archiver.capture.results",
    "PackageResult": "archiver.package.build",
    "ClusterPackageResult": "archiver.cluster.capture_driver",
    "create_package_on_cluster": "archiver.cluster.capture_driver",
    "cluster_client": "archiver.cluster.connect",
    "extract_on_cluster": "archiver.cluster.spread",
    "verify_on_cluster": "archiver.cluster.spread",
    "create_package": "archiver.package.build",
    "Operator": "archiver.package.provenance",
    "BrowserSettings": "archiver.settings",
    "CaptureSettings": "archiver.settings",
    "ExtractionSettings": "archiver.settings",
    "Extraction": "archiver.extract.document",
    "ExtractionRun": "archiver.extract.api",
    "extract": "archiver.extract.api",
    "StoryOptions": "archiver.story.build",
    "StoryResult": "archiver.story.build",
    "create_story_package": "archiver.story.build",
    "ExportResult": "archiver.transfer",
    "export_wacz": "archiver.transfer",
    "export_zip": "archiver.transfer",
    "unpack_archive": "archiver.transfer.unpack",
    "Leftover": "archiver.leftovers",
    "remove_stale_partials": "archiver.leftovers",
    "RecheckOptions": "archiver.recheck.verdicts",
    "RecheckResult": "archiver.recheck.run",
    "recheck_directory": "archiver.recheck.run",
    "recheck_package": "archiver.recheck.run",
    "ReplayServer": "archiver.replay",
    "start_replay": "archiver.replay",
    "Problem": "archiver.verification",
    "VerificationReport": "archiver.verification",
    "check": "archiver.verification",
    "is_valid": "archiver.verification",
    "verify": "archiver.verification",
    "ProofOptions": "archiver.verification",
    "Signer": "archiver.attestation.sealing",
    "SignResult": "archiver.attestation.signature",
    "new_key": "archiver.attestation.keys",
    "load_signing_key": "archiver.attestation.keys",
    "sign_package": "archiver.package.signing",
    "QuoteResult": "archiver.quotes.lookup",
    "find_quote": "archiver.quotes.lookup",
    "IndexSummary": "archiver.collection.build",
    "index_packages": "archiver.collection.build",
    "SearchResult": "archiver.collection.search",
    "search_collection": "archiver.collection.search",
    "timestamp_package": "archiver.attestation.timestamping",
    "TimestampOutcome": "archiver.attestation.timestamping",
    "check_timestamps": "archiver.attestation.timestamp_check",
    "check_target": "archiver.storage.targets",
    "upload_package": "archiver.storage.upload",
    "Upload": "archiver.storage.upload",
}
_HOMES.update(dict.fromkeys(
    ["ArchiveRefused", "ArchiverError", "ArchiverUsageError", "BrowserMissing", "CaptureError",
     "ClusterUnavailable", "EnvironmentFault", "EvidenceError", "IncompleteUpload",
     "InputNotFoundError", "NotEvidenceError", "OutputExistsError", "StorageMissing",
     "VerificationFailed"],
    "archiver.errors"))


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'archiver' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


class _StablePublicNames(types.ModuleType):
    """The `archiver` module, whose public names no import can overwrite.

    Importing a subpackage sets an attribute of its name on the package: once
    `archiver.extract` (the subpackage) has been imported, by `create_package` or anything
    else, `archiver.extract` would be that module, not the function `extract`. Here such an
    import leaves a public name alone; the subpackage stays in `sys.modules`, where every
    `import archiver.extract.x` and `from archiver.extract.x import y` finds it."""

    def __setattr__(self, name: str, value: Any) -> None:
        if (name in _HOMES and isinstance(value, types.ModuleType)
                and value.__name__ == f"{__name__}.{name}"):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _StablePublicNames


__all__ = [
    "ArchiveRefused",
    "ArchiverError",
    "ArchiverUsageError",
    "BrowserMissing",
    "BrowserSettings",
    "CaptureError",
    "CaptureResult",
    "CaptureSettings",
    "ClusterPackageResult",
    "ClusterUnavailable",
    "EnvironmentFault",
    "EvidenceError",
    "ExportResult",
    "Extraction",
    "ExtractionRun",
    "ExtractionSettings",
    "IncompleteUpload",
    "IndexSummary",
    "InputNotFoundError",
    "Leftover",
    "NotEvidenceError",
    "Operator",
    "OutputExistsError",
    "PackageResult",
    "Problem",
    "ProofOptions",
    "QuoteResult",
    "RecheckOptions",
    "RecheckResult",
    "ReplayServer",
    "Resource",
    "SearchResult",
    "SignResult",
    "Signer",
    "SourceOutcome",
    "StorageMissing",
    "StoryOptions",
    "StoryResult",
    "TimestampOutcome",
    "Upload",
    "VerificationFailed",
    "VerificationReport",
    "__version__",
    "check",
    "check_target",
    "check_timestamps",
    "cluster_client",
    "create_package",
    "create_package_on_cluster",
    "create_story_package",
    "export_wacz",
    "export_zip",
    "extract",
    "extract_on_cluster",
    "find_quote",
    "index_packages",
    "is_valid",
    "load_signing_key",
    "new_key",
    "recheck_directory",
    "recheck_package",
    "remove_stale_partials",
    "search_collection",
    "sign_package",
    "start_replay",
    "timestamp_package",
    "unpack_archive",
    "upload_package",
    "verify",
    "verify_on_cluster",
]
