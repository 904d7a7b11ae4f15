"""A capture job that loads each source in Chromium and records everything it fetches.

One browser for the job, with a fresh profile in a temporary folder; several sources at
once, each in a tab of its own, as the tab pool (pool.py) admits them: at most `tabs`, at
most `per_host` of one host, none new while memory is at its ceiling. Every tab's recorder
writes into the one WarcWriter on the event loop's thread, each exchange's records in one
call, so the records of concurrent pages interleave only whole. For each source: the
recorder attaches to the tab before it navigates, the page loads (`page_load_timeout`), the
behaviours run (behaviours.py), the attachments are made (attachments.py), and every
exchange the browser made is in the WARC before its tab closes. Whatever goes wrong on one
page is that page's outcome, with its reason; the other tabs go on. Outcomes keep the order
of the sources asked for. When the job ends, however it ends (an interrupt, SIGTERM), the
browser is closed and any of its processes still running are killed by id, found by the
profile folder that only they name.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
import shutil
import signal
import tempfile
import threading
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from archiver._types import Progress
from archiver.capture.browser import attachments
from archiver.capture.browser.attachments import Attachment
from archiver.capture.browser.behaviours import Deadline, PageReport, settle, wait_for_quiet
from archiver.capture.browser.chromium import (
    FLAGS,
    find_chromium,
    kill_leftovers,
    needs_no_sandbox,
    trust_ca_file,
)
from archiver.capture.browser.exchange import BrowserExchange
from archiver.capture.browser.pool import HostLease, TabPool
from archiver.capture.browser.provenance import BrowserPeer, browser_peer_document
from archiver.capture.browser.recorder import ChainCache, Failure, NetworkRecorder
from archiver.capture.frontier import Role
from archiver.capture.provenance import PeerRecords
from archiver.capture.results import (
    CaptureResult,
    PayloadLookup,
    RecordRef,
    Resource,
    SourceOutcome,
    earlier_capture,
)
from archiver.capture.urls import normalize_url, try_normalize, url_from_header
from archiver.errors import BrowserMissing, CaptureError, EnvironmentFault
from archiver.settings import BrowserSettings, CaptureSettings
from archiver.timestamps import utc_iso
from archiver.warc.exchange_records import exchange_records, revisit_records
from archiver.warc.writer import WarcWriter

_log = logging.getLogger(__name__)
_log.addHandler(logging.NullHandler())

AttachmentSink = Callable[[int, Resource, Attachment], None]
"""Told of each attachment of a page: the page's index among the job's resources, its
resource (whose record the attachment refers to), and the attachment (closed after)."""
MAX_POPUP_NOTES = 10
MAX_DIALOGS = 20
"""Dialogs (alert, confirm, prompt) dismissed on one page before its scripts are stopped: a
page that opens them without end would otherwise keep the tab busy until its time ran out."""
MAX_LEAVING_NOTES = 3
MAX_ADDRESS_CHANGES = 100
MAX_WHOLE_FETCHES = 20
"""Resources a page got only in parts (206) that are fetched again whole, at most, per page."""
_FETCH_WHOLE = """async (urls) => {
  // No Range header: the server answers with the whole resource, which the recorder records
  // as it records every request of the page. no-cors: the answer need not be readable here.
  await Promise.allSettled(urls.map(url => fetch(url, {mode: 'no-cors', cache: 'no-store',
                                                       credentials: 'include'})));
}"""
_BOUND_HISTORY = """(() => {
  // A page may rewrite its address (history.pushState, replaceState) MAX times; after
  // that the calls do nothing. A storm of them wedges the browser and its driver, so that
  // nothing on the page, nor the page's closing, is answered any more.
  let used = 0;
  for (const name of ['pushState', 'replaceState']) {
    const original = History.prototype[name];
    History.prototype[name] = function (...args) {
      if (++used > MAX) return undefined;
      return original.apply(this, args);
    };
  }
})();""".replace("MAX", str(MAX_ADDRESS_CHANGES))
STOP_WAIT = 5.0
"""Longest wait for the browser to stop a page's scripts, or to close a tab, before archiver
does it the hard way (the renderer is crashed, then the browser's processes are killed)."""
GRACE = 10.0
"""Time past a page's own deadline for what must still happen on it: its scripts stopped,
its attachments made from what it shows."""
CLOSE_WAIT = 15.0
"""Longest wait for the browser, then its driver, to close in order when the job ends."""
T = TypeVar("T")
PAGE_TYPES = frozenset({"text/html", "application/xhtml+xml"})
MAX_SCRATCH_PATH = 60
"""Chromium keeps a socket in its temporary folder, and a socket's path may not exceed 107
bytes: a temporary folder past this length is left to be the system's."""


@dataclass
class _PageState:
    url: str
    role: Role
    main_frame: str | None = None
    answered: bool = False
    """The page asked for has answered (not with a redirect): a navigation its page makes
    by itself after this is stopped (see `_leaving`)."""
    left_for: list[str] = field(default_factory=list)
    """Where the page tried to go by itself (script, meta refresh): not followed."""
    dialogs: int = 0
    crashed: bool = False
    address_changes: int = 0
    """Times the page rewrote its address without loading another (history.pushState)."""
    scripts_stopped: str | None = None
    """Why archiver stopped the page's scripts, if it did."""
    reasons: list[str] = field(default_factory=list)
    """What the page did that archiver stopped, in a few words each: the source's reason
    when the capture is otherwise whole."""
    navigation: str | None = None
    """The browser's id of the page's own request (the same through its redirects)."""
    hops: list[int] = field(default_factory=list)
    """Slots of the navigation's exchanges, in order: its redirects, then the page."""
    slots: list[int] = field(default_factory=list)
    """Slots of every exchange of this page (other tabs' are listed between them)."""


class BrowserCaptureJob:
    """Capture sources through Chromium into `writer`; `run()` as CaptureJob's."""

    def __init__(self, settings: CaptureSettings, writer: WarcWriter, *,
                 progress: Progress | None = None,
                 on_attachment: AttachmentSink | None = None,
                 dedup: PayloadLookup | None = None,
                 host_lease: HostLease | None = None) -> None:
        """`dedup`, as CaptureJob's: a payload the lookup knows is written as a revisit;
        `host_lease` is held for each page while its tab is open (a cluster's per-host
        limit: TabPool)."""
        self.settings = settings
        self.host_lease = host_lease
        """Held for each page while its tab is open (a cluster's per-host limit: TabPool)."""
        self.browser = settings.browser or BrowserSettings()
        self.writer = writer
        self.progress = progress
        self.on_attachment = on_attachment
        self.dedup = dedup
        self._slots: list[Resource] = []
        self._popups: dict[Any, list[str]] = {}
        """Windows each open page opened (closed at once), by the page that opened them."""
        self._done: dict[str, asyncio.Task[SourceOutcome]] = {}
        self.pool: TabPool | None = None
        self._runner: asyncio.Runner | None = None
        self._folder: Path | None = None
        self._previous_sigterm: Any = None
        self._playwright: Any = None
        self._context: Any = None
        self._peers = PeerRecords(settings.gzip_level)
        self._chains: ChainCache = {}
        self._browser_version: str | None = None

    def run(self, urls: Sequence[str], role: Role = "source") -> CaptureResult:
        """Capture `urls`, each in a tab of its own, then close the browser; raise
        BrowserMissing when there is no Chromium or no Playwright."""
        try:
            return self.capture(urls, role)
        finally:
            self.close()

    def capture(self, urls: Sequence[str], role: Role = "source") -> CaptureResult:
        """Capture `urls`; may be called again (a story, then its citations) with the same
        browser: a URL captured before is not captured again, and every result lists all
        resources so far."""
        runner = self._runner or self._start()
        started = utc_iso()
        sources = self._in_loop(runner, self._capture_all(list(urls), role))
        return CaptureResult(sources, list(self._slots), started, utc_iso(),
                             list(self._peers.found))

    def close(self) -> None:
        """Close the browser and its driver in order; kill by id whatever of it is left."""
        runner, self._runner = self._runner, None
        try:
            if runner is not None:
                try:
                    self._in_loop(runner, self._shut_down())
                except KeyboardInterrupt:
                    pass  # interrupted again while closing: the sweep below ends it
                finally:
                    _beside_any_running_loop(runner.close)
        finally:
            if self._previous_sigterm is not None:
                signal.signal(signal.SIGTERM, self._previous_sigterm)
                self._previous_sigterm = None
            if self._folder is not None:
                kill_leftovers(self._folder)
                shutil.rmtree(self._folder, ignore_errors=True)
                self._folder = None

    def _start(self) -> asyncio.Runner:
        executable = find_chromium(self.browser.executable)
        try:
            import playwright.async_api  # noqa: F401  (heavy: loaded only for --browser)
        except ImportError as error:
            raise BrowserMissing("the playwright package is not installed "
                                 "(pip install playwright)") from error
        if threading.current_thread() is threading.main_thread():
            self._previous_sigterm = signal.getsignal(signal.SIGTERM)
        self._folder = Path(tempfile.mkdtemp(prefix="archiver-chromium-"))
        self._runner = asyncio.Runner()
        try:
            self._in_loop(self._runner, self._open(executable, self._folder))
        except BaseException:
            self.close()
            raise
        return self._runner

    def _in_loop(self, runner: asyncio.Runner, work: Coroutine[Any, Any, T]) -> T:
        """Run `work` in the job's event loop, SIGTERM cancelling it meanwhile; between
        runs SIGTERM is the caller's again."""
        try:
            return _beside_any_running_loop(lambda: runner.run(work))
        except asyncio.CancelledError:
            raise KeyboardInterrupt from None  # SIGTERM ended the job: the caller's Ctrl-C
        finally:
            if self._previous_sigterm is not None:
                signal.signal(signal.SIGTERM, self._previous_sigterm)

    async def _open(self, executable: str, folder: Path) -> None:
        from playwright.async_api import async_playwright

        _cancel_on_sigterm()
        self._playwright = await async_playwright().start()
        self._context = await self._launch(self._playwright, executable, folder)
        await self._context.add_init_script(_BOUND_HISTORY)
        self._context.on("page", lambda other: asyncio.ensure_future(
            _close_popup(other, self._popups)))
        self.pool = TabPool(self.browser.tabs, self.settings.per_host,
                            self.browser.memory_ceiling, host_lease=self.host_lease)
        for page in list(self._context.pages):
            await page.close()

    async def _shut_down(self) -> None:
        """Close the browser, then the driver, each bounded (CLOSE_WAIT): a browser slow to
        close (a loaded machine, a renderer that does not answer) is killed by id instead,
        which ends the driver's wait for it too."""
        _cancel_on_sigterm()
        try:
            if self._context is not None:
                await self._bounded_close(self._context.close(), "the browser")
        finally:
            self._context = None
            if self._playwright is not None:
                await self._bounded_close(self._playwright.stop(), "the browser's driver")
                self._playwright = None

    async def _bounded_close(self, closing: Awaitable[Any], what: str) -> None:
        task = asyncio.ensure_future(closing)
        done, _ = await asyncio.wait({task}, timeout=CLOSE_WAIT)
        if done:
            with contextlib.suppress(Exception):  # already gone: what we wanted
                task.result()
            return
        _log.warning("%s did not close within %.0f s: its processes are killed", what,
                     CLOSE_WAIT)
        if self._folder is not None:
            await asyncio.to_thread(kill_leftovers, self._folder)
        done, _ = await asyncio.wait({task}, timeout=CLOSE_WAIT)
        if not done:
            task.cancel()

    async def _capture_all(self, urls: list[str], role: Role) -> list[SourceOutcome]:
        """Every source at once, as the pool admits them; their outcomes in `urls`' order."""
        _cancel_on_sigterm()
        done = 0

        async def one(requested: str) -> SourceOutcome:
            nonlocal done
            source = await self._capture_once(requested, role)
            done += 1
            if self.progress:
                self.progress(done, len(urls), requested)
            return source

        try:
            async with asyncio.TaskGroup() as group:
                tasks = [group.create_task(one(requested)) for requested in urls]
        except BaseExceptionGroup as failed:  # the job's own fault (a full disk): as it was
            raise failed.exceptions[0] from None
        return [task.result() for task in tasks]

    async def _capture_once(self, requested: str, role: Role) -> SourceOutcome:
        """A source, captured unless it was captured before in this job."""
        try:
            url = normalize_url(requested)
        except CaptureError as error:
            return SourceOutcome(requested, None, "failed", reason=error.reason)
        earlier = self._done.get(url)
        if earlier is None:  # the same URL asked twice at once waits for the one capture
            earlier = self._done[url] = asyncio.ensure_future(self._in_tab(requested, role))
        return dataclasses.replace(await earlier, requested_url=requested)

    async def _in_tab(self, requested: str, role: Role) -> SourceOutcome:
        """A source captured in a tab of the pool; the browser failing under it (a tab it
        closed, a crash) is this source's outcome, not the job's end."""
        from playwright.async_api import Error as PlaywrightError

        assert self.pool is not None
        async with self.pool.tab(normalize_url(requested)):
            try:
                return await self._capture_source(self._context, requested, role)
            except PlaywrightError as error:
                return SourceOutcome(requested, normalize_url(requested), "failed",
                                     reason=f"the browser failed: {_browser_reason(error)}")

    async def _launch(self, playwright: Any, executable: str, folder: Path) -> Any:
        """Chromium with a fresh profile in `folder`; its temporary files there too, when
        that path is short enough for the socket Chromium keeps in it."""
        from playwright.async_api import Error as PlaywrightError

        scratch = folder / "tmp"
        scratch.mkdir()
        env = dict(os.environ)
        if len(str(scratch)) <= MAX_SCRATCH_PATH:
            env["TMPDIR"] = str(scratch)
        if self.settings.ca_file is not None and self.settings.verify_tls:
            # Chromium on Linux trusts the authorities of $HOME/.pki/nssdb beside its own
            # root store: a home of the run's own holds --ca-file's (and nothing else of the
            # user's, so the provenance names exactly what was trusted).
            await asyncio.to_thread(trust_ca_file, self.settings.ca_file, folder / "home")
            env["HOME"] = str(folder / "home")
        try:
            return await playwright.chromium.launch_persistent_context(
                str(folder / "profile"), executable_path=executable, headless=True,
                args=[*FLAGS, f"--js-flags=--max-old-space-size={self.browser.page_heap_mib}"],
                # Chromium's popup blocker stays on: windows a page opens by script, with no
                # click of a reader's, never open (Playwright switches it off by default).
                ignore_default_args=["--disable-popup-blocking"],
                chromium_sandbox=not needs_no_sandbox(),
                accept_downloads=False, env=env,
                ignore_https_errors=not self.settings.verify_tls, service_workers="block",
                viewport={"width": self.browser.viewport_width,
                          "height": self.browser.viewport_height})
        except PlaywrightError as error:
            raise EnvironmentFault("--browser", f"Chromium ({executable}) could not start: "
                                   f"{_launch_failure(error)}") from error

    async def _capture_source(self, context: Any, requested: str, role: Role) -> SourceOutcome:
        url = normalize_url(requested)
        page = await context.new_page()
        state = _PageState(url, role)
        report = PageReport()
        popups = self._popups[page] = []
        cdp = await context.new_cdp_session(page)
        page.on("crash", lambda _: setattr(state, "crashed", True))
        page.on("dialog", lambda dialog: asyncio.ensure_future(
            self._dialog(dialog, state, cdp)))
        cdp.on("Page.navigatedWithinDocument", lambda event: _count_address_change(
            state, event))
        if self._browser_version is None:
            self._browser_version = _product((await cdp.send("Browser.getVersion")).get(
                "product"))
        recorder = NetworkRecorder(cdp, self.settings, lambda ex: self._record(ex, state),
                                   on_peer=self._record_peer, browser=self._browser_version,
                                   chains=self._chains,
                                   veto=lambda event: _leaving(state, event))
        made: list[Attachment] = []
        failure: str | None = None
        try:
            await recorder.start()
            await cdp.send("Page.enable")
            tree = await cdp.send("Page.getFrameTree")
            state.main_frame = tree["frameTree"]["frame"]["id"]
            deadline = Deadline(self.browser.page_timeout)
            failure = await self._load(page, url, deadline, report)
            if state.crashed:
                pass  # nothing left to render: what was recorded is the evidence
            elif self._is_page(state):
                settling = asyncio.ensure_future(
                    settle(page, recorder, self.browser, deadline, report))
                if await _within(settling, deadline.left() + 1.0):
                    settling.result()  # an error of the browser's: this source's outcome
                else:
                    report.partial.append("the page stopped answering (a script that never "
                                          "yields?) before its time ran out")
                    await self._stop_scripts(cdp, state, "it stopped answering")
                await self._fetch_whole(page, recorder, deadline, report)
                if recorder.rebound:  # the page may show what a private address answered
                    report.notes.append("no attachments: part of the page came from an "
                                        "address the policy refuses (see its failed "
                                        "requests)")
                else:
                    made = await self._attachments(page, cdp, deadline, report, state)
            elif state.hops:  # a PDF or an image: the record is the evidence; no rendering
                report.partial.clear()
            await recorder.settle()
        finally:
            self._popups.pop(page, None)
            await self._close_page(page, cdp)
        if state.crashed:
            crash = "the page's renderer crashed (it ran out of memory, or was killed)"
            if state.hops:
                report.partial.append(crash)
            failure = crash
        if failure and state.hops and not report.partial and not state.crashed:
            # It answered, and the browser would not show it: a download, say
            report.notes.append(f"the browser did not display it ({failure}): the response "
                                "is recorded as received")
            state.reasons.append(f"the browser did not display it ({failure})")
        self._note_page(state, report, popups)
        self._note_failures(recorder.failures, url, state)
        source = self._resolve(requested, state, failure, recorder.failures)
        self._finish_page(source, report, recorder.notes, made)
        if source.resource is not None and source.reason is None and state.reasons:
            source.reason = "; ".join(state.reasons)
        return source

    async def _fetch_whole(self, page: Any, recorder: NetworkRecorder, deadline: Deadline,
                           report: PageReport) -> None:
        """Fetch once more, whole, what the page got only in ranges (206: a video, an audio
        file), so the package holds a full 200 record that replay can serve any range from
        (pywb does; Browsertrix fetches the same way). The request is the page's own, so the
        address policy, `--max-size` and the recorder apply to it as to any other."""
        from playwright.async_api import Error as PlaywrightError

        wanted = list(recorder.ranged)[:MAX_WHOLE_FETCHES]
        if not wanted or deadline.passed:
            return
        fetching = asyncio.ensure_future(page.evaluate(_FETCH_WHOLE, wanted))
        if not await _within(fetching, deadline.left()):
            report.notes.append("the media it got in parts could not be fetched whole in time")
            return
        try:
            fetching.result()
        except PlaywrightError as error:
            report.notes.append(f"the media it got in parts was not fetched whole: "
                                f"{_browser_reason(error)}")
            return
        await wait_for_quiet(recorder, self.browser.quiet_period,
                             deadline.left(self.browser.network_idle_timeout))
        report.notes.append(f"fetched whole, once, {len(wanted)} resource(s) the page got "
                            "only in parts (Range, 206)")

    def _note_page(self, state: _PageState, report: PageReport, popups: list[str]) -> None:
        """What the page did by itself that archiver stopped, each in one note."""
        if popups:
            shown = ", ".join(popups[:MAX_POPUP_NOTES])
            report.notes.append(f"the page opened {len(popups)} window(s) by itself ({shown}"
                                + (" ..." if len(popups) > MAX_POPUP_NOTES else "")
                                + "): each closed at once, not captured")
            state.reasons.append(f"it opened {len(popups)} window(s) by itself, closed")
        if state.left_for:
            shown = ", ".join(state.left_for[:MAX_LEAVING_NOTES])
            more = len(state.left_for) - MAX_LEAVING_NOTES
            report.notes.append(
                f"the page tried to go elsewhere by itself ({shown}"
                + (f" and {more} more" if more > 0 else "") + "): not followed, so the "
                "capture is the page asked for; capture that address to keep it")
            state.reasons.append("it tried to go elsewhere by itself, not followed")
        if state.address_changes:
            bounded = (f"; after {MAX_ADDRESS_CHANGES}, its calls did nothing"
                       if state.address_changes >= MAX_ADDRESS_CHANGES else "")
            report.notes.append(f"the page rewrote its address {state.address_changes} "
                                "time(s) by script (history.pushState) without loading "
                                f"another page{bounded}")
            if bounded:
                state.reasons.append(f"it rewrote its address by script more than "
                                     f"{MAX_ADDRESS_CHANGES} times, the rest ignored")
        if state.dialogs:
            report.notes.append(f"the page opened {state.dialogs} dialog(s): dismissed")
        if state.scripts_stopped:
            report.notes.append(f"the page's scripts were stopped: {state.scripts_stopped}")
            state.reasons.append(f"its scripts were stopped: {state.scripts_stopped}")

    async def _dialog(self, dialog: Any, state: _PageState, cdp: Any) -> None:
        """Dismiss a dialog; past MAX_DIALOGS, stop the page's scripts first, so a page
        that opens them without end lets its capture finish."""
        state.dialogs += 1
        if state.dialogs == MAX_DIALOGS + 1:
            await self._stop_scripts(cdp, state, f"it opened more than {MAX_DIALOGS} dialogs")
        with contextlib.suppress(Exception):  # the page went away meanwhile
            await dialog.dismiss()

    async def _stop_scripts(self, cdp: Any, state: _PageState, why: str) -> None:
        """Stop the script running on the page and every script after it (timers, handlers):
        the page stays as it stands, so its attachments can be made."""
        if state.scripts_stopped is None:
            state.scripts_stopped = why
        for method, params in (("Emulation.setScriptExecutionDisabled", {"value": True}),
                               ("Runtime.terminateExecution", {})):
            with contextlib.suppress(Exception):  # gone, or already stopped
                await asyncio.wait_for(cdp.send(method, params), STOP_WAIT)

    async def _close_page(self, page: Any, cdp: Any) -> None:
        """Close the tab, bounded: a renderer that does not let go is crashed first."""
        from playwright.async_api import Error as PlaywrightError

        for attempt in range(2):
            try:
                await asyncio.wait_for(page.close(), STOP_WAIT)
                return
            except TimeoutError:
                if attempt == 0:
                    with contextlib.suppress(Exception):
                        await asyncio.wait_for(cdp.send("Page.crash"), STOP_WAIT)
            except PlaywrightError:
                return  # closed already, or the browser went away
        _log.warning("a tab did not close; it goes with the browser")

    def _is_page(self, state: _PageState) -> bool:
        """Whether the source answered with a web page (HTML), which is worth behaviours
        and attachments, rather than a document the browser only displays (a PDF)."""
        if not state.hops:
            return False
        content_type = self._slots[state.hops[-1]].content_type
        return content_type in PAGE_TYPES or (
            content_type is None and not self._slots[state.hops[-1]].redirect_to)

    async def _load(self, page: Any, url: str, deadline: Deadline,
                    report: PageReport) -> str | None:
        """Navigate; None when the page loaded, else why it did not (it may still have
        answered: a timeout leaves a partial page)."""
        from playwright.async_api import Error as PlaywrightError
        from playwright.async_api import TimeoutError as PlaywrightTimeout

        limit = deadline.left(self.browser.page_load_timeout)
        try:
            await page.goto(url, wait_until="load", timeout=limit * 1000)
            return None
        except PlaywrightTimeout:
            reason = f"the page did not finish loading within {limit:.0f} s"
            report.partial.append(reason)
            return reason
        except PlaywrightError as error:
            return _browser_reason(error)

    async def _attachments(self, page: Any, cdp: Any, deadline: Deadline,
                           report: PageReport, state: _PageState) -> list[Attachment]:
        from playwright.async_api import Error as PlaywrightError

        wanted: list[tuple[str, bool, Callable[[], Awaitable[Attachment]]]] = [
                  ("screenshot", self.browser.screenshot,
                   lambda: attachments.screenshot(page, self.browser, deadline)),
                  ("PDF snapshot", self.browser.pdf, lambda: attachments.pdf(cdp, deadline)),
                  ("rendered DOM", self.browser.rendered_dom,
                   lambda: attachments.rendered_dom(page))]
        made = []
        for name, enabled, make in wanted:
            if not enabled:
                continue
            if state.crashed:
                report.notes.append(f"no {name}: the page's renderer crashed")
                continue
            task = asyncio.ensure_future(make())
            if not await _within(task, max(deadline.left(), GRACE)):
                report.notes.append(f"no {name}: the page did not answer in time")
                await self._stop_scripts(cdp, state, f"it did not answer for its {name}")
                continue
            try:
                made.append(task.result())
            except PlaywrightError as error:
                report.notes.append(f"no {name}: {_browser_reason(error)}")
        return made

    # -- records and resources ------------------------------------------------------------

    def _record(self, exchange: BrowserExchange, state: _PageState) -> None:
        """Write one exchange's records and list its resource (on the event loop)."""
        navigation = (exchange.resource_type == "Document"
                      and exchange.frame_id == state.main_frame
                      and state.navigation in (None, exchange.network_id))
        role: Role = state.role if navigation else "requisite"
        # A page's text is read from its rendered DOM, kept apart: its response may be a
        # revisit as much as any requisite's.
        original = earlier_capture(self.dedup, exchange.url, exchange.payload_sha256,
                                   exchange.payload_length, whole=exchange.truncated is None,
                                   role=role)
        extra = [("WARC-Protocol", exchange.protocol)]
        try:
            prepared = (revisit_records(exchange, original, gzip_level=self.settings.gzip_level,
                                        extra=extra) if original is not None else
                        exchange_records(exchange, gzip_level=self.settings.gzip_level,
                                         extra=extra))
            try:
                request_at, response_at = self.writer.write(prepared)
            finally:
                for record in prepared:
                    record.close()
        finally:
            exchange.close()
        resource = Resource(exchange.url, role, found_on=None if navigation else state.url,
                            attempts=1)
        resource.outcome = "captured"
        resource.revisit = original
        resource.written_as(exchange, RecordRef(response_at.warc_file, prepared[1].record_id,
                                                response_at.offset, prepared[0].record_id,
                                                request_at.offset))
        resource.notes.extend(exchange.notes)
        if exchange.recorded.is_redirect:
            location = url_from_header(exchange.recorded.location or "")
            resource.redirect_to = try_normalize(location, exchange.url)
        self._slots.append(resource)
        state.slots.append(len(self._slots) - 1)
        if navigation:
            state.navigation = exchange.network_id
            state.hops.append(len(self._slots) - 1)
            state.answered = state.answered or not exchange.recorded.is_redirect

    def _record_peer(self, peer: BrowserPeer, response_id: str) -> None:
        """Write the provenance record of the server a response came from, unless facts
        the same were recorded already (on the event loop)."""
        pending = self._peers.prepare_document(
            peer.identity, lambda: browser_peer_document(peer), connected_at=peer.connected_at,
            used=peer.used, response_id=response_id)
        if pending is None:
            return
        try:
            [where] = self.writer.write([pending.record])
        finally:
            pending.record.close()
        self._peers.written(pending, where)

    def _note_failures(self, failures: list[Failure], page_url: str,
                       state: _PageState) -> None:
        """List the page's requests that got no response; not those the browser made
        again and got (it abandons and reissues some, a web font's say, before sending)."""
        answered = {self._slots[slot].url for slot in state.slots}
        for failed in failures:
            if failed.url in answered:
                continue
            self._slots.append(Resource(failed.url, "requisite", found_on=page_url,
                                        reason=failed.reason, attempts=1,
                                        captured_at=utc_iso(failed.started_at)))

    def _resolve(self, requested: str, state: _PageState, failure: str | None,
                 failures: list[Failure]) -> SourceOutcome:
        source = SourceOutcome(requested, state.url, "failed")
        if not state.hops:
            refused = next((f.reason for f in failures if f.url == state.url), None)
            source.reason = refused or failure or "the browser recorded no response"
            source.final_url = state.url
            return source
        chain = [self._slots[hop] for hop in state.hops]
        final = chain[-1]
        source.final_url = final.url
        source.redirects = [hop.url for hop in chain] if len(chain) > 1 else []
        source.resource = final
        if final.redirect_to:  # the chain ended on a redirect: a loop, too long, refused
            source.reason = failure or f"the redirect to {final.redirect_to} was not followed"
            return source
        source.outcome = final.outcome
        return source

    def _finish_page(self, source: SourceOutcome, report: PageReport, recorder_notes: list[str],
                     made: list[Attachment]) -> None:
        resource = source.resource
        try:
            if resource is None:
                return
            if report.partial:
                source.reason = "partial capture: " + "; ".join(report.partial)
                resource.notes.append(source.reason)
            resource.notes.extend(report.notes + recorder_notes)
            index = self._slots.index(resource)
            for attachment in made:
                if self.on_attachment is not None:
                    self.on_attachment(index, resource, attachment)
        finally:
            for attachment in made:
                attachment.close()


async def _within(task: asyncio.Future[Any], seconds: float) -> bool:
    """Let `task` run for at most `seconds`, then cancel it; whether it finished (its result
    or error is the caller's to read). A call to a page whose renderer is busy for ever (a
    script that never yields) would otherwise never return: Playwright's evaluate and
    screenshot have no time limit of their own."""
    done, _ = await asyncio.wait({task}, timeout=max(seconds, 0.1))
    if done:
        return True
    task.cancel()
    with contextlib.suppress(BaseException):
        await asyncio.wait({task}, timeout=STOP_WAIT)
    return False


def _leaving(state: _PageState, event: dict[str, Any]) -> str | None:
    """Why a request is stopped before it leaves (None: it goes): the page navigating by
    itself (a script setting location, a meta refresh, a download it starts) once the page
    asked for has answered. The capture stays the page asked for; what it is left for is
    noted. Its tab then holds the page as loaded."""
    if (not state.answered or event.get("resourceType") != "Document"
            or event.get("frameId") != state.main_frame):
        return None
    target = str(event.get("request", {}).get("url", ""))[:300]
    state.left_for.append(target)
    return target


def _count_address_change(state: _PageState, event: dict[str, Any]) -> None:
    if event.get("frameId") == state.main_frame:
        state.address_changes += 1


def _beside_any_running_loop(call: Callable[[], T]) -> T:
    """`call()`, which runs the job's event loop: here, or, when this thread runs a loop
    of its own (a Jupyter cell), in a thread of its own while this one waits (a loop cannot
    run inside another)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return call()
    with ThreadPoolExecutor(1, thread_name_prefix="archiver-browser") as pool:
        return pool.submit(call).result()


def _cancel_on_sigterm() -> None:
    """SIGTERM cancels the job's task, as asyncio.run makes Ctrl-C do, so the browser is
    closed in order (an exception thrown into whichever callback was running could leave
    the connection to it broken, and the browser running)."""
    if threading.current_thread() is not threading.main_thread():
        return
    task = asyncio.current_task()
    if task is not None:
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)


async def _close_popup(page: Any, seen: dict[Any, list[str]]) -> None:
    """A window a page opened by itself is closed at once (a page opening a thousand
    popups keeps only one tab busy), and noted on the page that opened it."""
    opener = await page.opener()
    if opener is None:
        return  # a tab of our own
    seen.get(opener, []).append(page.url)
    with contextlib.suppress(Exception):  # already gone
        await page.close()


def _product(product: Any) -> str:
    """The browser's name and version from Browser.getVersion's product
    ("HeadlessChrome/156.0.8078.114": Chromium, headless).

    >>> _product("HeadlessChrome/156.0.8078.114"), _product(None)
    ('Chromium 156.0.8078.114', 'Chromium')
    """
    if not isinstance(product, str) or "/" not in product:
        return "Chromium"
    return "Chromium " + product.rsplit("/", 1)[-1][:40]


def _launch_failure(error: Exception) -> str:
    """What Chromium said when it died at launch: its FATAL line, else the first line."""
    for line in str(error).splitlines():
        if ":FATAL:" in line:
            return line.rsplit("] ", 1)[-1].strip()[:300]
    return _browser_reason(error)


def _browser_reason(error: Exception) -> str:
    """The first line of what Chromium or Playwright said, without its call log."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return text.removeprefix("Page.goto: ").removeprefix("Error: ")[:300]
