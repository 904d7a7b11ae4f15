"""Publication and modification dates of a page, as ISO 8601 strings.

Structured markup first (JSON-LD, then meta tags, microdata and <time>), because a site
states there which date is which; htmldate's heuristics (URL, visible text patterns) only
when the page says nothing explicit.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import lxml.html
from htmldate import find_date

from archiver.extract.html.jsonld import text_value

_MONTHS = {name: number for number, names in enumerate((
    ("jan", "janvier", "januar", "enero", "gennaio"), ("feb", "février", "februar", "febrero"),
    ("mar", "mars", "märz", "marzo"), ("apr", "avril", "abril", "aprile"),
    ("may", "mai", "mayo", "maggio"), ("jun", "juin", "juni", "junio", "giugno"),
    ("jul", "juillet", "juli", "julio", "luglio"), ("aug", "août", "agosto"),
    ("sep", "sept", "septembre", "septiembre", "settembre"),
    ("oct", "octobre", "oktober", "octubre", "ottobre"),
    ("nov", "novembre", "noviembre"), ("dec", "décembre", "dezember", "diciembre", "dicembre"),
), start=1) for name in names}
_YMD = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2}))?)?")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})(?:\D|$)")
_DAY_MONTH = re.compile(r"(\d{1,2})\.?\s+([^\W\d_]{3,})\.?,?\s+(\d{4})")
_MONTH_DAY = re.compile(r"([^\W\d_]{3,})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})")

PUBLISHED_META = (
    "article:published_time", "og:published_time", "article:published", "datepublished",
    "date_published", "pubdate", "publishdate", "publish-date", "publish_date",
    "dc.date.issued", "dcterms.issued", "dc.date", "dcterms.date", "date", "sailthru.date",
    "parsely-pub-date", "article.published", "citation_publication_date", "citation_date",
    "originalpublicationdate", "cxenseparse:recs:publishtime", "displaydate", "release_date",
)
MODIFIED_META = (
    "article:modified_time", "og:updated_time", "article:modified", "datemodified",
    "dc.date.modified", "dcterms.modified", "last-modified", "lastmod", "revised",
)

# htmldate logs at ERROR for ordinary pages without a date; the library stays quiet here.
logging.getLogger("htmldate").setLevel(logging.CRITICAL)


def normalize_date(value: str | None) -> str | None:
    """An ISO 8601 date ("YYYY-MM-DD") or datetime (with offset when the source gives one).

    >>> normalize_date("2019-01-03T10:05:00Z")
    '2019-01-03T10:05:00+00:00'
    >>> normalize_date("Thu, 03 Jan 2019 10:05:00 GMT")
    '2019-01-03T10:05:00+00:00'
    >>> normalize_date("March 5th, 2020")
    '2020-03-05'
    """
    if not value:
        return None
    text = " ".join(value.split())[:80]
    for parse in (_from_iso, _from_rfc2822, _from_words):
        result = parse(text)
        if result is not None:
            return result
    return None


def _plausible(day: dt.date) -> bool:
    return 1990 <= day.year <= dt.date.today().year + 1


def _render(moment: dt.datetime, has_time: bool) -> str | None:
    if not _plausible(moment.date()):
        return None
    if not has_time:
        return moment.date().isoformat()
    return moment.isoformat(timespec="seconds")


def _from_iso(text: str) -> str | None:
    candidate = text.replace(" ", "T", 1) if re.match(r"\d{4}-\d\d-\d\d \d", text) else text
    try:
        moment = dt.datetime.fromisoformat(candidate)
        return _render(moment, "T" in candidate)
    except ValueError:
        pass
    match = _YMD.match(text) or _COMPACT.match(text)
    if not match:
        return None
    try:
        day = dt.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None
    return day.isoformat() if _plausible(day) else None


def _from_rfc2822(text: str) -> str | None:
    if not re.search(r"\d{1,2}:\d{2}", text):
        return None
    try:
        moment = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return _render(moment, True)


def _from_words(text: str) -> str | None:
    lowered = text.lower()
    for pattern, order in ((_MONTH_DAY, (1, 0, 2)), (_DAY_MONTH, (0, 1, 2))):
        for match in pattern.finditer(lowered):
            day_s, month_s, year_s = (match[order[i] + 1] for i in range(3))
            month = _MONTHS.get(month_s) or _MONTHS.get(month_s[:3])
            if month is None:
                continue
            try:
                day = dt.date(int(year_s), month, int(day_s))
            except ValueError:
                continue
            if _plausible(day):
                return day.isoformat()
    return None


def _first(values: Iterable[str | None]) -> str | None:
    for value in values:
        normalized = normalize_date(value)
        if normalized:
            return normalized
    return None


def _meta_values(meta: dict[str, list[str]], names: Iterable[str]) -> Iterable[str]:
    for name in names:
        yield from meta.get(name, ())


def _in_turn(*sources: Callable[[], Iterable[str | None]]) -> Iterator[str | None]:
    """The values of each source in order, a source read only if the ones before it held no
    date (the tree-wide searches cost about a millisecond each on a big page)."""
    for source in sources:
        yield from source()


def _microdata(tree: lxml.html.HtmlElement, prop: str) -> list[str]:
    found: list[str] = []
    for elem in tree.xpath(f'//*[@itemprop="{prop}"]')[:5]:
        found.append(elem.get("content") or elem.get("datetime") or elem.text_content())
    return found


def published_date(tree: lxml.html.HtmlElement, article: dict[str, Any] | None,
                   meta: dict[str, list[str]], url: str | None) -> str | None:
    """The first publication date the page states, else htmldate's best original date."""
    structured = _first(_in_turn(
        lambda: (text_value(article.get("datePublished")) if article else None,
                 text_value(article.get("dateCreated")) if article else None),
        lambda: _meta_values(meta, PUBLISHED_META),
        lambda: _microdata(tree, "datePublished"),
        lambda: (t.get("datetime") for t in tree.xpath("//time[@pubdate]")[:3]),
    ))
    if structured is None:
        return _htmldate(tree, url, original=True)
    if structured.endswith("+00:00"):
        return _local_day(structured, _htmldate(tree, url, original=True))
    return structured


def _local_day(utc_value: str, page_day: str | None) -> str:
    """A UTC timestamp does not say on which calendar day the newsroom published: a story
    out at 22:00 in California is stamped the next day in UTC. When the date the page shows
    is the day before the UTC one, that local day is the publication date."""
    if page_day is None:
        return utc_value
    day = dt.date.fromisoformat(utc_value[:10])
    if page_day[:10] == (day - dt.timedelta(days=1)).isoformat():
        return page_day[:10]
    return utc_value


def modified_date(tree: lxml.html.HtmlElement, article: dict[str, Any] | None,
                  meta: dict[str, list[str]]) -> str | None:
    """The last modification date the page states explicitly (no guessing)."""
    return _first(_in_turn(
        lambda: (text_value(article.get("dateModified")) if article else None,),
        lambda: _meta_values(meta, MODIFIED_META),
        lambda: _microdata(tree, "dateModified"),
    ))


def _htmldate(tree: lxml.html.HtmlElement, url: str | None, original: bool) -> str | None:
    try:
        found = find_date(tree, extensive_search=True, original_date=original, url=url,
                          outputformat="%Y-%m-%d")
    except Exception:  # a heuristic must not sink the extraction
        return None
    return normalize_date(found)
