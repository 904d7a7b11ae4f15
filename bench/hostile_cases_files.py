"""The hostile cases that are files: damaged WARCs, packages, WACZs and documents given to
`archiver extract` and `archiver verify` (items 3, 6, 7, 8, 9, 10 and 11 of issue 10)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from hostile_context import BOMB_TARGET_MB, CaseResult, Context, case, result_of
from hostile_files import (
    MIB,
    PDF_BIG_OBJECT_NUMBER,
    Record,
    brotli_bomb,
    copy_package,
    cut_in_record,
    good_records,
    http_response,
    nested_json,
    padded_datapackage,
    read_datapackage,
    rebuild_tag_line,
    response_record,
    rewrite_wacz,
    victim_file,
    warcinfo_record,
    write_long_header_line_warc,
    write_many_entry_zip,
    write_warc,
)
from hostile_runner import escape, is_format_control

# -- item 3 ---------------------------------------------------------------------------------


@case("3-pdf-extract", "extract of a 71-byte damaged PDF naming object 999999999")
def pdf_extract(ctx: Context, name: str, title: str) -> CaseResult:
    path = ctx.case_dir(name) / "damaged.pdf"
    path.write_bytes(PDF_BIG_OBJECT_NUMBER)
    run = ctx.run("extract", path)
    result = result_of(ctx, name, title, run, exits={1})
    result.checks["names the file"] = "damaged.pdf" in run.output_text
    return result


# -- item 6 ---------------------------------------------------------------------------------

def big_datapackage(ctx: Context, name: str, title: str, size: int) -> CaseResult:
    base = ctx.base_wacz()
    wacz = ctx.case_dir(name) / "big-datapackage.wacz"
    rewrite_wacz(base, wacz, padded_datapackage(read_datapackage(base), size))
    return result_of(ctx, name, title, ctx.run("verify", wacz), exits={1, 2})


@case("6-datapackage-20mb", "verify of a WACZ whose datapackage.json is 20 MB (millions of "
      "empty resources)")
def datapackage_20mb(ctx: Context, name: str, title: str) -> CaseResult:
    return big_datapackage(ctx, name, title, 20 * 1000 * 1000)


@case("6-datapackage-200mb", "verify of a WACZ whose datapackage.json is 200 MB")
def datapackage_200mb(ctx: Context, name: str, title: str) -> CaseResult:
    return big_datapackage(ctx, name, title, 200 * 1000 * 1000)


@case("6-million-entries", "verify of a WACZ (zip) with a million entries")
def million_entries(ctx: Context, name: str, title: str) -> CaseResult:
    wacz = ctx.case_dir(name) / "million.wacz"
    datapackage = json.dumps({"profile": "data-package", "wacz_version": "1.1.1",
                              "resources": []}).encode()
    write_many_entry_zip(wacz, 1_000_000, ("datapackage.json", datapackage))
    return result_of(ctx, name, title, ctx.run("verify", wacz), exits={1, 2})


# -- item 7 ---------------------------------------------------------------------------------

@case("7-manifest-nested", "verify of a package whose manifest.json nests 1,100 deep (bag "
      "checksums rebuilt)")
def manifest_nested(ctx: Context, name: str, title: str) -> CaseResult:
    package = copy_package(ctx.base_package(), ctx.case_dir(name) / "package")
    manifest = json.loads((package / "manifest.json").read_text("utf-8"))
    (package / "manifest.json").write_bytes(nested_json(manifest, "signatures"))
    rebuild_tag_line(package, "manifest.json")
    return result_of(ctx, name, title, ctx.run("verify", package), exits={1, 2})


@case("7-datapackage-nested", "verify of a WACZ whose datapackage.json nests 1,100 deep")
def datapackage_nested(ctx: Context, name: str, title: str) -> CaseResult:
    base = ctx.base_wacz()
    wacz = ctx.case_dir(name) / "nested.wacz"
    rewrite_wacz(base, wacz, [nested_json(read_datapackage(base), "x-nested")])
    return result_of(ctx, name, title, ctx.run("verify", wacz), exits={1, 2})


@case("7-no-target-uri", "extract of a WARC with a response record without WARC-Target-URI")
def no_target_uri(ctx: Context, name: str, title: str) -> CaseResult:
    records = good_records(2)
    records.insert(2, response_record(None, b"<!doctype html><title>No URI</title><p>orphan"))
    warc = ctx.case_dir(name) / "no-target-uri.warc.gz"
    write_warc(warc, records, gzipped=True)
    return result_of(ctx, name, title, ctx.run("extract", warc), exits={1, 2})


# -- item 8 ---------------------------------------------------------------------------------

def special_file_case(ctx: Context, name: str, title: str, kind: str) -> CaseResult:
    package = copy_package(ctx.base_package(), ctx.case_dir(name) / "package")
    victim = victim_file(package)
    relative = victim.relative_to(package)
    if kind == "outside":
        outside = ctx.case_dir(name) / f"outside-{victim.name}"
        shutil.copyfile(victim, outside)  # the same bytes: following the link says "intact"
        target = link_as_long_as(outside, victim)
        victim.unlink()
        victim.symlink_to(target)
    elif kind == "fifo":
        victim.unlink()
        os.mkfifo(victim)
    else:
        victim.unlink()
        victim.symlink_to("/dev/zero")
    run = ctx.run("verify", package)
    result = result_of(ctx, name, title, run, exits={1})
    result.checks["names the file"] = str(relative) in run.output_text
    result.notes.append(f"{relative} replaced ({kind})")
    return result


def link_as_long_as(target: Path, link: Path) -> str:
    """A relative path from `link` to `target` exactly as long as the file is (slashes
    doubled: "a//b" is "a/b"), so that the link's own size (lstat) equals the file's and a
    size check does not give the link away; only not following it does."""
    relative = os.path.relpath(target, link.parent)
    spare = target.stat().st_size - len(relative)
    if spare <= 0 or "/" not in relative:
        return relative
    return relative.replace("/", "/" * (1 + spare), 1)


@case("8-symlink-dev-zero", "verify of a package where a listed file is a symlink to /dev/zero")
def symlink_dev_zero(ctx: Context, name: str, title: str) -> CaseResult:
    return special_file_case(ctx, name, title, "dev-zero")


@case("8-fifo", "verify of a package where a listed file is a FIFO")
def fifo(ctx: Context, name: str, title: str) -> CaseResult:
    return special_file_case(ctx, name, title, "fifo")


@case("8-symlink-out-of-bag", "verify of a package where a listed file is a symlink to an "
      "identical file outside the bag (the link as long as the file)")
def symlink_out_of_bag(ctx: Context, name: str, title: str) -> CaseResult:
    return special_file_case(ctx, name, title, "outside")


# -- item 9 ---------------------------------------------------------------------------------

def cut_warc(ctx: Context, name: str, title: str, gzipped: bool) -> CaseResult:
    warc = ctx.case_dir(name) / ("cut.warc.gz" if gzipped else "cut.warc")
    offsets = write_warc(warc, good_records(3), gzipped=gzipped)
    # gzipped: a quarter into the member, so the WARC header itself is cut; plain: halfway
    # through the record, in its payload
    cut_in_record(warc, offsets, 2, 0.25 if gzipped else 0.5)
    return result_of(ctx, name, title, ctx.run("extract", warc), exits={1})


@case("9-gzip-cut", "extract of a gzipped WARC cut inside a record's WARC header")
def gzip_cut(ctx: Context, name: str, title: str) -> CaseResult:
    return cut_warc(ctx, name, title, gzipped=True)


@case("9-plain-cut", "extract of a plain WARC cut in the middle of a record's payload")
def plain_cut(ctx: Context, name: str, title: str) -> CaseResult:
    return cut_warc(ctx, name, title, gzipped=False)


@case("9-length-past-end", "extract of a plain WARC whose 1st response record declares a "
      "Content-Length longer than the file (2 records after it)")
def length_past_end(ctx: Context, name: str, title: str) -> CaseResult:
    info, first, *later = good_records(3)
    rest = b"".join(record.to_bytes() for record in later)
    first.content_length = len(first.block) + 4 + len(rest) + 1000
    warc = ctx.case_dir(name) / "long-length.warc"
    warc.write_bytes(info.to_bytes() + first.to_bytes() + rest)
    return result_of(ctx, name, title, ctx.run("extract", warc), exits={1})


@case("9-header-line-100mb", "extract of a plain WARC with a 100 MB WARC header line")
def header_line_100mb(ctx: Context, name: str, title: str) -> CaseResult:
    warc = ctx.case_dir(name) / "long-line.warc"
    write_long_header_line_warc(warc, 100 * MIB)
    return result_of(ctx, name, title, ctx.run("extract", warc), exits={1})


# -- item 10 --------------------------------------------------------------------------------

@case("10-brotli-extract", "extract of a WARC holding a 4 GiB brotli bomb (a br-encoded PDF)")
def brotli_extract(ctx: Context, name: str, title: str) -> CaseResult:
    bomb = brotli_bomb()
    records = [warcinfo_record(), response_record("http://bench.invalid/bomb.pdf", bomb,
                                                  "application/pdf",
                                                  [("Content-Encoding", "br")])]
    warc = ctx.case_dir(name) / "brotli-bomb.warc.gz"
    write_warc(warc, records, gzipped=True)
    result = result_of(ctx, name, title, ctx.run("extract", warc), exits={0, 1},
                       limit_mb=BOMB_TARGET_MB)
    result.notes.append(f"the bomb: {len(bomb):,} bytes of brotli decoding to 4 GiB")
    return result


# -- item 11 --------------------------------------------------------------------------------

HOSTILE_URI = "http://bench.invalid/\x1b[2J\x07page\r\u202etxt.exe"
HOSTILE_TITLE = "\x1b[31mRed\x07 title\u202e"


def control_warc(ctx: Context, name: str) -> Path:
    """A WARC whose target URIs, HTTP headers and page title hold ESC[2J, BEL, CR and U+202E;
    its 2nd response record has a wrong block digest and its 3rd a digest label holding them,
    so that verify names both."""
    page = f"<!doctype html><title>{HOSTILE_TITLE}</title><p>body \x1b[2J text</p>".encode()
    good = response_record(HOSTILE_URI, page, headers=[("X-Note", "\x1b]0;pwned\x07")])
    block = http_response("200 OK", [("Content-Type", "text/html")], page)
    damaged = Record("response", block, HOSTILE_URI + "-2", payload=page, digests=False,
                     extra=[("WARC-Block-Digest", "sha256:" + "A" * 52)])
    garbled = Record("response", block, HOSTILE_URI + "-3", payload=page, digests=False,
                     extra=[("WARC-Block-Digest", "sha256:\x1b[2J\x07\u202eAAAA\rB")])
    warc = ctx.case_dir(name) / "control.warc"
    write_warc(warc, [warcinfo_record(), good, damaged, garbled], gzipped=False)
    return warc


def raw_controls(data: bytes) -> list[str]:
    """The control characters in `data` that are not line ends or tabs, as escapes."""
    found = {chr(b) for b in data if (b < 0x20 and b not in (0x0A, 0x09)) or b == 0x7F}
    text = data.decode("utf-8", "replace")
    found |= {ch for ch in text if 0x80 <= ord(ch) <= 0x9F or is_format_control(ch)}
    return sorted(escape(ch) for ch in found)


def control_case(ctx: Context, name: str, title: str, verb: str, exits: set[int],
                 *options: str) -> CaseResult:
    run = ctx.run(verb, control_warc(ctx, name), *options)
    result = result_of(ctx, name, title, run, exits=exits)
    found = raw_controls(run.stdout + run.stderr)
    if found:
        result.notes.append("raw in the output: " + " ".join(found))
    result.checks["no raw control character in the output"] = not found
    return result


@case("11-controls-extract", "extract --text of a WARC whose URIs, headers and title hold "
      "ESC[2J, BEL, CR, U+202E")
def controls_extract(ctx: Context, name: str, title: str) -> CaseResult:
    return control_case(ctx, name, title, "extract", {0, 1}, "--text")


@case("11-controls-verify", "verify of that WARC (one record's digest is wrong, so it is named)")
def controls_verify(ctx: Context, name: str, title: str) -> CaseResult:
    return control_case(ctx, name, title, "verify", {1})
