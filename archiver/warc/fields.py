"""What WARC 1.1 requires of a record's header fields, read one way by every reader.

Verify names a record that lacks what the standard makes mandatory; extract and replay skip
or note it. The rules live here so that the three agree on what a record is missing.
"""

from __future__ import annotations

import re

from archiver.warc.reader import RecordHeader

TARGETED_TYPES = frozenset({"request", "response", "revisit", "resource", "conversion",
                            "continuation"})
"""Record types WARC 1.1 (section 5.3) says must carry a WARC-Target-URI."""

W3C_DATE = re.compile(r"\d{4}(-\d\d(-\d\d(T\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)?)?)?)?")
"""A W3C-ISO8601 date at any of its precisions (WARC 1.1 section 5.4); readers that need
seconds check for them themselves."""


def target_uri(header: RecordHeader) -> str | None:
    """The record's WARC-Target-URI, without the angle brackets wget 1.19 wrote around it
    (as WARC 1.0's grammar showed it, and as warcio reads it); None if absent or blank."""
    uri = header.get("WARC-Target-URI")
    if uri is None:
        return None
    if uri.startswith("<") and uri.endswith(">"):
        uri = uri[1:-1]
    return uri.strip() or None


def field_defects(header: RecordHeader) -> list[str]:
    """What the record's header lacks or states wrongly among the fields WARC 1.1 makes
    mandatory (Content-Length is the reader's own business: without it there is no record).

    >>> from archiver.warc.reader import parse_header
    >>> for defect in field_defects(parse_header(b"WARC/1.1\\r\\nWARC-Type: response\\r\\n"
    ...         b"WARC-Date: yesterday\\r\\nContent-Length: 0\\r\\n\\r\\n", 0)):
    ...     print(defect)
    it has no WARC-Record-ID
    it has no WARC-Target-URI
    its WARC-Date is not a date ('yesterday')
    """
    defects = []
    if header.record_id is None:
        defects.append("it has no WARC-Record-ID")
    if not header.record_type:
        defects.append("it has no WARC-Type")
    elif header.record_type in TARGETED_TYPES and target_uri(header) is None:
        defects.append("it has no WARC-Target-URI")
    if (problem := date_defect(header)) is not None:
        defects.append(problem)
    return defects


def date_defect(header: RecordHeader) -> str | None:
    """What is wrong with the record's WARC-Date (missing, or not a W3C date), or None."""
    date = header.get("WARC-Date")
    if date is None:
        return "it has no WARC-Date"
    if not W3C_DATE.fullmatch(date):
        return f"its WARC-Date is not a date ({date[:40]!r})"
    return None
