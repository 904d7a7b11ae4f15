"""`archiver recheck`: fetch every source of a sealed package again, the way it was captured,
into a new sealed package that names the original, and say per source what changed since.

The new package is built as a capture builds one (archiver.package.build: a hidden staging
folder, the WARCs, the extractions, manifest.json and the bag, the rename), with the
original's settings; beside the capture it holds data/recheck.json (the comparison,
schemas/recheck.schema.json), data/recheck.html and data/recheck.md (a side-by-side view of
each changed source), and its manifest.json names the original in `recheck_of`.
"""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from archiver import __version__
from archiver._types import Progress
from archiver.attestation.sealing import Signer
from archiver.errors import ArchiverError, ArchiverUsageError, EvidenceError, InputNotFoundError
from archiver.package.build import building
from archiver.package.manifest import build_manifest
from archiver.package.provenance import Operator
from archiver.package_layout import DATA_DIR
from archiver.recheck.facts import PackageFacts
from archiver.recheck.original import OriginalPackage, open_original
from archiver.recheck.report import render_html, render_markdown
from archiver.recheck.verdicts import VERDICTS, RecheckOptions, SourceComparison, compare_source
from archiver.timestamps import utc_iso

if TYPE_CHECKING:
    from archiver.attestation.signature import SignResult

FORMAT = "archiver-recheck/1"
RECHECK_JSON = f"{DATA_DIR}/recheck.json"
RECHECK_HTML = f"{DATA_DIR}/recheck.html"
RECHECK_MD = f"{DATA_DIR}/recheck.md"


@dataclass
class RecheckResult:
    """A recheck: the new sealed package, and each source then and now."""

    path: Path
    package_id: str
    original: OriginalPackage
    comparisons: list[SourceComparison]
    options: RecheckOptions
    checked_at: str
    signature: SignResult | None = None

    @property
    def counts(self) -> dict[str, int]:
        found = Counter(comparison.verdict for comparison in self.comparisons)
        return {verdict: found.get(verdict, 0) for verdict in VERDICTS}

    @property
    def problems(self) -> list[SourceComparison]:
        """The sources whose verdict counts as a problem under the options."""
        return [comparison for comparison in self.comparisons if comparison.counted]

    @property
    def is_unchanged(self) -> bool:
        return not self.problems

    def summary(self) -> dict[str, Any]:
        return {"sources": len(self.comparisons), **self.counts,
                "problems": len(self.problems)}

    def to_dict(self, *, with_rows: bool = True) -> dict[str, Any]:
        """data/recheck.json, and what `--json` prints (with the new package's path)."""
        return {"format": FORMAT, "tool": {"name": "archiver", "version": __version__},
                "package_id": self.package_id, "checked_at": self.checked_at,
                "original": self.original.to_dict(), "options": self.options.to_dict(),
                "summary": self.summary(),
                "sources": [c.to_dict(with_rows=with_rows) for c in self.comparisons]}


def recheck_package(original: Path, output: Path, *, options: RecheckOptions | None = None,
                    browser_executable: str | None = None, progress: Progress | None = None,
                    operator: Operator | None = None,
                    signer: Signer | None = None) -> RecheckResult:
    """Verify the package at `original`, fetch each of its sources again with its recorded
    settings into a new sealed package at `output`, and compare them source by source.

    A package captured through a browser is rechecked through one: `browser_executable` is
    the Chromium to drive (None: ARCHIVER_CHROMIUM, then chromium on PATH). Sources that
    changed or vanished do not raise: see `RecheckResult.problems`. Raises what `verify`
    and `capture` raise: VerificationFailed for a damaged original, OutputExistsError...
    """
    options = options or RecheckOptions()
    before = open_original(Path(original), progress)
    settings = before.settings(browser_executable=browser_executable)
    with building(Path(output), settings, operator, signer) as build:
        result = build.capture_job(progress).run(before.urls)
        derived = build.extract(result, progress)
        files = build.close_warcs() + derived.files
        manifest = build_manifest(package_id=build.package_id, settings=settings,
                                  result=result, files=files, derived=derived.by_resource,
                                  provenance=build.provenance(result))
        then = PackageFacts(before.path, before.manifest)
        now = PackageFacts(build.staging, manifest)
        comparisons = []
        for old, new in zip(then.sources(), now.sources(), strict=True):
            comparison = compare_source(old, new, then, now)
            comparison.count(options)
            old.release()
            new.release()
            comparisons.append(comparison)
        recheck = RecheckResult(Path(output), build.package_id, before, comparisons, options,
                                utc_iso())
        files += [build.add_file(RECHECK_JSON, _json_bytes(recheck.to_dict())),
                  build.add_file(RECHECK_HTML, render_html(recheck).encode("utf-8")),
                  build.add_file(RECHECK_MD, render_markdown(recheck).encode("utf-8"))]
        manifest["files"] = sorted((dataclasses.asdict(entry) for entry in files),
                                   key=lambda entry: entry["path"])
        manifest["recheck_of"] = {**before.to_dict(), "report": RECHECK_JSON}
        build.seal(manifest, files)
    recheck.signature = build.signature
    return recheck


def _json_bytes(data: dict[str, Any]) -> bytes:
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


@dataclass
class DirectoryEntry:
    """One package of a directory rechecked: its result, or why it could not be."""

    package: Path
    result: RecheckResult | None = None
    error: ArchiverError | None = None

    def to_dict(self) -> dict[str, Any]:
        found: dict[str, Any] = {"package": str(self.package)}
        if self.result is not None:
            found |= {"output": str(self.result.path), "summary": self.result.summary(),
                      "recheck": self.result.to_dict(with_rows=False)}
        else:
            found["error"] = str(self.error)
        return found


def packages_in(directory: Path) -> list[Path]:
    """The packages directly inside `directory` (a folder holding bagit.txt and
    manifest.json), by name; hidden folders (a run's leftovers) are passed over."""
    if not directory.is_dir():
        raise InputNotFoundError(directory, "directory")
    found = sorted(child for child in directory.iterdir()
                   if child.is_dir() and not child.name.startswith(".")
                   and (child / "bagit.txt").is_file() and (child / "manifest.json").is_file())
    if not found:
        raise ArchiverUsageError(f"{directory}: no evidence packages in it (folders holding "
                                 "bagit.txt and manifest.json)")
    return found


def is_package(path: Path) -> bool:
    return (path / "bagit.txt").is_file() and (path / "manifest.json").is_file()


def recheck_directory(directory: Path, output: Path, *, options: RecheckOptions | None = None,
                      browser_executable: str | None = None, progress: Progress | None = None,
                      operator: Operator | None = None,
                      signer: Signer | None = None) -> Iterator[DirectoryEntry]:
    """Recheck every package directly inside `directory`, each into `output/<its name>`
    (`output` is made when missing; a package whose new path exists is not rechecked, and
    says so). A package that cannot be rechecked (damaged, say) is an entry with its error;
    the others go on. A fault of the machine (a full disk) ends the run."""
    packages = packages_in(Path(directory))
    Path(output).mkdir(parents=True, exist_ok=True)
    for package in packages:
        try:
            result = recheck_package(package, Path(output) / package.name, options=options,
                                     browser_executable=browser_executable,
                                     progress=progress, operator=operator, signer=signer)
        except (ArchiverUsageError, EvidenceError) as error:
            yield DirectoryEntry(package, error=error)
        else:
            yield DirectoryEntry(package, result)
