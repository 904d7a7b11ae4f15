"""PDF extraction (archiver.extract.pdf.extraction) on the fixtures of fixtures/documents/pdf/."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pypdfium2 as pdfium  # type: ignore[import-untyped]
import pytest

from archiver.extract.pdf.extraction import PdfExtraction, extract_pdf
from archiver.extract.pdf.extraction import choose as choose_value
from archiver.extract.pdf.layout import clean
from archiver.extract.pdf.order import drawn_out_of_order, page_lines
from tests.conftest import load_script

DOCUMENTS = Path(__file__).resolve().parent.parent / "fixtures" / "documents"
PDFS = DOCUMENTS / "pdf"




MAKER = load_script(DOCUMENTS / "make_pdfs.py")


@pytest.fixture(scope="module")
def report() -> PdfExtraction:
    return extract_pdf(PDFS / "report.pdf")


def page_with(result: PdfExtraction, needle: str) -> list[int]:
    return [page.number for page in result.pages if needle in page.text]


def test_text_is_found_on_its_page(report: PdfExtraction) -> None:
    assert report.page_count == 4
    assert [page.number for page in report.pages] == [1, 2, 3, 4]
    assert page_with(report, "Radio readings ran high") == [3]
    assert page_with(report, "single-bid award was not reported") == [2]
    assert page_with(report, "accepted all three recommendations") == [4]
    assert report.text.count("\f") == 3
    assert report.text.split("\f")[2] == report.pages[2].text
    assert report.pdf_version == "1.7"
    assert report.problems == []


def test_info_and_xmp_are_both_kept(report: PdfExtraction) -> None:
    assert report.info["title"] == MAKER.REPORT_INFO_TITLE
    assert report.info["author"] == MAKER.REPORT_INFO_AUTHOR
    assert report.info["created"] == "2024-11-14T09:30:00+01:00"
    assert report.info["modified"] == "2024-11-15T12:00:00+01:00"
    assert report.info["Department"] == "Audit Office"  # a custom key, kept as a string
    assert report.xmp["dc:title"] == MAKER.REPORT_XMP_TITLE  # the x-default alternative
    assert report.xmp["dc:creator"] == [MAKER.REPORT_XMP_AUTHOR, "J. Okafor"]
    assert report.xmp["dc:subject"] == ["water", "audit"]
    assert report.xmp["xmp:CreatorTool"] == "make_pdfs.py"
    assert report.xmp["pdf:Keywords"] == "water meters; procurement; billing"
    # The XMP was written after the info's ModDate, so its values are the current ones.
    assert report.title == MAKER.REPORT_XMP_TITLE
    assert report.author == f"{MAKER.REPORT_XMP_AUTHOR}; J. Okafor"


def test_info_wins_when_it_is_newer_or_the_dates_do_not_tell() -> None:
    result = PdfExtraction(info={"modified": "2024-12-01T00:00:00+00:00"},
                           xmp={"xmp:MetadataDate": "2024-11-01T00:00:00Z"})
    assert choose_value("from info", "from xmp", result) == "from info"
    assert choose_value("from info", "from xmp", PdfExtraction()) == "from info"
    assert choose_value(None, ["one", "two"], PdfExtraction()) == "one; two"


def test_json_ready(report: PdfExtraction) -> None:
    data = json.loads(json.dumps(report.to_dict()))
    assert data["pages"][2]["number"] == 3
    assert "Radio readings" in data["text"]
    assert data["info"]["title"] == MAKER.REPORT_INFO_TITLE


def test_owner_password_only_opens_with_the_empty_password() -> None:
    result = extract_pdf(PDFS / "owner-only.pdf")
    assert result.encrypted and result.decrypted
    assert page_with(result, "Radio readings ran high") == [3]
    assert result.info["title"] == MAKER.REPORT_INFO_TITLE
    assert result.problems == []


def test_user_password_gives_no_text_and_says_why() -> None:
    result = extract_pdf(PDFS / "user-password.pdf")
    assert result.encrypted and not result.decrypted
    assert result.pages == [] and result.text == ""
    assert any("password" in note for note in result.problems)


def test_truncated_file_gives_the_pages_before_the_cut(capfd: pytest.CaptureFixture[str]) -> None:
    result = extract_pdf(PDFS / "truncated.pdf")
    assert page_with(result, "single-bid award") == [2]
    assert result.page_count == 4
    assert any("ends early" in note and "3 of 4" in note for note in result.problems)
    assert capfd.readouterr() == ("", "")  # the libraries' complaints stay off the terminal


def test_corrupt_file_is_read_around_the_damage(capfd: pytest.CaptureFixture[str]) -> None:
    result = extract_pdf(PDFS / "corrupt.pdf")
    assert page_with(result, "accepted all three recommendations") == [4]
    assert any("damaged" in note for note in result.problems)
    assert capfd.readouterr() == ("", "")


def test_a_page_drawn_out_of_order_is_read_in_reading_order() -> None:
    # Page 1 draws the footer before the right column and the title's second line last;
    # page 2 draws the same page in reading order. Both read the same: title, left column,
    # right column (whole, not interleaved line by line with the left), footer.
    result = extract_pdf(PDFS / "out-of-order.pdf")
    in_reading_order = "\n".join(text for _, _, text in MAKER.BULLETIN)
    assert [page.text for page in result.pages] == [in_reading_order, in_reading_order]
    assert result.problems == []


def test_a_page_drawn_in_order_keeps_the_content_order(report: PdfExtraction) -> None:
    document = pdfium.PdfDocument(PDFS / "report.pdf")
    try:
        textpage = document[2].get_textpage()
        assert not drawn_out_of_order(page_lines(textpage) or [])
        assert report.pages[2].text == clean(textpage.get_text_bounded())
    finally:
        document.close()


def test_embedded_file_names() -> None:
    result = extract_pdf(PDFS / "attachment.pdf")
    assert result.embedded_files == ["meter-readings.csv"]
    assert "meter-readings.csv" in result.pages[0].text


@pytest.mark.parametrize("content", [
    b"",
    b"<!doctype html><title>not a pdf</title>",
    b"%PDF-1.7\n" + bytes(range(256)) * 40,
    b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n%%EOF\n",
])
def test_bad_input_never_raises(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.pdf"
    path.write_bytes(content)
    result = extract_pdf(path)
    assert result.problems
    assert result.text == ""


def test_missing_file_is_a_problem_not_an_exception(tmp_path: Path) -> None:
    result = extract_pdf(tmp_path / "absent.pdf")
    assert result.problems and "could not be read" in result.problems[0]


def test_unparsed_date_is_kept_raw(tmp_path: Path) -> None:
    path = tmp_path / "dated.pdf"
    path.write_bytes(MAKER.build_pdf([["dated"]], info={"CreationDate": "last Tuesday",
                                                        "ModDate": "D:20240229"}))
    result = extract_pdf(path)
    assert result.info["created_raw"] == "last Tuesday"
    assert "created" not in result.info
    assert result.info["modified"] == "2024-02-29T00:00:00"


def test_a_thousand_pages_in_bounded_time(tmp_path: Path) -> None:
    path = tmp_path / "thousand.pdf"
    path.write_bytes(MAKER.build_pdf([[f"Ledger sheet {n} of 1000", "Balance carried over."]
                                      for n in range(1, 1001)]))
    started = time.monotonic()
    result = extract_pdf(path)
    assert time.monotonic() - started < 30  # about 1 s here; generous for a busy CI machine
    assert result.page_count == 1000 and len(result.pages) == 1000
    assert page_with(result, "Ledger sheet 1000 of 1000") == [1000]

    capped = extract_pdf(path, max_pages=10)
    assert [page.number for page in capped.pages] == list(range(1, 11))
    assert capped.page_count == 1000
    assert any("max_pages=10" in note for note in capped.problems)
