"""archiver: capture the sources behind a story into verifiable WARC evidence packages.

    import archiver
    result = archiver.create_package(["https://example.org/report.pdf"], Path("evidence/r1"))
    report = archiver.check(Path("evidence/r1"))
"""

from __future__ import annotations

__version__ = "0.1.0"

from archiver.capture.results import CaptureResult, Resource, SourceOutcome
from archiver.errors import (
    ArchiverError,
    ArchiverUsageError,
    CaptureError,
    EnvironmentFault,
    EvidenceError,
    InputNotFoundError,
    NotEvidenceError,
    OutputExistsError,
    VerificationFailed,
)
from archiver.package.build import PackageResult, create_package
from archiver.settings import CaptureSettings
from archiver.verify import Problem, VerificationReport, check, is_valid, verify

__all__ = [
    "ArchiverError",
    "ArchiverUsageError",
    "CaptureError",
    "CaptureResult",
    "CaptureSettings",
    "EnvironmentFault",
    "EvidenceError",
    "InputNotFoundError",
    "NotEvidenceError",
    "OutputExistsError",
    "PackageResult",
    "Problem",
    "Resource",
    "SourceOutcome",
    "VerificationFailed",
    "VerificationReport",
    "__version__",
    "check",
    "create_package",
    "is_valid",
    "verify",
]
