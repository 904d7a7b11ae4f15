"""A readable copy of a PDF whose object table or page tree is destroyed.

A damaged file (cut short, partly overwritten, its cross-reference table wrong) often still
holds intact page objects. PDFium refuses such a file when its catalog or page tree is gone,
so this module finds the objects by scanning the file for ``N G obj`` headers (through mmap:
nothing is copied into Python memory), then writes a copy with a fresh page tree listing the
page objects found, in file order (a linearized file names its first page, which goes first),
and a fresh cross-reference table. PDFium then reads the copy as it would any PDF.

Every number read from the file is hostile: the work and the copy grow with the objects
actually found, never with the numbers they claim. The table lists only the objects found
(one subsection per run of consecutive numbers), so an object numbered 999999999 costs one
row, not a billion; numbers past the PDF's own limit (ISO 32000-1, annex C: 8,388,607) are
not objects of any real file and are left out.
"""

from __future__ import annotations

import mmap
import re
import shutil
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

_OBJ_KEYWORD = re.compile(rb"obj\b")
_OBJ_HEADER = re.compile(rb"(?<![0-9])(\d{1,10})[ \t\r\n\f\x00]+(\d{1,5})[ \t\r\n\f\x00]+$")
_PAGE_TYPE = re.compile(rb"/Type\s*/Page(?![A-Za-z])")
_TREE_COUNT = re.compile(
    rb"/Type\s*/Pages\b.*?/Count\s+(\d{1,9})|/Count\s+(\d{1,9}).*?/Type\s*/Pages\b", re.DOTALL)
_PARENT = re.compile(rb"/Parent\s+(\d{1,10})\s+\d{1,5}\s+R")
_LINEARIZED_COUNT = re.compile(rb"/Linearized\b[^>]*?/N\s+(\d+)")
_LINEARIZED_FIRST = re.compile(rb"/Linearized\b[^>]*?/O\s+(\d+)")
HEADER_WINDOW = 32  # bytes before "obj" that hold "N G "
DICT_WINDOW = 2048  # bytes after "obj" searched for the page type
MAX_OBJECTS = 1_000_000  # bounded work on a hostile file
SCAN_WINDOW = 16 * 1024 * 1024  # the most of the file resident at once while scanning
MAX_OBJECT_NUMBER = 8_388_607  # the largest object number a PDF may use (ISO 32000-1, C.2)
MAX_PAGES_KEPT = 100_000  # pages put in the new page tree (more are counted, not read)


@dataclass
class ObjectScan:
    """Where each object starts, in file order (a number defined twice: the last definition
    wins, as in an updated file). Arrays, not dicts: a file of a million tiny objects must
    not take a gigabyte to describe."""

    numbers: array[int] = field(default_factory=lambda: array("q"))
    offsets: array[int] = field(default_factory=lambda: array("q"))
    generations: array[int] = field(default_factory=lambda: array("q"))
    pages: list[tuple[int, int]] = field(default_factory=list)  # (number, generation)
    page_total: int = 0  # pages found; only the first MAX_PAGES_KEPT are kept
    parents: set[int] = field(default_factory=set)  # at most two: is there one, or more?
    declared_pages: int | None = None  # the largest /Count of a page tree node: the root's
    size: int = 0


def linearized_page_count(head: bytes) -> int | None:
    """The page count a linearized file declares in its first object.

    >>> linearized_page_count(b"%PDF-1.4\\n1 0 obj <</Linearized 1/L 2818/O 178/N 4>>")
    4
    """
    match = _LINEARIZED_COUNT.search(head)
    return int(match.group(1)) if match else None


def scan_objects(handle: IO[bytes], head: bytes) -> ObjectScan:
    """The objects of the file and which of them are pages."""
    scan = ObjectScan()
    first = _LINEARIZED_FIRST.search(head)
    first_page = int(first.group(1)) if first is not None else None
    with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
        scan.size = len(data)
        for at in _keywords(data):
            if len(scan.numbers) >= MAX_OBJECTS:
                break
            _note_object(data, at, scan, first_page)
    if first_page is not None:
        scan.pages.sort(key=lambda page: page[0] != first_page)  # stable: file order otherwise
    return scan


def _keywords(data: mmap.mmap) -> Iterator[int]:
    """Where each "obj" keyword starts, a window at a time; the pages of a window are given
    back once it is scanned, so the scan's resident memory stays one window (a 512 MiB file
    mapped whole would count 512 MiB against the reader, though nothing is copied)."""
    size, released = len(data), 0
    for start in range(0, size, SCAN_WINDOW):
        end = min(size, start + SCAN_WINDOW)
        # A little past the window, so a keyword at its edge is judged with what follows.
        for keyword in _OBJ_KEYWORD.finditer(data, start, min(size, end + 8)):
            if keyword.start() < end:
                yield keyword.start()
        done = end - DICT_WINDOW - mmap.PAGESIZE  # what the next keywords never look back at
        done -= done % mmap.PAGESIZE
        if done > released:
            data.madvise(mmap.MADV_DONTNEED, released, done - released)
            released = done


