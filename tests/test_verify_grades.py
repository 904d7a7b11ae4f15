"""Graded verify verdicts on other tools' WARCs and on ARC files (issue 11, sections 4 and 5).

Each WARC here is written as the tool it is named for writes its records (which record types,
which digests, in which algorithm and encoding), by hand or with warcio's WARCWriter; warcio's
own reader is the judge that each is a readable WARC (or ARC) before verify grades it:

- wget: warcinfo, request, response, metadata and resource records, every one with a
  WARC-Block-Digest (sha1, base32), responses with a WARC-Payload-Digest too.
- Heritrix: responses with a WARC-Payload-Digest only; requests, metadata and warcinfo with
  none; revisits (identical-payload-digest profile, WARC-Refers-To-*) with the payload digest
  of the record they revisit; dns: responses with no digest at all.
- Common Crawl: request, response and metadata with sha1 block digests (responses a payload
  digest too), a warcinfo without.
- pywb and warcprox (warcio underneath): every record with both digests, revisits included.
- Browsertrix: sha256 digests in hex.
- Tools that write a block digest only, or a payload digest only.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import zlib
from collections.abc import Callable, Iterable
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from archiver.cli import app
from archiver.rendering import render_verification
from archiver.schema_files import load_schema
from archiver.verification import Note, VerificationReport, check, verify, warc_check
from archiver.verification.coverage import ARC_VERDICT
from archiver.verification.warc_check import check_warc_file
from tests.conftest import warcio_check

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "warc"
DATE = "2024-05-01T12:00:00Z"
REVISIT_PROFILE = "http://netpreserve.org/warc/1.0/revisit/identical-payload-digest"

Digest = Callable[[bytes], str]


def sha1_base32(data: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode("ascii")


def sha256_hex(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout


class HandWriter:
    """Writes WARC records byte by byte, each in a gzip member of its own (as wget, Heritrix
    and Common Crawl do), with exactly the header fields it is given."""

    def __init__(self, version: str = "WARC/1.0") -> None:
        self.version = version
        self.members: list[bytes] = []
        self.ids: list[str] = []

    def record(self, record_type: str, block: bytes, fields: Iterable[tuple[str, str]] = (),
               *, uri: str | None = None, content_type: str | None = None) -> str:
        record_id = f"<urn:uuid:00000000-0000-4000-8000-{len(self.ids) + 1:012d}>"
        self.ids.append(record_id)
        lines = [self.version, f"WARC-Type: {record_type}", f"WARC-Record-ID: {record_id}",
                 f"WARC-Date: {DATE}"]
        if uri is not None:
            lines.append(f"WARC-Target-URI: {uri}")
        lines += [f"{name}: {value}" for name, value in fields]
        if content_type is not None:
            lines.append(f"Content-Type: {content_type}")
        lines.append(f"Content-Length: {len(block)}")
        raw = ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + block + b"\r\n\r\n"
        packer = zlib.compressobj(6, zlib.DEFLATED, 31)
        self.members.append(packer.compress(raw) + packer.flush())
        return record_id

    def write(self, path: Path) -> Path:
        path.write_bytes(b"".join(self.members))
        return path


def http_exchange(number: int) -> tuple[bytes, bytes, bytes]:
    """(request block, response block, response payload) of one fetch of page `number`."""
    body = b"<html><body><p>Page %d says what it says.</p></body></html>\n" % number
    head = (b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n"
            % len(body))
    request = (b"GET /page%d.html HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: tool\r\n\r\n"
               % number)
    return request, head + body, body


def url(number: int) -> str:
    return f"http://127.0.0.1/page{number}.html"


REQUEST_TYPE = "application/http; msgtype=request"
RESPONSE_TYPE = "application/http; msgtype=response"


# -- the tools -----------------------------------------------------------------------------


def wget_warc(path: Path, pages: int = 3) -> Path:
    out = HandWriter()
    info = b"software: Wget/1.21.4 (linux-gnu)\r\nformat: WARC File Format 1.0\r\n"
    out.record("warcinfo", info, [("WARC-Filename", path.name),
                                  ("WARC-Block-Digest", sha1_base32(info))],
               content_type="application/warc-fields")
    manifest = b"<urn:uuid:00000000-0000-4000-8000-000000000001>\n"
    out.record("metadata", manifest, [("WARC-Block-Digest", sha1_base32(manifest))],
               uri="metadata://gnu.org/software/wget/warc/MANIFEST.txt",
               content_type="text/plain")
    for number in range(pages):
        request, response, payload = http_exchange(number)
        out.record("request", request, [("WARC-Block-Digest", sha1_base32(request))],
                   uri=url(number), content_type=REQUEST_TYPE)
        out.record("response", response, [("WARC-IP-Address", "127.0.0.1"),
                                           ("WARC-Block-Digest", sha1_base32(response)),
                                           ("WARC-Payload-Digest", sha1_base32(payload))],
                   uri=url(number), content_type=RESPONSE_TYPE)
    arguments = b'"wget" "--warc-file=crawl" "http://127.0.0.1/"\n'
    out.record("resource", arguments, [("WARC-Block-Digest", sha1_base32(arguments))],
               uri="metadata://gnu.org/software/wget/warc/wget_arguments.txt",
               content_type="text/plain")
    return out.write(path)


def heritrix_warc(path: Path, pages: int = 3, revisits: int = 2, *, dns: bool = False,
                  damage_payload: bool = False) -> Path:
    out = HandWriter()
    info = b"software: Heritrix/3.4.0 http://crawler.archive.org\r\nformat: WARC 1.0\r\n"
    out.record("warcinfo", info, [("WARC-Filename", path.name)],
               content_type="application/warc-fields")
    if dns:
        out.record("response", b"20240501120000\n127.0.0.1\t3600\tIN\tA\t127.0.0.1\n",
                   [("WARC-IP-Address", "192.0.2.53")], uri="dns:127.0.0.1",
                   content_type="text/dns")
    first_digest = ""
    for number in range(pages):
        request, response, payload = http_exchange(number)
        digest = sha1_base32(payload)
        first_digest = first_digest or digest
        if damage_payload and number == pages - 1:
            response = response[:-5] + b"XXXX\n"
        response_id = out.record("response", response, [("WARC-IP-Address", "127.0.0.1"),
                                                         ("WARC-Payload-Digest", digest)],
                                 uri=url(number), content_type=RESPONSE_TYPE)
        out.record("request", request, [("WARC-Concurrent-To", response_id)],
                   uri=url(number), content_type=REQUEST_TYPE)
        metadata = b"via: http://127.0.0.1/\r\nhopsFromSeed: L\r\nfetchTimeMs: 12\r\n"
        out.record("metadata", metadata, [("WARC-Concurrent-To", response_id)],
                   uri=url(number), content_type="application/warc-fields")
    for number in range(revisits):
        head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 58\r\n\r\n"
        out.record("revisit", head, [("WARC-IP-Address", "127.0.0.1"),
                                     ("WARC-Profile", REVISIT_PROFILE),
                                     ("WARC-Truncated", "length"),
                                     ("WARC-Refers-To-Target-URI", url(0)),
                                     ("WARC-Refers-To-Date", DATE),
                                     ("WARC-Refers-To", out.ids[1]),
                                     ("WARC-Payload-Digest", first_digest)],
                   uri=f"http://127.0.0.1/again{number}.html", content_type=RESPONSE_TYPE)
    return out.write(path)


def common_crawl_warc(path: Path, pages: int = 3) -> Path:
    out = HandWriter()
    info = (b"isPartOf: CC-MAIN-2024-18\r\noperator: Common Crawl Admin\r\n"
            b"software: Apache Nutch 1.19\r\nformat: WARC File Format 1.1\r\n")
    out.record("warcinfo", info, [("WARC-Filename", path.name)],
               content_type="application/warc-fields")
    for number in range(pages):
        request, response, payload = http_exchange(number)
        out.record("request", request, [("WARC-IP-Address", "127.0.0.1"),
                                        ("WARC-Block-Digest", sha1_base32(request))],
                   uri=url(number), content_type=REQUEST_TYPE)
        out.record("response", response, [("WARC-IP-Address", "127.0.0.1"),
                                          ("WARC-Block-Digest", sha1_base32(response)),
                                          ("WARC-Payload-Digest", sha1_base32(payload)),
                                          ("WARC-Identified-Payload-Type", "text/html")],
                   uri=url(number), content_type=RESPONSE_TYPE)
        metadata = b"fetchTimeMs: 87\r\ncharset-detected: UTF-8\r\n"
        out.record("metadata", metadata, [("WARC-Block-Digest", sha1_base32(metadata))],
                   uri=url(number), content_type="application/warc-fields")
    return out.write(path)


def browsertrix_warc(path: Path, pages: int = 3) -> Path:
    out = HandWriter("WARC/1.1")
    info = b"software: Browsertrix-Crawler 1.1.0 (with warcio.js 2.2.1)\r\nformat: WARC 1.1\r\n"
    out.record("warcinfo", info, [("WARC-Filename", path.name),
                                  ("WARC-Block-Digest", sha256_hex(info))],
               content_type="application/warc-fields")
    for number in range(pages):
        request, response, payload = http_exchange(number)
        out.record("response", response, [("WARC-Payload-Digest", sha256_hex(payload)),
                                          ("WARC-Block-Digest", sha256_hex(response))],
                   uri=url(number), content_type=RESPONSE_TYPE)
        out.record("request", request, [("WARC-Payload-Digest", sha256_hex(b"")),
                                        ("WARC-Block-Digest", sha256_hex(request))],
                   uri=url(number), content_type=REQUEST_TYPE)
    text = b"Page 0 says what it says."
    out.record("resource", text, [("WARC-Payload-Digest", sha256_hex(text)),
                                  ("WARC-Block-Digest", sha256_hex(text))],
               uri=f"urn:text:{url(0)}", content_type="text/plain")
    return out.write(path)


def warcio_warc(path: Path, pages: int = 3) -> Path:
    """As pywb's recorder and warcprox write them: through warcio, which digests every record
    (sha1, base32), revisits included."""
    with path.open("wb") as output:
        writer = WARCWriter(output, gzip=True)
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "pywb 2.8"}))
        digest = ""
        for number in range(pages):
            _, _, payload = http_exchange(number)
            headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html")],
                                       protocol="HTTP/1.1")
            record = writer.create_warc_record(url(number), "response",
                                               payload=io.BytesIO(payload),
                                               http_headers=headers)
            writer.write_record(record)
            digest = digest or record.rec_headers.get_header("WARC-Payload-Digest")
            request = StatusAndHeaders(f"GET /page{number}.html", [("Host", "127.0.0.1")],
                                       protocol="HTTP/1.1", is_http_request=True)
            writer.write_record(writer.create_warc_record(url(number), "request",
                                                          payload=io.BytesIO(b""),
                                                          http_headers=request))
        revisit_head = StatusAndHeaders("200 OK", [("Content-Type", "text/html")],
                                        protocol="HTTP/1.1")
        writer.write_record(writer.create_revisit_record(
            "http://127.0.0.1/again.html", digest, url(0), DATE, http_headers=revisit_head))
    return path


def warcio_reads(path: Path, *, arc: bool = False) -> list[str]:
    """The judge: the record types warcio's reader finds (it raises on a malformed file)."""
    with path.open("rb") as stream:
        return [record.rec_type for record in ArchiveIterator(stream, arc2warc=arc)]


