"""Capture settings: every limit is a setting with a safe default.

They are recorded in each package's manifest.json and in every WARC's warcinfo record, so a
reader knows how the evidence was gathered.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from archiver import __version__

USER_AGENT = f"archiver/{__version__} (evidence capture; +https://pypi.org/project/archiver/)"

KIB = 1024
MIB = 1024 * KIB
GIB = 1024 * MIB


@dataclass(frozen=True)
class ExtractionSettings:
    """Limits on reading documents for their text: every one keeps a hostile file harmless."""

    max_decoded_bytes: int = 512 * MIB
    """A body whose Content-Encoding expands past this is cut there (a decompression bomb)."""
    max_html_bytes: int = 16 * MIB
    """Only this much of a page is read for its text and metadata (the main-text extractor
    keeps at most 2 MB of markup anyway, once scripts and styles are gone)."""
    max_pdf_pages: int = 5000
    """Pages of a PDF read for text; the rest are counted and noted, not read."""
    workers: int | None = None
    """Processes extracting while a capture goes on (None: one per CPU; 0: none, inline)."""
    pdf_memory_bytes: int = 448 * MIB
    """Each PDF is read in a process of its own, which may use this much memory plus twice
    the file's size; a file that needs more is stopped there and named as the problem."""
    pdf_seconds: float = 15.0
    """The time that process has for one PDF, plus a second per MiB of the file."""

    def __post_init__(self) -> None:
        if min(self.max_decoded_bytes, self.max_html_bytes, self.max_pdf_pages) < 1:
            raise ValueError("extraction limits must be positive")
        if self.pdf_memory_bytes < 128 * MIB or self.pdf_seconds <= 0:
            raise ValueError("pdf_memory_bytes must be at least 128 MiB (the PDF reader's "
                             "own size) and pdf_seconds positive")
        if self.workers is not None and self.workers < 0:
            raise ValueError("extraction workers cannot be negative")


@dataclass(frozen=True)
class BrowserSettings:
    """How a capture through a browser behaves (`archiver capture --browser`). Durations are
    seconds; the defaults are Perma's Scoop's: a page has 20 s to load, 20 s more to fall
    quiet, 60 s in all."""

    executable: str | None = None
    """The Chromium to drive (None: ARCHIVER_CHROMIUM, then chromium on PATH)."""
    when: Literal["always", "script-built"] = "always"
    """Which sources the browser loads: every one (`--browser`), or only pages whose plain
    HTTP capture turns out to be built by script (automatic mode: HTTP first, then the
    browser for those; archiver/capture/script_built.py judges)."""
    page_load_timeout: float = 20.0
    """Time for the page's load event; a page that has not loaded by then is kept as it
    stands, as a partial capture."""
    network_idle_timeout: float = 20.0
    """Time, after the load, to wait for the network to fall quiet."""
    page_timeout: float = 60.0
    """Time for everything done on one page: loading, behaviours and attachments."""
    quiet_period: float = 0.5
    """The network is idle when no request has been under way for this long."""
    max_scrolls: int = 20
    """Screens scrolled, at most, to make lazy content load."""
    media_wait: float = 1.0
    """Time given to audio and video once they were started."""
    screenshot: bool = True
    pdf: bool = True
    rendered_dom: bool = True
    max_screenshot_height: int = 16_384
    """A full-page screenshot is cut at this height in CSS pixels (an endless page)."""
    viewport_width: int = 1280
    viewport_height: int = 800
    tabs: int = 4
    """Pages loaded at once, each in a tab of its own (never more than `per_host` of one
    host at once)."""
    memory_ceiling: int = 1 * GIB
    """No new tab opens while archiver, its Playwright driver and Chromium together use this
    much memory (their summed PSS; see docs/browser.md) and a tab is still open: the pool
    shrinks until memory is released. One tab always runs."""
    page_heap_mib: int = 512
    """The JavaScript heap one page may use (V8's --max-old-space-size), in MiB: a page
    that allocates past it has its renderer crash, and is recorded as far as it got, with
    that reason, instead of taking the machine's memory."""
    body_in_memory: int = 16 * MIB
    """Bodies up to this size (as the response announces it) are read from the browser in
    one message and left to the page unchanged; larger ones, and media of unknown size, are
    streamed to disk (see docs/browser.md)."""

    def __post_init__(self) -> None:
        if min(self.page_load_timeout, self.network_idle_timeout, self.page_timeout) <= 0:
            raise ValueError("browser timeouts must be positive")
        if self.max_scrolls < 0 or self.quiet_period < 0 or self.media_wait < 0:
            raise ValueError("max_scrolls, quiet_period and media_wait cannot be negative")
        if min(self.viewport_width, self.viewport_height, self.max_screenshot_height,
               self.body_in_memory, self.page_heap_mib) < 1:
            raise ValueError("viewport, screenshot height, body_in_memory and page_heap_mib "
                             "must be positive")
        if self.when not in ("always", "script-built"):
            raise ValueError("when must be 'always' or 'script-built'")
        if self.tabs < 1 or self.memory_ceiling < 1:
            raise ValueError("tabs and memory_ceiling must be at least 1")


