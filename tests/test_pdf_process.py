"""Hostile PDFs (fixtures/documents/pdf/, made by make_pdfs.py): each is read in a process of
its own within a memory and time allowance, and one that breaks it is a named problem of
that document alone, in `archiver extract` and in a capture alike."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from typer.testing import CliRunner

from archiver.cli import app
from archiver.extract.api import extract
from archiver.extract.pdf.process import read_pdf_bounded
from archiver.package.extraction_pool import POOL_AFTER
from archiver.settings import ExtractionSettings
from tests.conftest import Captured
from tests.server import REPORT_PATH, STORY_PATH, SiteServer
from tests.test_extract import extraction_for

PDFS = Path(__file__).resolve().parent.parent / "fixtures" / "documents" / "pdf"
REPORT_PAGE_1 = "Between 2019 and 2023 the council replaced 11,482 mechanical water"
OVER_MEMORY = ("the PDF could not be read: the PDF reader stopped on it (it needs more than "
               "the 448 MiB of memory allowed for a file of this size, or is damaged in a way "
               "the reader does not survive)")
REPAIRED = ("the file is damaged: PDFium could not open it (Failed to load document (PDFium: "
            "Data format error).); reading the pages that are left")
runner = CliRunner()


def extract_json(*names: str) -> tuple[int, list[dict[str, Any]]]:
    result = runner.invoke(app, ["extract", "--json", *(str(PDFS / name) for name in names)])
    assert "Traceback" not in result.output and "internal error" not in result.output
    return result.exit_code, json.loads(result.stdout)


def test_an_object_numbered_999999999_is_a_named_problem() -> None:
    # The repair step once built an object table up to the largest number: a billion rows.
    code, (document,) = extract_json("object-number-999999999.pdf")
    assert code == 1
    assert document["outcome"] == "failed"
    assert document["problems"] == [
        REPAIRED,
        "1 damaged page(s) had lost their fonts: their text could not be read",
        "only 0 of 1 pages could be read",
    ]


def test_the_repair_reads_a_page_whatever_the_numbers_beside_it() -> None:
    code, (document,) = extract_json("huge-object-number.pdf")
    assert code == 0
    assert REPORT_PAGE_1 in document["text"]
    assert document["problems"] == [
        REPAIRED,
        "the page numbers of a damaged file follow the order of the pages in the file and "
        "may not match the printed numbers",
        "only 1 of 4 pages could be read",
    ]


@pytest.mark.parametrize("name", ["inflates-to-1gib.pdf", "metadata-bomb.pdf"])
def test_a_pdf_that_inflates_past_the_memory_allowed_is_stopped_and_named(name: str) -> None:
    code, (document,) = extract_json(name)
    assert code == 1
    assert document["outcome"] == "failed"
    assert document["problems"] == [OVER_MEMORY]


def test_one_hostile_pdf_does_not_stop_the_others() -> None:
    code, documents = extract_json("inflates-to-1gib.pdf", "report.pdf", "metadata-bomb.pdf",
                                   "attachment.pdf")
    assert code == 1
    assert [document["outcome"] for document in documents] == [
        "failed", "complete", "failed", "complete"]
    assert "Radio readings ran high" in documents[1]["text"]


def test_a_pdf_that_takes_longer_than_allowed_is_stopped_and_named() -> None:
    # About a second of PDFium's time; allowed a hundredth of a second (plus a second per
    # MiB of the file: a thousandth here).
    settings = ExtractionSettings(pdf_seconds=0.01)
    run = extract(PDFS / "slow-to-read.pdf", settings)
    (document,) = list(run)
    assert document.outcome == "failed"
    assert document.problems == [
        "the PDF could not be read in the 0.0108 s allowed for a file of this size; reading "
        "was stopped (a damaged or hostile file?)"]
    # The next document gets a new reader and the whole allowance.
    assert read_pdf_bounded(PDFS / "report.pdf", ExtractionSettings()).problems == []


def test_the_limits_are_settings_with_a_floor() -> None:
    with pytest.raises(ValueError, match="128 MiB"):
        ExtractionSettings(pdf_memory_bytes=1024)
    with pytest.raises(ValueError, match="pdf_seconds"):
        ExtractionSettings(pdf_seconds=0)


def pdf_url(site: SiteServer, name: str) -> str:
    return site.url(f"/encoding/document?file=pdf/{name}&type={quote('application/pdf')}")


@pytest.mark.parametrize("workers", [0, 2], ids=["inline", "pool"])
def test_a_capture_with_a_hostile_pdf_seals_every_source(
        site: SiteServer, capture: Callable[..., Captured], workers: int) -> None:
    # With workers, enough documents come first to start the pool (POOL_AFTER).
    pages = [site.url(f"/delay/{n}?ms=1") for n in range(POOL_AFTER if workers else 0)]
    bombs = [pdf_url(site, "inflates-to-1gib.pdf"), pdf_url(site, "metadata-bomb.pdf")]
    good = [site.url(STORY_PATH), site.url(REPORT_PATH)]
    captured = capture([*pages, *bombs, *good], extraction=ExtractionSettings(workers=workers))
    assert [source["outcome"] for source in captured.manifest["sources"]] == (
        ["captured"] * (len(pages) + 4))
    for url in bombs:
        document = extraction_for(captured, url)
        assert document["outcome"] == "failed" and document["problems"] == [OVER_MEMORY]
    for url in good:
        assert extraction_for(captured, url)["outcome"] == "complete"
    report = extraction_for(captured, site.url(REPORT_PATH))
    assert "Audit of the SmartFlow Water Meter Programme" in report["text"]


def test_the_repair_scan_keeps_little_of_a_large_file_resident(tmp_path: Path) -> None:
    """The scan for objects maps the file, and gives each window back once read: a 160 MiB
    damaged file must not count 160 MiB against the reader's allowance."""
    size = 160 * 1024 * 1024
    damaged = tmp_path / "large-damaged.pdf"
    with damaged.open("wb") as out:
        out.write(b"%PDF-1.4\n")
        filler = b"% filler line of a file whose objects lie far apart\n" * 20_000
        while out.tell() < size:
            out.write(filler)
        out.write(b"7 0 obj\n<< /Type /Page /MediaBox [0 0 10 10] >>\nendobj\n%%EOF\n")
    code = ("import sys; from pathlib import Path; from tests.peak_rss import peak_rss_kib;"
            "from archiver.extract.pdf.repair import scan_objects;"
            "handle = open(sys.argv[1], 'rb'); scan = scan_objects(handle, handle.read(1024));"
            "print(len(scan.pages), peak_rss_kib())")
    done = subprocess.run([sys.executable, "-c", code, str(damaged)], capture_output=True,
                          text=True, check=True, cwd=Path(__file__).resolve().parent.parent)
    pages, peak_kib = (int(word) for word in done.stdout.split())
    assert pages == 1
    assert peak_kib < 96 * 1024, f"peak RSS {peak_kib} KiB scanning a {size >> 20} MiB file"