def note_codes(report: VerificationReport) -> list[str]:
    return [note.code for note in report.notes]


# -- the grades ----------------------------------------------------------------------------


@pytest.mark.parametrize("writer", [wget_warc, common_crawl_warc, browsertrix_warc,
                                    warcio_warc])
def test_warcs_whose_content_digests_cover_are_intact(writer: Callable[[Path], Path],
                                                      tmp_path: Path) -> None:
    path = writer(tmp_path / f"{writer.__name__}.warc.gz")
    assert warcio_reads(path)
    report = verify(path)
    assert report.verdict == "intact" and report.problems == []
    assert report.coverage.payload_only == 0 and report.coverage.unverifiable == 0
    assert report.coverage.verified + sum(report.coverage.no_digest.values()) == \
        report.records_checked
    assert len(report.notes) == sum(report.coverage.no_digest.values())


def test_wget_and_warcio_warcs_are_verified_whole_even_under_strict(tmp_path: Path) -> None:
    for writer in (wget_warc, warcio_warc, browsertrix_warc):
        path = writer(tmp_path / f"{writer.__name__}.warc.gz")
        report = verify(path, strict=True)
        assert report.coverage.fully_covered and report.notes == []
        code, stdout = run("verify", "--strict", str(path))
        assert code == 0 and f"{path}: intact: {report.records_checked} records verified (warc;" \
            in stdout


