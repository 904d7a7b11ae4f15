"""Story sections built by hand, for tests of what the report does with what pages say."""

from __future__ import annotations

from typing import Any


def one_citation_story(said: str, *, final_url: str | None = None,
                       captured_at: str | None = None) -> dict[str, Any]:
    """A story section (as manifest.json holds it) citing one captured source, whose every
    text a page supplies (title, lead, warning, anchor, sentence) is `said`."""
    source = {"url": "https://example.org/a", "outcome": "captured", "reason": None,
              "status": 200, "final_url": final_url, "redirects": [],
              "captured_at": captured_at, "content_type": "text/html", "record": None,
              "payload_sha256": None, "title": said, "published": None, "lead": said,
              "extraction": None, "warnings": [said], "cited": [1]}
    return {"kind": "url", "url": "https://example.org/", "file": None, "title": said,
            "published": None, "authors": [], "lead": None, "captured_at": None,
            "record": None, "payload_sha256": None, "extraction": None,
            "citations_from": "story", "sources": [source], "dropped": [], "report": None,
            "citations": [{"order": 1, "text": said, "sentence": said,
                           "href": "https://example.org/a", "url": "https://example.org/a",
                           "source": 0}]}
