"""What a link's address alone says about it: a page of the site's own that lists stories
(tag, topic, section), describes a topic (its wiki, glossary or guides entry), lists people
(authors) or runs the site (home, account, service pages), a related-stories link by the
site's own tracking, an image. Another site's pages are judged by where they sit on the story
page, not here: a topic page (or wiki page) of another site cited in the text is that site's
reporting.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from functools import lru_cache
from urllib.parse import parse_qsl, unquote, urlsplit

from publicsuffixlist import PublicSuffixList

from archiver.story.citation_words import (
    ACCOUNT_PATH,
    AUTHOR_PATH,
    EMAIL_PROTECTION_PATH,
    FEED_PATH,
    HASHTAG_PAGE,
    HOME_PATHS,
    IMAGE_FILE,
    LICENCE_URL,
    PRINT_PATH,
    REFERENCE_PATH,
    RELATED_QUERY,
    SEARCH_URL,
    SERVICE_TEXT,
    SOCIAL_PROFILE,
    TAG_HOST,
    TAG_PATH,
    TAG_QUERY,
    YEAR,
)

# A site's name this long, found in a social profile's handle, names the site's own account.
MIN_SITE_NAME_CHARS = 5
# A path segment of this many hyphens, beside an id, is a headline's words (a story filed
# under a topic: /thema/tesla-model-3-erstmals-meistverkauftes-auto/497039969).
MIN_HEADLINE_HYPHENS = 4
# A name is a few words; a topic page sits a few folders deep at most.
MAX_NAME_WORDS = 4
MAX_TOPIC_DEPTH = 4
_URLISH = re.compile(r"[/@]|\.\w{2,4}\b|^www\b", re.IGNORECASE)
_INDEX_PAGE = re.compile(r"index\.(?:s?html?|php|aspx?)", re.IGNORECASE)
_PAGE_SUFFIX = re.compile(r"\.(?:s?html?|php|aspx?|jsp)$", re.IGNORECASE)
_SERIAL = re.compile(r"[-_]\d{1,2}$")
_DIGITS = re.compile(r"\d{3}")
_WORD_SPLIT = re.compile(r"[-_+.\s]+")
# "The Doobie Brothers" to /music/doobie-brothers, "Le Monde" to /monde.
_ARTICLES = frozenset({"the", "a", "an", "le", "la", "les", "l", "der", "die", "das", "el",
                       "los", "las", "il", "lo", "gli", "o", "os", "as"})


def host_of(url: str | None) -> str:
    """The host of a URL, "www." aside ("" for none or a malformed one)."""
    try:
        return (urlsplit(url or "").hostname or "").removeprefix("www.")
    except ValueError:
        return ""


# The Public Suffix List as the package bundles it (nothing is fetched): where a site's own
# name ends, co.uk and com.au included.
_PUBLIC_SUFFIXES = PublicSuffixList()
# Query fields that only say where a reader came from: the page they lead to is the same.
TRACKING_FIELD = re.compile(r"^(?:utm_\w+|ref|src|source|from|fbclid|gclid)$", re.IGNORECASE)
# A platform's page of one of its writers: medium.com/@name, a Mastodon or YouTube "@name".
_HANDLE_PATH = re.compile(r"^/@[\w.-]+/?$")


@lru_cache(maxsize=4096)
def site_of(host: str) -> str:
    """The name a site registered (bbc.co.uk for news.bbc.co.uk, cnn.com for
    edition.cnn.com); an IP address or a name under no public suffix stands for itself."""
    host = host.lower().rstrip(".").removeprefix("www.")
    try:
        ipaddress.ip_address(host)
        return host
    except ValueError:
        pass
    return _PUBLIC_SUFFIXES.privatesuffix(host) or host


def same_site(host: str, site: str) -> bool:
    """The page's own site: its host, or another name under the same registered name (www.,
    edition., topics. …), never just the same public suffix (two .co.uk sites are two
    sites); a page without an address has no site of its own."""
    if not site or not host:
        return False
    return site_of(host) == site_of(site)


def _is_home_page(path: str, query: str) -> bool:
    """/, /index.php… with no query but tracking: /index.php?id=42 is a story."""
    return path in HOME_PATHS and all(TRACKING_FIELD.match(name)
                                      for name, _ in parse_qsl(query, keep_blank_values=True))


def page_kind(url: str, text: str, site: str) -> str | None:
    """Why a link is no source by its address (and link text) alone, or None."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if IMAGE_FILE.search(parts.path) or IMAGE_FILE.search(text):
        return "a link to an image"
    if HASHTAG_PAGE.search(url):
        return "a social network's hashtag or search page (a topic, not a post)"
    if LICENCE_URL.search(url):
        return "a licence (the terms of reuse, not a source)"
    if SEARCH_URL.search(url):
        return "a scholarly index's lookup of a work (a search, not the work)"
    if EMAIL_PROTECTION_PATH.match(parts.path):
        return "an e-mail address the host hides from robots (a contact, not a source)"
    if SOCIAL_PROFILE.match(url) and _names_the_site(parts.path, site):
        return "the site's own account on a social network (a follow link)"
    if not same_site(parts.hostname or "", site):
        return None
    if FEED_PATH.search(parts.path):
        return "the site's news feed"
    if PRINT_PATH.search(parts.path):
        return "a printable view of a page of the site's own"
    if _is_home_page(parts.path, parts.query):
        return "the site's home page"
    if TAG_HOST.match(parts.hostname or ""):
        return "a tag or topic page"
    if listing_page(parts.path, TAG_PATH) or TAG_QUERY.search(parts.query):
        return "a tag or topic page"
    if listing_page(parts.path, AUTHOR_PATH) or _HANDLE_PATH.match(parts.path):
        return "an author page"
    if SERVICE_TEXT.match(text):
        return "one of the site's own service pages"
    if ACCOUNT_PATH.search(parts.path):
        return "an account or subscription page"
    if RELATED_QUERY.search(parts.query):
        return "a related-stories link (its address says so)"
    if REFERENCE_PATH.search(parts.path):
        return "a reference entry of the site's own (its wiki, glossary or guides: a topic page)"
    if named_page(parts.path, parts.query, text):
        return "a topic page (the linked words name the page: the site's page about them)"
    return None