def test_common_crawl_lists_its_warcinfo(tmp_path: Path) -> None:
    path = common_crawl_warc(tmp_path / "CC-MAIN.warc.gz")
    report = verify(path)
    assert report.coverage.verified == 9 and report.coverage.no_digest == {"warcinfo": 1}
    assert render_verification(report).startswith(
        f"{path}: intact: 9 records verified; 1 record carries no digest of its own "
        "(1 warcinfo) (warc;")
    strict = check(path, strict=True)
    assert [problem.code for problem in strict.problems] == ["record-no-digest"]


def test_heritrix_payloads_are_verified_headers_not_covered(tmp_path: Path) -> None:
    path = heritrix_warc(tmp_path / "heritrix.warc.gz")
    assert warcio_reads(path).count("revisit") == 2
    report = verify(path)
    assert report.verdict == "intact"
    assert report.coverage.payload_only == 3 and report.coverage.verified == 0
    assert report.coverage.no_digest == {"request": 3, "metadata": 3, "revisit": 2,
                                         "warcinfo": 1}
    notes = {note.code: note for note in report.notes}
    assert note_codes(report).count("record-headers-not-covered") == 3
    assert note_codes(report).count("record-no-digest") == 9
    assert "payload verified, headers not covered" in notes["record-headers-not-covered"].message
    assert all(note.record_id and note.offset is not None for note in report.notes)
    code, stdout = run("verify", str(path))
    assert code == 0
    assert stdout.startswith(
        f"{path}: intact: 3 payloads verified, headers not covered; 9 records carry no "
        "digest of their own (3 metadata, 3 request, 2 revisit, 1 warcinfo) (warc; 1 file(s), "
        "12 record(s), ")
    assert len(stdout.splitlines()) == 1  # the notes are summed up, listed by --json


