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

from archiver.extract.pdf.model import PdfExtraction
from archiver.extract.pdf.process import READER_FAILED, read_pdf_bounded
from archiver.settings import MIB, ExtractionSettings
from tests.conftest import load_script
from tests.fuzz.mutations import mutated

DOCUMENTS = Path(__file__).resolve().parents[2] / "fixtures" / "documents"




def hostile_shapes() -> list[bytes]:
    """Structures that once looked dangerous and were read well (measured for issue 10):
    seeds whose mutants reach deep into the readers' structure code."""
    maker = load_script(DOCUMENTS / "make_pdfs.py")
    text = maker.stream(maker.page_content(["Hello hostile world"]))
    base = maker.one_page(text)
    xref_at = int(base.rsplit(b"startxref\n", 1)[1].split(b"\n")[0])
    return [
        base.replace(b"/Count 1", b"/Count 999999999"),
        base.replace(b"/Length ", b"/Length 999999999 %", 1),
        base.replace(b"/Kids [5 0 R]", b"/Kids [2 0 R 5 0 R 2 0 R] /Parent 2 0 R"),
        base.replace(b"trailer\n<< ", b"trailer\n<< /Prev %d " % xref_at),
        base.replace(b"xref\n0 6\n", b"xref\n0 999999999\n"),
        maker.one_page(text, extra=[maker.stream(b"1 0 ", b" /Type /ObjStm /N 999999999 "
                                                       b"/First 4")]),
        maker.one_page(text, b" /Deep " + b"[" * 300 + b"]" * 300),
        b"%PDF-1.4\n1 0 obj<</Type/Pages/Count 999999999>>endobj\n2 0 obj<</Type/Page>>endobj",
    ]


SEEDS = [path.read_bytes() for path in sorted((DOCUMENTS / "pdf").glob("*.pdf"))]
SEEDS += hostile_shapes()
LIMITS = ExtractionSettings(pdf_memory_bytes=192 * MIB, pdf_seconds=5.0, max_pdf_pages=20)
SCRATCH = Path(tempfile.mkdtemp(prefix="archiver-fuzz-pdf-"))


@given(mutated(SEEDS))
def test_a_damaged_pdf_gives_an_extraction_or_a_named_problem(data: bytes) -> None:
    path = SCRATCH / "fuzzed.pdf"
    path.write_bytes(data)
    result = read_pdf_bounded(path, LIMITS)
    assert isinstance(result, PdfExtraction)
    assert not any(problem.startswith((READER_FAILED, "the PDF reader could not be started"))
                   for problem in result.problems), result.problems
    assert all(isinstance(page.text, str) for page in result.pages)