@dataclass(frozen=True)
class CaptureSettings:
    """How a capture job behaves. All durations are seconds, all sizes bytes."""

    user_agent: str = USER_AGENT
    requisites: bool = True
    max_resource_bytes: int = 2 * GIB
    """A response body larger than this is cut and its record marked WARC-Truncated: length."""
    resource_timeout: float = 600.0
    """A response still arriving after this is cut and marked WARC-Truncated: time."""
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    max_redirects: int = 20
    """Redirects followed from one URL, as browsers do (Chromium and Firefox stop at 20)."""
    retries: int = 2
    """Extra attempts after a transient network error (reset, refused, timeout before a reply)."""
    retry_backoff: float = 0.5
    """First wait before a retry; doubles each time."""
    concurrency: int = 16
    per_host: int = 6
    verify_tls: bool = True
    ca_file: Path | None = None
    """Extra certificate authorities to trust (a PEM file), beside the system's."""
    allow_private: bool = False
    """Also connect to private, loopback, link-local and reserved addresses (and names such as
    localhost and metadata.google.internal). Off by default: the links a story cites are chosen
    by others, and on a server they could reach the cloud metadata service or the local
    network (see archiver/capture/address_policy.py)."""
    allowed_networks: tuple[str, ...] = ()
    """Networks (such as "127.0.0.1/32") connected to even though they are not global, while
    every other private address stays refused."""
    warc_max_bytes: int = 1 * GIB
    """A WARC file rolls over to the next one past this size."""
    gzip_level: int = 2
    """ISA-L deflate level of the WARC's gzip members: 0 (fastest) to 3 (smallest)."""
    extraction: ExtractionSettings | None = dataclasses.field(default_factory=ExtractionSettings)
    """Text and metadata of every captured page and PDF go into the package; None: skip."""
    browser: BrowserSettings | None = None
    """Capture each source through Chromium (archiver/capture/browser/); None: plain HTTP."""
    dedup: Path | None = None
    """A collection (`archiver index`): a response whose payload it holds already is written
    as a revisit record, its payload not stored again (docs/collections.md)."""

    def __post_init__(self) -> None:
        if self.per_host < 1 or self.concurrency < 1:
            raise ValueError("concurrency and per_host must be at least 1")
        if self.max_redirects < 0 or self.retries < 0:
            raise ValueError("max_redirects and retries cannot be negative")
        if not 0 <= self.gzip_level <= 3:
            raise ValueError("gzip_level must be between 0 and 3 (ISA-L levels)")
        object.__setattr__(self, "allowed_networks",  # one spelling, in the record
                           tuple(_network(text) for text in self.allowed_networks))

    def to_record(self) -> dict[str, Any]:
        """The settings as plain JSON values, for manifest.json and warcinfo."""
        record = dataclasses.asdict(self)
        record["ca_file"] = str(self.ca_file) if self.ca_file else None
        record["dedup"] = str(self.dedup) if self.dedup else None
        record["allowed_networks"] = list(self.allowed_networks)
        return record


def _network(text: str) -> str:
    try:
        return str(ipaddress.ip_network(text))
    except ValueError as error:
        raise ValueError(f"allowed_networks: {error}") from None


_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?i?b?)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "k": 1000, "m": 1000**2, "g": 1000**3, "t": 1000**4,
          "ki": KIB, "mi": MIB, "gi": GIB, "ti": 1024 * GIB}


def parse_size(text: str) -> int:
    """Parse a human size such as "500MB", "2GiB" or "1024".

    >>> parse_size("2GiB"), parse_size("500 MB"), parse_size("10k")
    (2147483648, 500000000, 10000)
    """
    match = _SIZE.match(text)
    if not match:
        raise ValueError(f"not a size: {text!r} (try 500MB or 2GiB)")
    number, unit = match.groups()
    key = (unit or "").lower().rstrip("b")
    if key not in _UNITS:
        raise ValueError(f"unknown size unit in {text!r}")
    return int(float(number) * _UNITS[key])


def size_text(size: int) -> str:
    """A size as parse_size reads it back, in the largest binary unit that divides it whole.

    >>> size_text(2 * GIB), size_text(1536), size_text(1000)
    ('2GiB', '1536', '1000')
    >>> all(parse_size(size_text(n)) == n for n in (0, 1, KIB, 3 * MIB, 5 * GIB))
    True
    """
    for unit, factor in (("TiB", 1024 * GIB), ("GiB", GIB), ("MiB", MIB), ("KiB", KIB)):
        if size and size % factor == 0:
            return f"{size // factor}{unit}"
    return str(size)


@dataclass(frozen=True)
class ReadLimits:
    """Bounds on reading evidence made elsewhere: a package, a WACZ or zip file, and the JSON
    and tag files inside them. Each keeps a hostile file harmless (refused early, with a
    problem that names it) and sits far above what archiver itself writes."""

    max_json_bytes: int = 128 * MIB
    """Largest JSON file read: manifest.json, datapackage.json, an extraction file. (A
    package of 8,000 resources has an 18 MB manifest.json.)"""
    max_json_values: int = 4_000_000
    """Most values (objects, arrays, strings, numbers) in one JSON file: each costs up to
    about 100 bytes once parsed, whatever its size in the file (`[{},{},...]`: 20 times the
    file). archiver's manifest.json holds about 25,000 per MB."""
    max_json_depth: int = 64
    """Deepest nesting of arrays and objects in a JSON file (archiver writes 7)."""
    max_tag_file_bytes: int = 128 * MIB
    """Largest bag tag file read (manifest-sha256.txt lists every file: ~100 bytes each)."""
    max_zip_entries: int = 250_000
    """Most entries in a zip or WACZ (a WACZ of a package holds two per document)."""
    max_zip_directory_bytes: int = 64 * MIB
    """Largest central directory (the zip's list of entries) read."""
    max_zip_entry_bytes: int = 1024 * GIB
    """Largest size an entry of a zip or WACZ may declare."""
    max_problems_per_file: int = 100
    """Problems reported for one file; the rest are counted."""
    max_problems: int = 1000
    """Problems reported for one package, WARC or WACZ; the rest are counted."""

    def __post_init__(self) -> None:
        if min(dataclasses.astuple(self)) < 1:
            raise ValueError("read limits must be positive")
