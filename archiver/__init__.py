"""archiver: capture the sources behind a story into verifiable WARC evidence packages.

    import archiver
    result = archiver.create_package(["https://example.org/report.pdf"], Path("evidence/r1"))
    report = archiver.check(Path("evidence/r1"))
"""

from __future__ import annotations

__version__ = "0.1.0"

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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
    from archiver.verification import Problem, VerificationReport, check, is_valid, verify

# Names load on first use (PEP 562), so `archiver --help` or `archiver verify` do not pay for
# the capture stack they never touch.
_HOMES = {
    "CaptureResult": "archiver.capture.results",
    "Resource": "archiver.capture.results",
    "SourceOutcome": "archiver.capture.results",
    "PackageResult": "archiver.package.build",
    "create_package": "archiver.package.build",
    "CaptureSettings": "archiver.settings",
    "Problem": "archiver.verification",
    "VerificationReport": "archiver.verification",
    "check": "archiver.verification",
    "is_valid": "archiver.verification",
    "verify": "archiver.verification",
}
_HOMES.update(dict.fromkeys(
    ["ArchiverError", "ArchiverUsageError", "CaptureError", "EnvironmentFault", "EvidenceError",
     "InputNotFoundError", "NotEvidenceError", "OutputExistsError", "VerificationFailed"],
    "archiver.errors"))


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'archiver' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


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
