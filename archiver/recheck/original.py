"""The package a recheck starts from: verified whole first (a damaged package is never the
measure of anything), then read for what the recheck repeats: its sources, and the capture
settings its manifest.json records (the same bytes as its warcinfo's `archiver-settings`,
which verify proves), so the sources are fetched again the same way.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from archiver._types import Progress
from archiver.errors import ArchiverUsageError, NotEvidenceError
from archiver.package_layout import TAG_MANIFEST
from archiver.regular_files import read_regular
from archiver.settings import BrowserSettings, CaptureSettings, ExtractionSettings
from archiver.transfer.package_source import verified_package

MAX_TAG_MANIFEST = 64 * 1024 * 1024


@dataclass
class OriginalPackage:
    """A sealed package, verified, and what a recheck needs of it."""

    path: Path
    manifest: dict[str, Any]
    tag_manifest_sha256: str

    @property
    def package_id(self) -> str:
        return str(self.manifest["package_id"])

    @property
    def urls(self) -> list[str]:
        """Every source asked for, in the order given: for a story package, the story
        itself first, then each cited source."""
        return [source["requested_url"] for source in self.manifest["sources"]]

    @property
    def is_story(self) -> bool:
        return "story" in self.manifest

    @property
    def was_browser(self) -> bool:
        return bool(self.manifest["settings"].get("browser"))

    def to_dict(self) -> dict[str, Any]:
        """How the new package names it."""
        return {"package_id": self.package_id, "tag_manifest_sha256": self.tag_manifest_sha256,
                "created": self.manifest.get("created"), "name": self.path.name,
                "story": self.is_story}

    def settings(self, *, browser_executable: str | None = None) -> CaptureSettings:
        """The capture settings the package records, as CaptureSettings; a browser capture's
        Chromium is the one found here (`browser_executable`), not the path it had there."""
        recorded = dict(self.manifest["settings"])
        known = {f.name for f in dataclasses.fields(CaptureSettings)}
        values = {name: value for name, value in recorded.items() if name in known}
        try:
            if values.get("ca_file"):
                values["ca_file"] = Path(values["ca_file"])
            values["allowed_networks"] = tuple(values.get("allowed_networks") or ())
            if values.get("extraction") is not None:
                values["extraction"] = _dataclass_from(ExtractionSettings,
                                                       values["extraction"])
            if values.get("browser") is not None:
                values["browser"] = dataclasses.replace(
                    _dataclass_from(BrowserSettings, values["browser"]),
                    executable=browser_executable)
            return CaptureSettings(**values)
        except (TypeError, ValueError) as error:
            raise ArchiverUsageError(f"{self.path}: its recorded capture settings cannot be "
                                     f"used again ({error})") from None


def _dataclass_from(kind: Any, recorded: Any) -> Any:
    if not isinstance(recorded, dict):
        raise TypeError(f"{kind.__name__}: not an object")
    known = {f.name for f in dataclasses.fields(kind)}
    return kind(**{name: value for name, value in recorded.items() if name in known})


def open_original(path: Path, progress: Progress | None = None) -> OriginalPackage:
    """The package at `path`, verified. Raises InputNotFoundError, NotEvidenceError and
    VerificationFailed, as an export does."""
    if path.exists() and not path.is_dir():
        raise NotEvidenceError(path, "recheck takes a package directory, or a directory of "
                                     "packages")
    source = verified_package(path, progress)
    tags = read_regular(path / TAG_MANIFEST, MAX_TAG_MANIFEST, TAG_MANIFEST)
    return OriginalPackage(path, source.manifest, hashlib.sha256(tags).hexdigest())
