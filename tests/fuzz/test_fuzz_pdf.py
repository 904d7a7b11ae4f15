"""PDF extraction on damaged PDFs: seeds are fixtures/documents/pdf/*, hostile ones included.

Every PDF goes through the reader that `archiver extract` and a capture use (a process of its
own, within a memory and time allowance); the property is that each ends with an extraction,
its problems naming what could not be read, and never with a bug of ours (an exception the
reader did not expect) or one that escapes to the caller. The allowance is made small so that
a bomb among the mutants ends in a fraction of a second.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given

from archiver.extract.pdf_model import PdfExtraction
from archiver.extract.pdf_process import READER_FAILED, read_pdf_bounded
from archiver.settings import MIB, ExtractionSettings
from tests.fuzz.mutations import mutated

SEEDS = [path.read_bytes() for path in sorted(
    (Path(__file__).resolve().parents[2] / "fixtures" / "documents" / "pdf").glob("*.pdf"))]
LIMITS = ExtractionSettings(pdf_memory_bytes=192 * MIB, pdf_seconds=5.0, max_pdf_pages=20)
SCRATCH = Path(tempfile.mkdtemp(prefix="archiver-fuzz-pdf-"))


@given(mutated(SEEDS))
def test_a_damaged_pdf_gives_an_extraction_or_a_named_problem(data: bytes) -> None:
    path = SCRATCH / "fuzzed.pdf"
    path.write_bytes(data)
    result = read_pdf_bounded(path, LIMITS)
    assert isinstance(result, PdfExtraction)
    assert not any(problem.startswith(READER_FAILED) for problem in result.problems), \
        result.problems
    assert all(isinstance(page.text, str) for page in result.pages)