def test_the_issues_example_verdict(tmp_path: Path) -> None:
    path = heritrix_warc(tmp_path / "crawl.warc.gz", pages=171, revisits=123)
    report = verify(path)
    assert report.describe_coverage() == (
        "171 payloads verified, headers not covered; 466 records carry no digest of their "
        "own (171 metadata, 171 request, 123 revisit, 1 warcinfo)")


def test_strict_fails_on_anything_not_covered_whole(tmp_path: Path) -> None:
    path = heritrix_warc(tmp_path / "heritrix.warc.gz")
    report = check(path, strict=True)
    assert report.verdict == "cannot-be-verified" and not report.is_valid
    assert sorted({problem.code for problem in report.problems}) == [
        "record-headers-not-covered", "record-no-digest"]
    assert len(report.problems) == 12 and report.notes == []
    code, stdout = run("verify", "--strict", str(path))
    assert code == 1 and f"{path}: CANNOT BE VERIFIED (warc; 12 problem(s);" in stdout
    assert "  digests: 3 payloads verified, headers not covered;" in stdout


def test_damage_past_the_problems_kept_still_makes_the_verdict_damaged(tmp_path: Path) -> None:
    """Under --strict, a Heritrix WARC has a problem for nearly every record: the one damaged
    payload near its end comes after the 100 problems a file keeps: it takes the place of an
    uncovered record's line, and decides."""
    path = heritrix_warc(tmp_path / "heritrix.warc.gz", pages=60, damage_payload=True)
    report = check(path, strict=True)
    assert len(report.problems) == 100 and report.omitted
    codes = [problem.code for problem in report.problems]
    assert codes.count("record-payload-digest-mismatch") == 1
    assert set(codes) - {"record-payload-digest-mismatch"} <= {"record-no-digest",
                                                                "record-headers-not-covered"}
    assert report.verdict == "damaged" and report.coverage.damaged == 1
    assert "; 1 record damaged; " in render_verification(report).splitlines()[1]
    intact = check(heritrix_warc(tmp_path / "intact.warc.gz", pages=60), strict=True)
    assert intact.omitted and intact.verdict == "cannot-be-verified"
    # Counted by a reader, not kept: damage unless the reader says they were all uncovered.
    for uncovered, verdict in ((5, "cannot-be-verified"), (4, "damaged")):
        counted = VerificationReport("x.warc", "warc")
        counted.count_omitted("x.warc", 5, uncovered)
        assert counted.verdict == verdict


