"""The story section of a story package's manifest.json, as typed values: the story, its
citations, the sources they point at and the links left out. `to_dict()` is the JSON form
(schemas/manifest.schema.json, `story`), which is also what `archiver story --json` prints."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from archiver.story.chain import CitedSource
from archiver.story.citations import DroppedLink, Selection

if TYPE_CHECKING:
    from archiver.story.quotations import StoryQuote  # it names citations of this module


@dataclass
class StoryCitation:
    """One citation of the story, with the index of its source in the story's `sources`."""

    order: int
    """1 for the story's first citation, in reading order."""
    text: str
    """The anchor text."""
    sentence: str
    href: str
    """The URL as written in the story."""
    url: str
    """As resolved and normalised: what is captured."""
    source: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ReportFiles:
    """Where the report of the chain is in the package."""

    html: str
    markdown: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class StorySection:
    """The story (a URL or a local draft) and its evidence chain."""

    kind: Literal["url", "draft"]
    url: str | None
    """The story's address (after redirects); None for a draft."""
    file: str | None
    """A draft's file name; None for a URL."""
    title: str | None
    published: str | None
    authors: list[str]
    lead: str | None
    captured_at: str | None
    record: dict[str, Any] | None
    """The story's own record (warc_file, record_id, offset)."""
    payload_sha256: str | None
    extraction: str | None
    """The package path of the story's extraction JSON."""
    citations_from: Literal["list", "story"]
    citations: list[StoryCitation] = field(default_factory=list)
    sources: list[CitedSource] = field(default_factory=list)
    dropped: list[DroppedLink] = field(default_factory=list)
    report: ReportFiles | None = None
    quotes: list[StoryQuote] = field(default_factory=list)
    """The story's quotations, each looked up in its cited source."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "url": self.url,
            "file": self.file,
            "title": self.title,
            "published": self.published,
            "authors": list(self.authors),
            "lead": self.lead,
            "captured_at": self.captured_at,
            "record": self.record,
            "payload_sha256": self.payload_sha256,
            "extraction": self.extraction,
            "citations_from": self.citations_from,
            "citations": [citation.to_dict() for citation in self.citations],
            "sources": [source.to_dict() for source in self.sources],
            "dropped": [link.to_dict() for link in self.dropped],
            "report": self.report.to_dict() if self.report is not None else None,
            "quotes": [quote.to_dict() for quote in self.quotes],
        }


def chain_citations(selection: Selection, sources: dict[str, CitedSource]
                    ) -> list[StoryCitation]:
    """Each citation with the index of its source in the story's `sources`; each source
    learns the orders of the citations that point at it."""
    order = list(sources)
    for citation in selection.citations:
        sources[citation.url].cited.append(citation.order)
    return [StoryCitation(citation.order, citation.text, citation.sentence, citation.href,
                          citation.url, order.index(citation.url))
            for citation in selection.citations]
