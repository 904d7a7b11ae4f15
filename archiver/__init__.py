"""archiver: capture the sources behind a story into verifiable WARC evidence packages.

    import archiver
    result = archiver.create_package(["https://example.org/report.pdf"], Path("evidence/r1"))
    story = archiver.create_story_package("https://example.org/story", Path("evidence/s1"))
    report = archiver.check(Path("evidence/r1"))
    for page in archiver.extract(Path("evidence/s1")):
        print(page.source.url, page.title)
"""

from __future__ import annotations

__version__ = "0.1.0"

import sys
import types
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from archiver.capture.results import CaptureResult, Resource, SourceOutcome
    from archiver.errors import (
        ArchiveRefused,
        ArchiverError,
        ArchiverUsageError,
        BrowserMissing,
        CaptureError,
        EnvironmentFault,
        EvidenceError,
        InputNotFoundError,
        NotEvidenceError,
        OutputExistsError,
        VerificationFailed,
    )
    from archiver.extract.api import ExtractionRun, extract
    from archiver.extract.document import Extraction
    from archiver.leftovers import Leftover, remove_stale_partials
    from archiver.package.build import PackageResult, create_package
    from archiver.replay import ReplayServer, start_replay
    from archiver.settings import BrowserSettings, CaptureSettings, ExtractionSettings
    from archiver.story.build import StoryOptions, StoryResult, create_story_package
    from archiver.transfer import ExportResult, export_wacz, export_zip
    from archiver.transfer.unpack import unpack_archive
    from archiver.verification import Problem, VerificationReport, check, is_valid, verify

# Names load on first use (PEP 562), so `archiver --help` or `archiver verify` do not pay for
# the capture stack they never touch.
_HOMES = {
    "CaptureResult": "archiver.capture.results",
    "Resource": "archiver.capture.results",
    "SourceOutcome": "archiver.capture.results",
    "PackageResult": "archiver.package.build",
    "create_package": "archiver.package.build",
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
    "ReplayServer": "archiver.replay",
    "start_replay": "archiver.replay",
    "Problem": "archiver.verification",
    "VerificationReport": "archiver.verification",
    "check": "archiver.verification",
    "is_valid": "archiver.verification",
    "verify": "archiver.verification",
}
_HOMES.update(dict.fromkeys(
    ["ArchiveRefused", "ArchiverError", "ArchiverUsageError", "BrowserMissing", "CaptureError",
     "EnvironmentFault", "EvidenceError", "InputNotFoundError", "NotEvidenceError",
     "OutputExistsError", "VerificationFailed"],
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
    "EnvironmentFault",
    "EvidenceError",
    "ExportResult",
    "Extraction",
    "ExtractionRun",
    "ExtractionSettings",
    "InputNotFoundError",
    "Leftover",
    "NotEvidenceError",
    "OutputExistsError",
    "PackageResult",
    "Problem",
    "ReplayServer",
    "Resource",
    "SourceOutcome",
    "StoryOptions",
    "StoryResult",
    "VerificationFailed",
    "VerificationReport",
    "__version__",
    "check",
    "create_package",
    "create_story_package",
    "export_wacz",
    "export_zip",
    "extract",
    "is_valid",
    "remove_stale_partials",
    "start_replay",
    "unpack_archive",
    "verify",
]