def test_a_response_no_digest_covers_cannot_be_verified(tmp_path: Path) -> None:
    """Heritrix writes its dns: responses with no digest: their content is unverifiable."""
    path = heritrix_warc(tmp_path / "heritrix-dns.warc.gz", dns=True)
    report = check(path)
    assert report.verdict == "cannot-be-verified" and report.unverifiable_records == 1
    (problem,) = report.problems
    assert problem.code == "record-unverifiable" and "response record" in problem.message
    code, stdout = run("verify", str(path))
    assert code == 1 and "CANNOT BE VERIFIED" in stdout
    assert "  digests: 3 payloads verified, headers not covered; 1 record that no digest " \
        "covers cannot be verified; 9 records carry no digest of their own" in stdout


def test_a_resource_without_digest_cannot_be_verified(tmp_path: Path) -> None:
    out = HandWriter()
    out.record("resource", b"a screenshot", uri="urn:screenshot:http://127.0.0.1/",
               content_type="image/png")
    report = check(out.write(tmp_path / "resource.warc.gz"))
    assert [problem.code for problem in report.problems] == ["record-unverifiable"]


def test_a_damaged_payload_is_damaged_whatever_else_is_uncovered(tmp_path: Path) -> None:
    intact = heritrix_warc(tmp_path / "intact.warc.gz")
    assert warcio_check(intact)[0] == 0  # the judge: every digest it could check matched
    path = heritrix_warc(tmp_path / "heritrix.warc.gz", damage_payload=True)
    report = check(path)
    assert report.verdict == "damaged" and report.coverage.damaged == 1
    (problem,) = report.problems
    assert problem.code == "record-payload-digest-mismatch"
    code, said = warcio_check(path)
    assert code == 1 and f"offset {problem.offset} WARC-Record-ID {problem.record_id}" in said
    assert run("verify", str(path))[1].startswith(f"{path}: DAMAGED (warc; 1 problem(s);")


def test_a_block_digest_alone_covers_the_record_whole(tmp_path: Path) -> None:
    out = HandWriter()
    for number in range(2):
        _, response, _ = http_exchange(number)
        out.record("response", response, [("WARC-Block-Digest", sha1_base32(response))],
                   uri=url(number), content_type=RESPONSE_TYPE)
    report = verify(out.write(tmp_path / "block-only.warc.gz"), strict=True)
    assert report.coverage.verified == 2 and report.notes == []


def test_a_payload_digest_on_a_record_that_is_not_http_covers_its_block(tmp_path: Path) -> None:
    out = HandWriter()
    body = b"plain text, its payload is its block"
    out.record("resource", body, [("WARC-Payload-Digest", sha1_base32(body))],
               uri="http://127.0.0.1/a.txt", content_type="text/plain")
    report = verify(out.write(tmp_path / "payload-only-resource.warc.gz"), strict=True)
    assert report.coverage.verified == 1


def test_json_counts_every_grade_and_notes_every_record(tmp_path: Path) -> None:
    heritrix = heritrix_warc(tmp_path / "heritrix.warc.gz", dns=True)
    wget = wget_warc(tmp_path / "wget.warc.gz")
    code, stdout = run("verify", "--json", str(heritrix), str(wget), str(FIXTURES / "intact.arc"))
    assert code == 1
    reports = json.loads(stdout)
    schema = load_schema("verification")
    for report in reports:
        jsonschema.validate(report, schema)
    first, second, third = reports
    assert first["verdict"] == "cannot-be-verified" and first["coverage"] == {
        "verified": 0, "payload_only": 3, "unverifiable": 1, "damaged": 0, "structure_only": 0,
        "no_digest": {"metadata": 3, "request": 3, "revisit": 2, "warcinfo": 1}}
    assert first["unverifiable_records"] == 1
    assert len(first["notes"]) == 12 and first["notes_omitted"] == {}
    assert {note["record_id"] for note in first["notes"]} <= set(
        record_ids(heritrix))
    assert second["verdict"] == "intact" and second["coverage"]["verified"] == 9
    assert second["summary"] == "9 records verified" and second["strict"] is False
    assert third["kind"] == "arc" and third["verdict"] == "structure-checked"
    assert third["coverage"]["structure_only"] == 4 and third["valid"] is True


