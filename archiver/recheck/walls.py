"""Is a page behind a wall (a paywall, a login, a consent gate)? Signals read from what was
recorded: the status, the URLs of the redirect chain, known markers in the markup, and words
that walls use in the text a reader sees.

Each signal is named, so the report says why a source is called walled; one alone is a
guess, which is why the caller asks for a wall that is new (not there at capture) and, for
markers and words, a text that shrank.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

WALL_STATUSES = {401: "401 Unauthorized (a login is asked for)",
                 402: "402 Payment Required",
                 403: "403 Forbidden (access refused)"}

_LOGIN_PATH = re.compile(
    r"/(?:log-?in|sign-?in|signon|sso|auth(?:orize|enticate)?|account/log-?in|session/new|"
    r"subscribe|subscription|paywall|register|registration|consent|gdpr|cookie-?consent|"
    r"privacy-?gate|collectconsent|checkout)(?:[/._?#-]|$)", re.IGNORECASE)
_LOGIN_HOST = re.compile(r"^(?:login|signin|auth|accounts?|sso|consent|myaccount|subscribe|"
                         r"guce|id)\.", re.IGNORECASE)

PAYWALL_MARKERS: dict[str, re.Pattern[str]] = {
    "schema.org isAccessibleForFree false": re.compile(
        r"""["']?isAccessibleForFree["']?\s*:\s*["']?false""", re.IGNORECASE),
    "a paywall element": re.compile(
        r"""(?:class|id)\s*=\s*["'][^"']*\b(?:paywall|pay-wall|regwall|meter-?wall|"""
        r"""subscriber-only|premium-content|piano-(?:offer|paywall)|tp-modal|"""
        r"""fc-consent-root|cmp-container|qc-cmp2|didomi-popup|onetrust-consent-sdk|"""
        r"""sp_message_container)\b""", re.IGNORECASE),
    "a paywall service's script": re.compile(
        r"""(?:tinypass\.com|piano\.io|poool\.fr|pelcro\.com|zephr|laterpay\.net|"""
        r"""cdn\.cookielaw\.org|consensu\.org|sourcepoint)""", re.IGNORECASE),
}

WALL_WORDS = re.compile(
    r"subscribe (?:now |today )?to (?:continue|keep) reading|subscribers? only|"
    r"this (?:article|content|story) is (?:only )?(?:available|for) (?:to )?subscribers|"
    r"already a subscriber|sign in to (?:continue|read|keep reading)|"
    r"log in to (?:continue|read|keep reading)|create (?:a )?free account to|"
    r"register to (?:continue|read)|you have reached your (?:article |free article )?limit|"
    r"free articles? (?:left|remaining)|accept (?:all )?cookies to|"
    r"we value your privacy|consent to (?:the use of )?cookies|"
    r"to continue,? please (?:sign|log) in|become a (?:member|subscriber) to",
    re.IGNORECASE)

TEXT_DROP = 0.5
"""A text that lost at least half of its words, with wall words in it, reads as walled."""


def status_signal(status: int | None) -> str | None:
    return WALL_STATUSES.get(status) if status is not None else None


def redirect_signal(chain: list[str]) -> str | None:
    """The first URL of a redirect chain (after the first) that looks like a login,
    subscription or consent page."""
    for url in chain[1:]:
        parts = urlsplit(url)
        if _LOGIN_PATH.search(parts.path or "/") or _LOGIN_HOST.match(parts.hostname or ""):
            return f"redirected to a login, subscription or consent page: {url}"
    return None


def marker_signals(markup: str) -> list[str]:
    """Names of the known paywall and consent markers found in a page's markup."""
    return [name for name, pattern in PAYWALL_MARKERS.items() if pattern.search(markup)]


def wall_words(text: str) -> str | None:
    """The first phrase of a wall found in a text, as it stands there."""
    found = WALL_WORDS.search(text)
    return found.group(0) if found else None