def _note_object(data: mmap.mmap, at: int, scan: ObjectScan, first_page: int | None) -> None:
    header = _OBJ_HEADER.search(data, max(0, at - HEADER_WINDOW), at)
    if header is None:
        return  # "endobj", or "obj" inside some stream
    number, generation = int(header.group(1)), int(header.group(2))
    if number > MAX_OBJECT_NUMBER:
        return  # no real file numbers an object so; a table reaching it would be huge
    scan.numbers.append(number)
    scan.offsets.append(header.start())
    scan.generations.append(generation)
    body = data[at + 3:at + 3 + DICT_WINDOW]
    body = body.split(b"endobj", 1)[0].split(b"stream", 1)[0]
    tree = _TREE_COUNT.search(body)
    if tree is not None:
        count = int(tree.group(1) or tree.group(2))
        scan.declared_pages = max(count, scan.declared_pages or 0)
    elif _PAGE_TYPE.search(body):
        scan.page_total += 1
        if len(scan.pages) < MAX_PAGES_KEPT or number == first_page:
            scan.pages.append((number, generation))
        parent = _PARENT.search(body)
        if parent is not None and len(scan.parents) < 2:
            scan.parents.add(int(parent.group(1)))


def write_repaired_copy(source: Path, scan: ObjectScan, target: Path,
                        max_pages: int | None = None) -> None:
    """A copy of ``source`` with a page tree of the pages found (the first ``max_pages``
    of them: the rest would not be read) and an object table."""
    shutil.copyfile(source, target)
    last = max(scan.numbers, default=0)
    # Reuse the number the pages name as parent, so that their /Parent links resolve.
    parent = next(iter(scan.parents)) if len(scan.parents) == 1 else 0
    tree = parent if 0 < parent <= MAX_OBJECT_NUMBER else last + 1
    catalog = max(last, tree) + 1
    pages = scan.pages if max_pages is None else scan.pages[:max_pages]
    kids = " ".join(f"{number} {generation} R" for number, generation in pages)
    added = bytearray(b"\n")
    new_offsets = {}
    for number, body in ((tree, f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>"),
                         (catalog, f"<< /Type /Catalog /Pages {tree} 0 R >>")):
        new_offsets[number] = scan.size + len(added)
        added += f"{number} 0 obj\n{body}\nendobj\n".encode("ascii")
    with target.open("ab") as out:
        out.write(added)
        xref_at = scan.size + len(added)
        for row in _xref_rows(_last_definitions(scan, new_offsets)):
            out.write(row)
        out.write(f"trailer\n<< /Root {catalog} 0 R /Size {catalog + 1} >>\n"
                  f"startxref\n{xref_at}\n%%EOF\n".encode("ascii"))


Entry = tuple[int, int, int]  # (number, offset, generation)


def _last_definitions(scan: ObjectScan, added: dict[int, int]) -> list[Entry]:
    """Every object number once, with its last definition, in number order (object 0, the
    head of the free list, first; the objects written at the end last by their number)."""
    order = sorted(range(len(scan.numbers)), key=scan.numbers.__getitem__)  # stable
    entries: list[Entry] = [(0, 0, 65535)]
    for index in order:
        number = scan.numbers[index]
        entry = (number, scan.offsets[index], scan.generations[index])
        if number in added or number == 0:
            continue
        if entries[-1][0] == number:
            entries[-1] = entry  # a later definition of the same number
        else:
            entries.append(entry)
    entries.extend((number, offset, 0) for number, offset in added.items())
    entries.sort(key=lambda entry: entry[0])
    return entries


def _xref_rows(entries: list[Entry]) -> Iterator[bytes]:
    """The table, one subsection per run of consecutive numbers: its size follows the
    objects found, not the largest number.

    >>> b"".join(_xref_rows([(0, 0, 65535), (1, 9, 0), (2, 40, 0), (7, 80, 3)])).split(b"\\n")
    [b'xref', b'0 3', b'0000000000 65535 f ', b'0000000009 00000 n ', b'0000000040 00000 n ', \
b'7 1', b'0000000080 00003 n ', b'']
    """
    yield b"xref\n"
    run_start = 0
    for index, (number, _, _) in enumerate(entries):
        if index + 1 < len(entries) and entries[index + 1][0] == number + 1:
            continue
        run = entries[run_start:index + 1]
        yield f"{run[0][0]} {len(run)}\n".encode("ascii")
        for each, offset, generation in run:
            kind = "f" if each == 0 else "n"
            yield f"{offset:010d} {generation:05d} {kind} \n".encode("ascii")
        run_start = index + 1