def _names_the_site(path: str, site: str) -> bool:
    """A social profile's handle that holds the site's name: facebook.com/biancazapatka.blog
    for biancazapatka.com."""
    name = "".join(ch for ch in site.split(".")[0].casefold() if ch.isalnum()) if site else ""
    handle = "".join(ch for ch in path.strip("/").split("/")[-1].casefold() if ch.isalnum())
    return len(name) >= MIN_SITE_NAME_CHARS and name in handle


def named_page(path: str, query: str, text: str) -> bool:
    """A name linked to the site's page named after it: "Titan" to /titan, "Arsenal" to
    /all-about/arsenal-fc, "New Zealand" to /world/newzealand, "coronavirus" to
    /news/coronavirus/index.html. A story's address says more than the words linked to it
    (a headline's words, a date, an id); a topic, team or person page is the name alone."""
    if query or not text or len(text.split()) > MAX_NAME_WORDS or _URLISH.search(text):
        return False
    segments = [segment for segment in path.split("/") if segment]
    if segments and _INDEX_PAGE.fullmatch(segments[-1]):
        segments.pop()
    if not segments or len(segments) > MAX_TOPIC_DEPTH or any(
            _DIGITS.search(segment) for segment in segments[:-1]):
        return False  # a date or an id in the address: a story's
    last = _PAGE_SUFFIX.sub("", unquote(segments[-1]))
    last = _SERIAL.sub("", last)  # /coronavirus-1, /miso-0: a second page of that name
    if len(_WORD_SPLIT.split(last.strip("-_"))) > MAX_NAME_WORDS or _DIGITS.search(last):
        return False
    slug, name = _letters(last), _letters(text)
    if len(name) < 3 or len(slug) < 3:
        return False
    shorter, longer = sorted((slug, name), key=len)
    return shorter == longer or (len(shorter) >= 4 and longer.startswith(shorter)
                                 and len(longer) - len(shorter) <= 3) or (
        longer.endswith(shorter) and longer[:len(longer) - len(shorter)] in _ARTICLES)


def _letters(words: str) -> str:
    """The letters and digits of a name, lower case, accents aside."""
    decomposed = unicodedata.normalize("NFKD", words.lower())
    return "".join(ch for ch in decomposed if ch.isalnum())


def listing_page(path: str, folder: re.Pattern[str]) -> bool:
    """A page of a folder of listings (/tag/water, /themen/eu-4540782.html,
    /category/business/ai, /tags/view/sections/sport): the folder's word followed by at most
    two segments (three when the last is not a headline's words), none a year; a story filed
    under a topic (/topics/water/2025/03/meters-billed-air) goes deeper."""
    segments = [segment for segment in path.split("/") if segment]
    for index, segment in enumerate(segments):
        if folder.fullmatch(f"/{segment}/"):
            rest = segments[index + 1:]
            if any(YEAR.fullmatch(part) for part in rest) or (
                    any(part.count("-") >= MIN_HEADLINE_HYPHENS for part in rest)
                    and any(part.isdigit() for part in rest)):
                return False  # a story filed by date, or by its headline's words and its id
            return len(rest) <= 2 or (len(rest) == 3 and rest[-1].count("-") < 3)
    return False