def test_every_kind_of_report_matches_the_schema(sample_package: Path, tmp_path: Path) -> None:
    schema = load_schema("verification")
    [leftover] = (FIXTURES.parent / "leftovers" / ".story.partial-0123abcd").glob(
        "story/data/warc/*.warc.gz")
    strict = heritrix_warc(tmp_path / "strict.warc.gz")
    for report in (check(sample_package), check(FIXTURES / "bad-block-digest.warc.gz"),
                   check(leftover), check(strict, strict=True),
                   check(FIXTURES / "truncated.arc.gz", strict=True)):
        jsonschema.validate(json.loads(json.dumps(report.to_dict())), schema)
    assert check(leftover).verdict == "incomplete"


def record_ids(path: Path) -> list[str]:
    with path.open("rb") as stream:
        return [record.rec_headers.get_header("WARC-Record-ID")
                for record in ArchiveIterator(stream)]


def test_a_report_keeps_a_bounded_number_of_notes() -> None:
    report = VerificationReport("x.warc", "warc", max_notes=2)
    report.add_notes("x.warc", [Note("record-no-digest", "x.warc", "m", f"<id{n}>", n)
                                for n in range(5)], omitted=10)
    assert len(report.notes) == 2 and report.notes_omitted == {"x.warc": 13}


def test_a_warc_checked_in_parts_counts_as_one_read_whole(tmp_path: Path) -> None:
    path = heritrix_warc(tmp_path / "heritrix.warc.gz", pages=400, revisits=50)
    assert warc_check._cuts(path, 1)  # it is cut into parts
    whole = check_warc_file(path, "h", split_min_bytes=1 << 40)
    parts = check_warc_file(path, "h", split_min_bytes=1)
    assert whole.coverage == parts.coverage and whole.coverage.payload_only == 400
    assert sorted(note.offset or 0 for note in parts.notes) == \
        sorted(note.offset or 0 for note in whole.notes)


# -- ARC files -----------------------------------------------------------------------------


def arc_record(url_: str, block: bytes, *, date: str = "20050614070144",
               content_type: str = "text/html", v2: bool = False) -> bytes:
    if v2:
        line = (f"{url_} 192.0.2.7 {date} {content_type} 200 - - 0 crawl.arc {len(block)}")
    else:
        line = f"{url_} 192.0.2.7 {date} {content_type} {len(block)}"
    return line.encode("ascii") + b"\n" + block + b"\n"


def arc_file(version_block: bytes, records: list[bytes], *, first: bytes | None = None) -> bytes:
    head = first if first is not None else (
        b"filedesc://crawl.arc 0.0.0.0 20050614070144 text/plain %d\n" % len(version_block)
        + version_block + b"\n")
    return head + b"".join(records)


V1_BLOCK = b"1 0 InternetArchive\nURL IP-address Archive-date Content-type Archive-length\n"
V2_BLOCK = (b"2 0 Alexa Internet\nURL IP-address Archive-date Content-type Result-code "
            b"Checksum Location Offset Filename Archive-length\n")


def http_block(number: int) -> bytes:
    _, response, _ = http_exchange(number)
    return response


@pytest.mark.parametrize("name", ["intact.arc", "intact.arc.gz"])
def test_an_arc_file_is_structure_checked_saying_it_has_no_digests(name: str) -> None:
    path = FIXTURES / name
    assert warcio_reads(path, arc=True)
    report = verify(path)
    assert report.kind == "arc" and report.verdict == "structure-checked"
    assert report.coverage.structure_only == report.records_checked == 4
    code, stdout = run("verify", str(path))
    assert code == 0
    assert stdout.startswith(f"{path}: structure sound; {ARC_VERDICT} (arc; 1 file(s), "
                             "4 record(s),")
    assert ARC_VERDICT == "ARC files carry no digests: structure checked, content cannot " \
        "be verified"


def test_strict_fails_an_arc_file(tmp_path: Path) -> None:
    code, stdout = run("verify", "--strict", str(FIXTURES / "intact.arc.gz"))
    assert code == 1 and "CANNOT BE VERIFIED (arc; 1 problem(s);" in stdout
    assert f"{ARC_VERDICT} (4 records not covered by any digest) [arc-no-digests]" in stdout


def test_an_arc_version_2_file_is_sound(tmp_path: Path) -> None:
    path = tmp_path / "alexa.arc"
    path.write_bytes(arc_file(V2_BLOCK, [arc_record(url(n), http_block(n), v2=True)
                                         for n in range(3)]))
    assert warcio_reads(path, arc=True) == ["warcinfo", "response", "response", "response"]
    report = verify(path)
    assert report.verdict == "structure-checked" and report.records_checked == 4


