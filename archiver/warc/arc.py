"""ARC records: the Internet Archive's format before WARC, still found in old collections.

An ARC record is one header line, `URL IP-address Archive-date Content-type Archive-length`
(version 1; version 2 has ten fields, `… Result-code Checksum Location Offset Filename
Archive-length`), then Archive-length bytes, then a newline. The first record
(`filedesc://…`) describes the file. Each is read as the WARC record it stands for, as
warcio's arc2warc reads it: the file's description a `warcinfo`, an http(s) capture a
`response` (its block is the HTTP response as received), anything else a `resource`.
"""

from __future__ import annotations

import re

ARC_FIELDS_V1 = 5
ARC_FIELDS_V2 = 10
_DATE = re.compile(r"\d{12,17}")
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:.*")
ARC_SUFFIXES = (".arc", ".arc.gz")
ARC_MEMBER_STARTS = (b"filed", b"http:", b"https", b"dns:", b"ftp:/")
"""What the first bytes of a gzip member that holds an ARC record inflate to."""


def is_arc_start(head: bytes) -> bool:
    """Whether a file (or gzip member) whose inflated bytes start with `head` is an ARC file.

    >>> is_arc_start(b"filedesc://crawl.arc 0.0.0.0 20240501120000 text/plain 76\\n")
    True
    >>> is_arc_start(b"WARC/1.1\\r\\n")
    False
    """
    return head.lstrip(b"\r\n").startswith(b"filedesc://")


def has_arc_name(name: str) -> bool:
    """Whether a file name says ARC (`crawl.arc`, `crawl.arc.gz`, in any case)."""
    return name.lower().endswith(ARC_SUFFIXES)


def arc_header_fields(line: bytes) -> dict[str, str]:
    """The WARC header fields (lowercase names) an ARC header line stands for; ValueError if
    it is not an ARC header line.

    >>> fields = arc_header_fields(b"http://a.example/ 192.0.2.1 20240501120000 text/html 42")
    >>> fields["warc-date"], fields["warc-type"], fields["content-length"]
    ('2024-05-01T12:00:00Z', 'response', '42')
    """
    text = line.decode("utf-8", "replace").strip()
    parts = text.split(" ")
    if _is_v2(parts):
        url, address, date, content_type, length = (*parts[:4], parts[-1])
    else:
        # Version 1: a URL with spaces in it (some crawlers wrote them) runs to the 5th field
        # from the end, as warcio reads it.
        parts = text.rsplit(" ", ARC_FIELDS_V1 - 1)
        if len(parts) != ARC_FIELDS_V1:
            raise ValueError(f"an ARC record header needs {ARC_FIELDS_V1} fields, not "
                             f"{len(parts)} ({text[:60]!r})")
        url, address, date, content_type, length = parts
    if not length.isdigit():
        raise ValueError(f"the ARC record header has no valid length (found {length[:20]!r})")
    if not _URL.fullmatch(url):
        raise ValueError(f"the ARC record header does not start with a URL ({url[:60]!r})")
    if not _DATE.fullmatch(date):
        raise ValueError(f"the ARC record header has no valid date (found {date[:20]!r})")
    fields = {"warc-type": _record_type(url), "warc-target-uri": url, "content-length": length}
    if content_type and content_type != "-":
        fields["content-type"] = content_type
    if address and address not in ("-", "0.0.0.0"):
        fields["warc-ip-address"] = address
    seconds = f":{date[12:14]}" if len(date) >= 14 else ""
    fields["warc-date"] = f"{date[:4]}-{date[4:6]}-{date[6:8]}T{date[8:10]}:{date[10:12]}{seconds}Z"
    return fields


def arc_line_version(line: bytes) -> int:
    """The ARC version whose header line `line` is: 2 (ten fields), else 1.

    >>> arc_line_version(b"http://a.example/ 192.0.2.1 20240501120000 text/html 42")
    1
    """
    return 2 if _is_v2(line.decode("utf-8", "replace").strip().split(" ")) else 1


def _is_v2(parts: list[str]) -> bool:
    return len(parts) == ARC_FIELDS_V2 and _DATE.fullmatch(parts[2]) is not None


def _record_type(url: str) -> str:
    lowered = url.lower()
    if lowered.startswith("filedesc:"):
        return "warcinfo"
    if lowered.startswith(("http:", "https:")):
        return "response"
    return "resource"
