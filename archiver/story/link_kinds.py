"""What a link's address alone says about it: a page of the site's own that lists stories
(tag, topic, section), people (authors) or runs the site (home, account, service pages), a
related-stories link by the site's own tracking, an image. Another site's pages are judged by
where they sit on the story page, not here: a topic page of another site cited in the text is
that site's reporting.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from archiver.story.citation_words import (
    ACCOUNT_PATH,
    AUTHOR_PATH,
    HOME_PATHS,
    IMAGE_FILE,
    RELATED_QUERY,
    SERVICE_TEXT,
    TAG_HOST,
    TAG_PATH,
    YEAR,
)


def host_of(url: str | None) -> str:
    """The host of a URL, "www." aside ("" for none or a malformed one)."""
    try:
        return (urlsplit(url or "").hostname or "").removeprefix("www.")
    except ValueError:
        return ""


def same_site(host: str, site: str) -> bool:
    """The page's own site: its host, or one sharing its last two labels (www.,
    edition., topics. …); a page without an address has no site of its own."""
    if not site:
        return False
    host = host.lower().removeprefix("www.")
    return host == site or host.split(".")[-2:] == site.split(".")[-2:]


def page_kind(url: str, text: str, site: str) -> str | None:
    """Why a link is no source by its address (and link text) alone, or None."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if IMAGE_FILE.search(parts.path) or IMAGE_FILE.search(text):
        return "a link to an image"
    if not same_site(parts.hostname or "", site):
        return None
    if parts.path in HOME_PATHS:
        return "the site's home page"
    if TAG_HOST.match(parts.hostname or ""):
        return "a tag or topic page"
    if listing_page(parts.path, TAG_PATH):
        return "a tag or topic page"
    if listing_page(parts.path, AUTHOR_PATH):
        return "an author page"
    if SERVICE_TEXT.match(text):
        return "one of the site's own service pages"
    if ACCOUNT_PATH.search(parts.path):
        return "an account or subscription page"
    if RELATED_QUERY.search(parts.query):
        return "a related-stories link (its address says so)"
    return None


def listing_page(path: str, folder: re.Pattern[str]) -> bool:
    """A page of a folder of listings (/tag/water, /themen/eu-4540782.html,
    /category/business/ai, /tags/view/sections/sport): the folder's word followed by at most
    two segments (three when the last is not a headline's words), none a year; a story filed
    under a topic (/topics/water/2025/03/meters-billed-air) goes deeper."""
    segments = [segment for segment in path.split("/") if segment]
    for index, segment in enumerate(segments):
        if folder.fullmatch(f"/{segment}/"):
            rest = segments[index + 1:]
            if any(YEAR.fullmatch(part) for part in rest):
                return False
            return len(rest) <= 2 or (len(rest) == 3 and rest[-1].count("-") < 3)
    return False
