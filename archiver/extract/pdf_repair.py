"""A readable copy of a PDF whose object table or page tree is destroyed.

A damaged file (cut short, partly overwritten, its cross-reference table wrong) often still
holds intact page objects. PDFium refuses such a file when its catalog or page tree is gone,
so this module finds the objects by scanning the file for ``N G obj`` headers (through mmap:
nothing is copied into Python memory), then writes a copy with a fresh page tree listing the
page objects found, in file order (a linearized file names its first page, which goes first),
and a fresh cross-reference table. PDFium then reads the copy as it would any PDF.
"""

from __future__ import annotations

import mmap
import re
import shutil
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


@dataclass
class ObjectScan:
    """Where each object starts (the last definition wins, as in an updated file)."""

    offsets: dict[int, tuple[int, int]] = field(default_factory=dict)  # number: (offset, gen)
    pages: list[tuple[int, int]] = field(default_factory=list)  # (number, generation)
    parents: set[int] = field(default_factory=set)
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
    with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
        scan.size = len(data)
        for keyword in _OBJ_KEYWORD.finditer(data):
            if len(scan.offsets) >= MAX_OBJECTS:
                break
            _note_object(data, keyword.start(), scan)
    first = _LINEARIZED_FIRST.search(head)
    if first is not None:
        first_page = int(first.group(1))
        scan.pages.sort(key=lambda page: page[0] != first_page)  # stable: file order otherwise
    return scan


def _note_object(data: mmap.mmap, at: int, scan: ObjectScan) -> None:
    header = _OBJ_HEADER.search(data[max(0, at - HEADER_WINDOW):at])
    if header is None:
        return  # "endobj", or "obj" inside some stream
    number, generation = int(header.group(1)), int(header.group(2))
    start = at - (len(header.group(0)))
    scan.offsets[number] = (start, generation)
    body = data[at + 3:at + 3 + DICT_WINDOW]
    body = body.split(b"endobj", 1)[0].split(b"stream", 1)[0]
    tree = _TREE_COUNT.search(body)
    if tree is not None:
        count = int(tree.group(1) or tree.group(2))
        scan.declared_pages = max(count, scan.declared_pages or 0)
    elif _PAGE_TYPE.search(body):
        scan.pages.append((number, generation))
        parent = _PARENT.search(body)
        if parent is not None:
            scan.parents.add(int(parent.group(1)))


def write_repaired_copy(source: Path, scan: ObjectScan, target: Path) -> None:
    """A copy of ``source`` with a page tree of the pages found and an object table."""
    shutil.copyfile(source, target)
    last = max(scan.offsets, default=0)
    # Reuse the number the pages name as parent, so that their /Parent links resolve.
    tree = scan.parents.pop() if len(scan.parents) == 1 else last + 1
    catalog = max(last, tree) + 1
    kids = " ".join(f"{number} {generation} R" for number, generation in scan.pages)
    objects = [
        (tree, f"<< /Type /Pages /Kids [{kids}] /Count {len(scan.pages)} >>"),
        (catalog, f"<< /Type /Catalog /Pages {tree} 0 R >>"),
    ]
    offsets = dict(scan.offsets)
    tail = bytearray(b"\n")
    for number, body in objects:
        offsets[number] = (scan.size + len(tail), 0)
        tail += f"{number} 0 obj\n{body}\nendobj\n".encode("ascii")
    xref_at = scan.size + len(tail)
    tail += _xref_table(offsets, catalog + 1)
    tail += (f"trailer\n<< /Root {catalog} 0 R /Size {catalog + 1} >>\n"
             f"startxref\n{xref_at}\n%%EOF\n").encode("ascii")
    with target.open("ab") as out:
        out.write(tail)


def _xref_table(offsets: dict[int, tuple[int, int]], size: int) -> bytes:
    rows = [b"xref\n", f"0 {size}\n".encode("ascii"), b"0000000000 65535 f \n"]
    for number in range(1, size):
        offset, generation = offsets.get(number, (0, -1))
        if generation < 0:
            rows.append(b"0000000000 00000 f \n")
        else:
            rows.append(f"{offset:010d} {generation:05d} n \n".encode("ascii"))
    return b"".join(rows)
