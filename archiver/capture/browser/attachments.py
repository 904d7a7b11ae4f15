"""What a page looked like once it settled: a full-page screenshot (PNG), a PDF snapshot
and the rendered DOM (the HTML after scripts ran). Each is made into a spooled file,
hashed as it is written, for the package to keep as a file and a WARC resource record.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import IO

from playwright.async_api import CDPSession, Page

from archiver.capture.browser.behaviours import Deadline
from archiver.settings import BrowserSettings
from archiver.warc.records import new_spool

PDF_BLOCK = 512 * 1024
MIN_ATTACHMENT_SECONDS = 5.0
"""Time each attachment gets even when the page used all of its own."""


@dataclass
class Attachment:
    kind: str
    """"screenshot", "pdf" or "rendered-dom"."""
    content_type: str
    suffix: str
    file: IO[bytes]
    length: int
    sha256: str

    def close(self) -> None:
        self.file.close()


def _spooled(kind: str, content_type: str, suffix: str, pieces: list[bytes]) -> Attachment:
    spool = new_spool()
    digest = hashlib.sha256()
    length = 0
    for piece in pieces:
        spool.write(piece)
        digest.update(piece)
        length += len(piece)
    spool.seek(0)
    return Attachment(kind, content_type, suffix, spool, length, digest.hexdigest())


async def screenshot(page: Page, limits: BrowserSettings, deadline: Deadline) -> Attachment:
    """The whole page as a PNG, cut at `max_screenshot_height` CSS pixels."""
    height = int(await page.evaluate(
        "() => (document.scrollingElement || document.documentElement).scrollHeight"))
    width = page.viewport_size["width"] if page.viewport_size else limits.viewport_width
    clip = None
    if height > limits.max_screenshot_height:
        clip = {"x": 0, "y": 0, "width": width, "height": limits.max_screenshot_height}
    png = await page.screenshot(full_page=True, clip=clip,  # type: ignore[arg-type]
                                timeout=_ms(deadline), animations="disabled")
    return _spooled("screenshot", "image/png", "png", [png])


async def pdf(cdp: CDPSession, deadline: Deadline) -> Attachment:
    """A PDF snapshot (Page.printToPDF), streamed from the browser block by block."""
    reply = await cdp.send("Page.printToPDF", {"printBackground": True,
                                               "transferMode": "ReturnAsStream"})
    spool = new_spool()
    digest = hashlib.sha256()
    length = 0
    async for block in _stream(cdp, reply["stream"]):
        spool.write(block)
        digest.update(block)
        length += len(block)
    spool.seek(0)
    return Attachment("pdf", "application/pdf", "pdf", spool, length, digest.hexdigest())


async def rendered_dom(page: Page) -> Attachment:
    """The page's HTML as it stands after its scripts ran."""
    html = await page.content()
    return _spooled("rendered-dom", "text/html; charset=utf-8", "html", [html.encode("utf-8")])


async def _stream(cdp: CDPSession, handle: str) -> AsyncIterator[bytes]:
    try:
        while True:
            chunk = await cdp.send("IO.read", {"handle": handle, "size": PDF_BLOCK})
            data = chunk.get("data", "")
            yield base64.b64decode(data) if chunk.get("base64Encoded") else data.encode()
            if chunk.get("eof"):
                return
    finally:
        await cdp.send("IO.close", {"handle": handle})


def _ms(deadline: Deadline) -> float:
    return max(deadline.left(), MIN_ATTACHMENT_SECONDS) * 1000
