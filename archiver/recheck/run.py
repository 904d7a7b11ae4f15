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
import hashlib
import itertools
import json
import tempfile
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from archiver import __version__
from archiver._types import Progress
from archiver.attestation.sealing import Signer
from archiver.errors import (
    ArchiverError,
    ArchiverUsageError,
    EvidenceError,
    InputNotFoundError,
    OutputExistsError,
)
from archiver.package.bag import FileDigest
from archiver.package.build import building, capture_sources
from archiver.package.provenance import Operator
from archiver.package_layout import DATA_DIR
from archiver.recheck.facts import PackageFacts
from archiver.recheck.original import OriginalPackage, open_original
from archiver.recheck.report import (
    html_head,
    html_tail,
    markdown_head,
    source_html,
    source_markdown,
)
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

    @property
    def report_json(self) -> Path:
        """data/recheck.json of the new package: the whole comparison."""
        return self.path / RECHECK_JSON

    def to_dict(self, *, with_text: bool = True) -> dict[str, Any]:
        """The comparison as data/recheck.json holds it, but for what was let go once
        written there: each changed source's side-by-side rows, and its passages past the
        first few each way (SourceComparison.slim; `with_text=False`: no text section at all)."""
        return {"format": FORMAT, "tool": {"name": "archiver", "version": __version__},
                "package_id": self.package_id, "checked_at": self.checked_at,
                "original": self.original.to_dict(), "options": self.options.to_dict(),
                "summary": self.summary(),
                "sources": [c.to_dict(with_text=with_text) for c in self.comparisons]}


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
    if Path(output).resolve().is_relative_to(Path(original).resolve()):
        raise ArchiverUsageError(f"{output}: inside the package rechecked; archiver never "
                                 "writes into a sealed package, choose a path outside it")
    if Path(output).exists() or Path(output).is_symlink():  # before any verification
        raise OutputExistsError(Path(output))
    before = open_original(Path(original), progress)
    settings = before.settings(browser_executable=browser_executable)
    with building(Path(output), settings, operator, signer) as build:
        captured = capture_sources(build, before.urls, progress)
        files, manifest = captured.files, captured.manifest
        then = PackageFacts(before.path, before.manifest)
        now = PackageFacts(build.staging, manifest)
        recheck = RecheckResult(Path(output), build.package_id, before, [], options, utc_iso())
        with ReportParts() as parts:
            for old, new in zip(then.sources(), now.sources(), strict=True):
                comparison = compare_source(old, new, then, now)
                comparison.count(options)
                old.release()
                new.release()
                parts.add(comparison, len(recheck.comparisons) + 1)
                comparison.slim()
                recheck.comparisons.append(comparison)
            files += parts.write(build.staging, recheck.to_dict(with_text=False))
        manifest["files"] = sorted((dataclasses.asdict(entry) for entry in files),
                                   key=lambda entry: entry["path"])
        manifest["recheck_of"] = {**before.to_dict(), "report": RECHECK_JSON}
        build.seal(manifest, files)
    recheck.signature = build.signature
    return recheck


class ReportParts:
    """data/recheck.json, .html and .md, written as each source is compared: each source's
    JSON and report sections go to anonymous temporary files at once, and the files are put
    together (their heads, with the counts, first) once every source is done. So a recheck
    holds one source's comparison at a time, however many sources changed."""

    def __init__(self) -> None:
        self._files = ExitStack()
        self._json, self._html, self._markdown = (
            self._files.enter_context(tempfile.TemporaryFile())  # noqa: SIM115 (the stack closes it)
            for _ in range(3))
        self._first = True

    def __enter__(self) -> ReportParts:
        return self

    def __exit__(self, *exc: object) -> None:
        self._files.close()

    def add(self, comparison: SourceComparison, index: int) -> None:
        source = comparison.to_dict()
        self._json.write((b"" if self._first else b",\n")
                         + json.dumps(source, ensure_ascii=False).encode("utf-8"))
        self._first = False
        if comparison.verdict == "changed":
            self._html.write(source_html(source, index).encode("utf-8"))
            self._markdown.write(source_markdown(source).encode("utf-8"))

    def write(self, staging: Path, head: dict[str, Any]) -> list[FileDigest]:
        """The three files in `staging`; `head` is the comparison without its sources'
        text (RecheckResult.to_dict(with_text=False))."""
        verdicts = head.pop("sources")  # the full entries are in the spooled part
        opening = json.dumps(head, ensure_ascii=False)[:-1] + ', "sources": [\n'
        head["sources"] = verdicts
        return [
            _write_parts(staging, RECHECK_JSON, opening.encode("utf-8"), self._json,
                         b"\n]}\n"),
            _write_parts(staging, RECHECK_HTML, html_head(head).encode("utf-8"), self._html,
                         html_tail(head).encode("utf-8")),
            _write_parts(staging, RECHECK_MD, markdown_head(head).encode("utf-8"),
                         self._markdown, b"")]


def _write_parts(staging: Path, relative: str, opening: bytes, spooled: BinaryIO,
                 closing: bytes) -> FileDigest:
    """A new file of the package made of `opening`, the spooled part and `closing`, hashed
    as it is written."""
    digest = hashlib.sha256()
    size = 0
    path = staging / relative
    spooled.seek(0)
    with path.open("xb") as out:
        middle = iter(lambda: spooled.read(1 << 20), b"")
        for block in itertools.chain([opening], middle, [closing]):
            out.write(block)
            digest.update(block)
            size += len(block)
    return FileDigest(relative, size, digest.hexdigest())


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
                      "recheck": self.result.to_dict()}
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