def test_a_gzipped_arc_with_any_name_is_read_as_arc(tmp_path: Path) -> None:
    data = arc_file(V1_BLOCK, [arc_record(url(0), http_block(0))])
    path = tmp_path / "crawl.dat"  # no ARC name: its first record says what it is
    packer = zlib.compressobj(6, zlib.DEFLATED, 31)
    path.write_bytes(packer.compress(data) + packer.flush())
    assert check(path).verdict == "structure-checked"


@pytest.mark.parametrize(("build", "code"), [
    (lambda: arc_file(V1_BLOCK, [arc_record(url(0), http_block(0), v2=True)]),
     "arc-header-version-mismatch"),
    (lambda: arc_file(V2_BLOCK, [arc_record(url(0), http_block(0))]),
     "arc-header-version-mismatch"),
    (lambda: arc_record(url(0), http_block(0)) + arc_record(url(1), http_block(1)),
     "arc-version-block-invalid"),
    (lambda: arc_file(b"URL IP-address Archive-date Content-type Archive-length\n",
                      [arc_record(url(0), http_block(0))]), "arc-version-block-invalid"),
    (lambda: arc_file(b"1 0 InternetArchive\nURL IP-address Archive-date\n",
                      [arc_record(url(0), http_block(0))]), "arc-version-block-invalid"),
    (lambda: b"", "arc-version-block-invalid"),
    # A length ten bytes short: the record's last bytes are read as a header line.
    (lambda: arc_file(V1_BLOCK, [arc_record(url(0), http_block(0)).replace(
        b" %d\n" % len(http_block(0)), b" %d\n" % (len(http_block(0)) - 10), 1),
        arc_record(url(1), http_block(1))]), "record-header-invalid"),
    # The last record's length runs past the end of the file.
    (lambda: arc_file(V1_BLOCK, [arc_record(url(0), http_block(0)).replace(
        b" %d\n" % len(http_block(0)), b" %d\n" % (len(http_block(0)) + 99), 1)]),
     "truncated-record"),
])
def test_each_broken_arc_structure_is_named(build: Callable[[], bytes], code: str,
                                            tmp_path: Path) -> None:
    path = tmp_path / "broken.arc"
    path.write_bytes(build())
    report = check(path)
    assert report.kind == "arc" and report.verdict == "damaged"
    assert code in {problem.code for problem in report.problems}
    assert [note.code for note in report.notes] == ["arc-no-digests"]
    exit_code, stdout = run("verify", str(path))
    assert exit_code == 1 and f"{path}: DAMAGED (arc;" in stdout and f"[{code}]" in stdout
    assert (f"  digests: {ARC_VERDICT}" in stdout) == bool(report.records_checked)


def gzip_members(parts: list[bytes]) -> bytes:
    out = b""
    for part in parts:
        packer = zlib.compressobj(6, zlib.DEFLATED, 31)
        out += packer.compress(part) + packer.flush()
    return out


def test_a_gzipped_arc_record_whose_length_runs_into_the_next_member_is_named(
        tmp_path: Path) -> None:
    """Two bytes too long, a record eats the next member's newline and first letter: the next
    header line still parses (`ttp://...` is a URL), so only its member's end tells."""
    version = (b"filedesc://crawl.arc 0.0.0.0 20050614070144 text/plain %d\n" % len(V1_BLOCK)
               + V1_BLOCK + b"\n")
    good = [version, arc_record(url(0), http_block(0)), arc_record(url(2), http_block(2))]
    path = tmp_path / "crawl.arc.gz"
    path.write_bytes(gzip_members(good))
    assert check(path).verdict == "structure-checked"
    long = arc_record(url(1), http_block(1)).replace(b" %d\n" % len(http_block(1)),
                                                      b" %d\n" % (len(http_block(1)) + 2), 1)
    path.write_bytes(gzip_members([*good[:2], long, good[2]]))
    report = check(path)
    assert [problem.code for problem in report.problems] == ["arc-record-length-mismatch"]
    assert report.problems[0].found == url(1)


def test_a_file_that_is_neither_warc_nor_arc_is_still_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello")
    code, _ = run("verify", str(path))
    assert code == 2
