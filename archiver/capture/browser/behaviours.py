"""What archiver does on a page so that it shows what a reader would see, each step
bounded: wait for the network to fall quiet, open <details>, scroll to make lazy content
load, let audio and video start. Each step returns at its limit, saying why; what a page
that never settles gets is a capture marked partial, with that reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page

from archiver.capture.browser.recorder import NetworkRecorder
from archiver.settings import BrowserSettings

POLL = 0.05
SCROLL_GRACE = 0.15
"""Time for a scroll to set off requests (an IntersectionObserver fires on the next frame);
a screen that set off none is not waited on further."""
SETTLE_BETWEEN_SCROLLS = 1.0
"""Longest wait for the network after each screen scrolled (lazy images, the next batch)."""

_OPEN_DETAILS = """() => {
  let opened = 0;
  for (const d of document.querySelectorAll('details:not([open])')) { d.open = true; opened++; }
  return opened;
}"""
_SCROLL = """() => new Promise(done => {
  const root = document.scrollingElement || document.documentElement;
  window.scrollBy(0, window.innerHeight);
  const result = [window.scrollY + window.innerHeight, root.scrollHeight];
  // Two frames later the screen scrolled to has been rendered and IntersectionObservers
  // have seen it: under load (several tabs on few cores) a frame can come late, and a
  // lazy image scrolled past before its frame would never load.
  const timer = setTimeout(() => done(result), 1000);
  requestAnimationFrame(() => requestAnimationFrame(() => { clearTimeout(timer); done(result); }));
})"""
_HEIGHT = "() => (document.scrollingElement || document.documentElement).scrollHeight"
_PLAY_MEDIA = """() => {
  let started = 0;
  for (const m of document.querySelectorAll('video, audio')) {
    m.muted = true;
    const playing = m.play();
    if (playing) playing.catch(() => {});
    started++;
  }
  return started;
}"""


class Deadline:
    """The time one page has left (`BrowserSettings.page_timeout`)."""

    def __init__(self, seconds: float) -> None:
        self.end = time.monotonic() + seconds

    def left(self, at_most: float | None = None) -> float:
        remaining = max(0.0, self.end - time.monotonic())
        return remaining if at_most is None else min(remaining, at_most)

    @property
    def passed(self) -> bool:
        return self.left() <= 0


@dataclass
class PageReport:
    """Why a page is partial (empty: it settled), and what else is worth knowing."""

    partial: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


async def wait_for_quiet(recorder: NetworkRecorder, quiet: float, timeout: float) -> bool:
    """Wait until no request has been under way for `quiet` seconds; False at `timeout`."""
    end = time.monotonic() + timeout
    while True:
        now = time.monotonic()
        if recorder.in_flight == 0 and now - recorder.last_activity >= quiet:
            return True
        if now >= end:
            return False
        await asyncio.sleep(POLL)


async def settle(page: Page, recorder: NetworkRecorder, limits: BrowserSettings,
                 deadline: Deadline, report: PageReport) -> None:
    """Everything done on a loaded page before its attachments are made."""
    await _wait_idle(recorder, limits, deadline, report, "after the page loaded")
    quiet_at = recorder.events
    opened = await _each_frame(page, _OPEN_DETAILS)
    if opened:
        report.notes.append(f"opened {opened} <details> element(s)")
    await _scroll(page, recorder, limits, deadline, report)
    started = await _each_frame(page, _PLAY_MEDIA)
    if started:
        report.notes.append(f"started {started} audio or video element(s)")
        await asyncio.sleep(deadline.left(limits.media_wait))
    if not report.partial and (recorder.in_flight or recorder.events != quiet_at):
        await _wait_idle(recorder, limits, deadline, report, "after the behaviours")
    with contextlib.suppress(PlaywrightError):
        await page.evaluate("() => window.scrollTo(0, 0)")


async def _wait_idle(recorder: NetworkRecorder, limits: BrowserSettings, deadline: Deadline,
                     report: PageReport, when: str) -> None:
    limit = deadline.left(limits.network_idle_timeout)
    if await wait_for_quiet(recorder, limits.quiet_period, limit):
        return
    busy = recorder.in_flight_urls()
    shown = ", ".join(busy[:3]) + (f" and {len(busy) - 3} more" if len(busy) > 3 else "")
    report.partial.append(f"the network never fell quiet {when} (waited {limit:.0f} s"
                          + (f"; still loading: {shown}" if busy else "") + ")")


async def _scroll(page: Page, recorder: NetworkRecorder, limits: BrowserSettings,
                  deadline: Deadline, report: PageReport) -> None:
    """Scroll a screen at a time to the bottom, so lazy content loads; at most
    `max_scrolls` screens (an endless page keeps growing)."""
    grew = False
    for _ in range(limits.max_scrolls):
        if deadline.passed:
            report.partial.append("the page's time ran out while scrolling")
            return
        try:
            reached, height = await page.evaluate(_SCROLL)
        except PlaywrightError:
            return  # navigated away, or a page without a document: nothing to scroll
        recorder.touch()
        scrolled_at = recorder.last_activity
        await asyncio.sleep(deadline.left(SCROLL_GRACE))
        if recorder.in_flight or recorder.last_activity > scrolled_at:  # it set off requests
            await wait_for_quiet(recorder, limits.quiet_period,
                                 deadline.left(SETTLE_BETWEEN_SCROLLS))
        if reached >= height - 2:
            if await page.evaluate(_HEIGHT) <= height:
                return
            grew = True
    if limits.max_scrolls:
        why = "the page kept growing" if grew else "the page goes on further down"
        report.notes.append(f"stopped scrolling after {limits.max_scrolls} screens: {why} "
                            "(what lies below may not have loaded)")


async def _each_frame(page: Page, script: str) -> int:
    total = 0
    for frame in page.frames:
        try:
            total += int(await frame.evaluate(script))
        except PlaywrightError:
            continue  # a frame that went away or cannot run script
    return total
