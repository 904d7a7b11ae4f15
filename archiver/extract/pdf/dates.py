"""PDF date strings ("D:20240103093826+01'00'") as ISO 8601.

The PDF format writes dates as ``D:YYYYMMDDHHmmSSOHH'mm'`` where everything after the year
is optional and ``O`` is ``+``, ``-`` or ``Z``. Producers get this wrong in many ways (no
``D:``, no apostrophes, ``Z00'00'``), so the parser is lenient about punctuation but strict
about the numbers: a value that does not make a real date is reported as unparsed.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

_PDF_DATE = re.compile(
    r"""^\s*(?:D:)?
    (?P<year>\d{4})(?P<month>\d{2})?(?P<day>\d{2})?
    (?P<hour>\d{2})?(?P<minute>\d{2})?(?P<second>\d{2})?
    (?:\.\d+)?                       # a few producers add fractions of a second
    \s*(?P<sign>[+\-Zz])?
    (?:(?P<tzh>\d{2})'?(?P<tzm>\d{2})?'?)?
    \s*$""",
    re.VERBOSE,
)


def pdf_date_to_iso(value: str) -> str | None:
    """The ISO 8601 form of a PDF date, with its offset when the date gives one; None if the
    string is not a date.

    >>> pdf_date_to_iso("D:20240103093826+01'00'")
    '2024-01-03T09:38:26+01:00'
    >>> pdf_date_to_iso("D:20231130")
    '2023-11-30T00:00:00'
    >>> pdf_date_to_iso("D:20240103093826Z")
    '2024-01-03T09:38:26+00:00'
    >>> pdf_date_to_iso("last Tuesday") is None
    True
    """
    match = _PDF_DATE.match(value)
    if match is None:
        return None
    part = match.groupdict()
    try:
        moment = datetime(int(part["year"]), int(part["month"] or 1), int(part["day"] or 1),
                          int(part["hour"] or 0), int(part["minute"] or 0),
                          int(part["second"] or 0), tzinfo=_offset(part))
    except ValueError:
        return None
    return moment.isoformat()


def _offset(part: dict[str, str | None]) -> timezone | None:
    sign = part["sign"]
    if sign is None:
        return None
    if sign in "Zz":
        return UTC
    minutes = int(part["tzh"] or 0) * 60 + int(part["tzm"] or 0)
    if minutes >= 24 * 60:
        raise ValueError("offset out of range")
    return timezone(timedelta(minutes=-minutes if sign == "-" else minutes))


def parse_iso(value: str) -> datetime | None:
    """An ISO 8601 string (as PDF dates above, or XMP dates) as an aware datetime; naive
    values are taken as UTC, which is what most producers that omit the offset mean."""
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
