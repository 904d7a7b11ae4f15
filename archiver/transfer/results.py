"""What an export made: the output file and every file inside it, with its digest."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from archiver.attestation.custody import record_event
from archiver.timestamps import utc_iso

ExportKind = Literal["wacz", "zip"]


def record_export(result: ExportResult, operator: str | None = None,
                  organisation: str | None = None) -> ExportResult:
    """Add the export to its package's custody log (a warning in `result` if it cannot be:
    the export is done either way); `result` back."""
    result.custody_entry, result.custody_warning = record_event(
        result.package, "exported", details={"kind": result.kind, "output": result.path.name,
                                             "size": result.size},
        operator=operator, organisation=organisation)
    return result


@dataclass(frozen=True)
class ExportedFile:
    """One file inside the export: its path there, its size and SHA-256 (hex)."""

    path: str
    size: int
    sha256: str


@dataclass
class ExportResult:
    """An export written in place: `path` (the .wacz or .zip), made from `package`."""

    path: Path
    kind: ExportKind
    package: Path
    size: int
    files: list[ExportedFile] = field(default_factory=list)
    records_indexed: int = 0
    pages: int = 0
    custody_entry: str | None = None
    """The package's custody-log entry that records this export."""
    custody_warning: str | None = None
    """Why the export could not be recorded in the package's custody log (it was done)."""
    signed_by: str | None = None
    """A signed WACZ: the fingerprint of the key that signed its datapackage.json."""
    package_signed: bool = False
    """The package carries a signature of its own (which the WACZ cannot carry over)."""
    timestamped_by: str | None = None
    """The TSA that timestamped the WACZ's signature, as its certificate names it."""
    timestamped_at: datetime | None = None
    """When that TSA says it stamped the signature (the token's genTime)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "kind": self.kind,
            "package": str(self.package),
            "size": self.size,
            "records_indexed": self.records_indexed,
            "pages": self.pages,
            "custody_entry": self.custody_entry,
            "custody_warning": self.custody_warning,
            "signed_by": self.signed_by,
            "package_signed": self.package_signed,
            "timestamped_by": self.timestamped_by,
            "timestamped_at": utc_iso(self.timestamped_at) if self.timestamped_at else None,
            "files": [{"path": f.path, "size": f.size, "sha256": f.sha256}
                      for f in self.files],
        }
