"""The `archiver` command: each verb parses its options, calls one library function, renders
the result (text, or --json from the same objects) and picks the exit code.

Exit codes, the same for every verb:
  0  all good
  1  the work ran and found a problem in the evidence (a source failed, a check failed)
  2  usage error (bad arguments, an input that is not what the verb takes)
  3  could not run (I/O error, full disk, interrupted, missing component)
When the reader of stdout goes away (`| head`), a verb stops quietly, ended by SIGPIPE, as
any Unix tool is (see `main`).
"""

from __future__ import annotations

import functools
import json
import os
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, ParamSpec

import typer

from archiver import __version__
from archiver.errors import (
    ArchiverError,
    ArchiverUsageError,
    EnvironmentFault,
    EvidenceError,
    InputNotFoundError,
    VerificationFailed,
)
from archiver.rendering import (
    capture_summary,
    render_capture,
    render_export,
    render_extractions,
    render_plan,
    render_problems,
    render_refusal,
    render_story,
    render_text,
    render_verification,
)
from archiver.settings import (
    BrowserSettings,
    CaptureSettings,
    ExtractionSettings,
    parse_size,
    size_text,
)
from archiver.terminal import OutputClosed, progress_bar, show, show_error, show_json

if TYPE_CHECKING:
    from archiver._types import ByteProgress, Progress
    from archiver.verification import VerificationReport

EXIT_OK, EXIT_PROBLEM, EXIT_USAGE, EXIT_COULD_NOT_RUN = 0, 1, 2, 3
app = typer.Typer(
    name="archiver",
    help="Keep the evidence behind a story: capture cited sources into verifiable WARC "
         "evidence packages.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


DEFAULTS = CaptureSettings()
"""Where every capture option's default comes from: the library's own."""
MAX_SIZE_DEFAULT = size_text(DEFAULTS.max_resource_bytes)
WARC_SIZE_DEFAULT = size_text(DEFAULTS.warc_max_bytes)

# The capture options (capture and story take them alike), spelled once; each verb's
# settings are built from them by `_capture_settings`.
RequisitesOption = Annotated[bool, typer.Option("--requisites/--no-requisites",
                                                help="Also capture what pages need to render.")]
InsecureOption = Annotated[bool, typer.Option("--insecure", help="Do not check TLS "
                                              "certificates (recorded in the package).")]
CaFileOption = Annotated[Path | None, typer.Option("--ca-file", help="Extra certificate "
                                                   "authorities to trust (PEM).")]
AllowPrivateOption = Annotated[bool, typer.Option("--allow-private", help="Also fetch from "
                                                  "private, loopback, link-local and reserved "
                                                  "addresses (refused by default; recorded in "
                                                  "the package).")]


def _size(text: str) -> int:
    try:
        return parse_size(text)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None


MaxSizeOption = Annotated[int, typer.Option("--max-size", parser=_size, metavar="SIZE",
                                            help="Largest body kept per resource; longer ones "
                                            "are cut and marked WARC-Truncated.")]
TimeoutOption = Annotated[float, typer.Option("--timeout", help="Seconds allowed per "
                                              "resource.")]
RetriesOption = Annotated[int, typer.Option("--retries", min=0, help="Extra tries after a "
                                            "reset, refusal or timeout.")]
ExtractOption = Annotated[bool, typer.Option("--extract/--no-extract", help="Also extract the "
                                             "text and metadata of every page and PDF into "
                                             "the package.")]
StoryExtractOption = Annotated[bool, typer.Option("--extract/--no-extract", help="Also extract "
                                                  "the text and metadata of every cited page "
                                                  "and PDF into the package (the story is read "
                                                  "for its citations either way).")]
ReadTimeoutOption = Annotated[float, typer.Option("--read-timeout", help="Seconds of silence "
                                                  "before a connection is given up.")]
ConnectTimeoutOption = Annotated[float, typer.Option("--connect-timeout", help="Seconds to wait "
                                                     "for a connection.")]
PerHostOption = Annotated[int, typer.Option("--per-host", min=1, help="Connections at once to "
                                            "one host.")]
ConcurrencyOption = Annotated[int, typer.Option("--concurrency", min=1, help="Connections at "
                                                "once in all.")]
WarcSizeOption = Annotated[int, typer.Option("--warc-size", parser=_size, metavar="SIZE",
                                             help="Start a new WARC file past this size.")]
BrowserOption = Annotated[bool, typer.Option("--browser", help="Load each page in Chromium "
                                             "and record everything it fetches, with a "
                                             "screenshot, a PDF snapshot and the rendered "
                                             "page (Chromium on PATH, or ARCHIVER_CHROMIUM).")]
OutputOption = Annotated[Path | None, typer.Option("-o", "--output", help="The new package "
                                                   "directory (required; must not exist).",
                                                   show_default=False)]


def _capture_settings(*, max_size: int | str, timeout: float, retries: int, insecure: bool,
                      ca_file: Path | None, extract: bool, **others: Any) -> CaptureSettings:
    """The settings the capture options ask for (`others` are CaptureSettings fields as they
    are named there); a --ca-file that is not there is a usage error."""
    if ca_file is not None and not ca_file.is_file():
        raise InputNotFoundError(ca_file)
    return CaptureSettings(max_resource_bytes=int(max_size), resource_timeout=timeout,
                           retries=retries, verify_tls=not insecure, ca_file=ca_file,
                           extraction=ExtractionSettings() if extract else None, **others)


def _browser_settings() -> BrowserSettings:
    """--browser: the default behaviours, with the Chromium found now (none: exit 3, before
    anything is written)."""
    from archiver.capture.browser.chromium import find_chromium

    return BrowserSettings(executable=find_chromium())


def exit_code_for(error: BaseException) -> int:
    """The one mapping from what went wrong to the documented exit code."""
    if isinstance(error, ArchiverUsageError):
        return EXIT_USAGE
    if isinstance(error, EvidenceError):
        return EXIT_PROBLEM
    return EXIT_COULD_NOT_RUN


def _fail(message: str, code: int) -> NoReturn:
    show_error(message)
    raise typer.Exit(code)


@contextmanager
def _reported_errors() -> Iterator[None]:
    """Turn every error into one line on stderr and its exit code; never a traceback."""
    try:
        yield
    except typer.Exit:
        raise
    except KeyboardInterrupt:
        _fail("interrupted; nothing was left half-written", EXIT_COULD_NOT_RUN)
    except ArchiverError as error:
        _fail(str(error), exit_code_for(error))
    except OSError as error:
        _fail(str(EnvironmentFault.from_os_error(error)), EXIT_COULD_NOT_RUN)
    except Exception as error:  # a bug: say so plainly, show the trace only when asked
        if os.environ.get("ARCHIVER_DEBUG"):
            raise
        _fail(f"internal error ({type(error).__name__}: {error}); "
              "rerun with ARCHIVER_DEBUG=1 for details and please report it", EXIT_COULD_NOT_RUN)


def _terminate_as_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


Params = ParamSpec("Params")


def reported(verb: Callable[Params, None]) -> Callable[Params, None]:
    """Run a verb the way every verb runs: SIGTERM ends it as Ctrl-C does (nothing is left
    half-written), and whatever goes wrong is one line on stderr and its exit code."""

    @functools.wraps(verb)
    def run(*args: Params.args, **kwargs: Params.kwargs) -> None:
        with _reported_errors():
            signal.signal(signal.SIGTERM, _terminate_as_interrupt)
            verb(*args, **kwargs)

    return run


def _emit_json(data: Any) -> None:
    show_json(json.dumps(data, indent=2, ensure_ascii=False))


def _sweep_beside(output: Path) -> None:
    """Clear away what killed runs left beside `output`, saying so in one line each."""
    from archiver.leftovers import remove_stale_partials

    for leftover in remove_stale_partials(output.parent):
        show_error(str(leftover))


def read_url_list(path: Path) -> list[str]:
    """URLs of a list file: one a line; blank lines and # comments are skipped."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputNotFoundError(path) from None
    except IsADirectoryError:
        raise InputNotFoundError(path, "file (it is a directory)") from None
    except UnicodeDecodeError:
        raise ArchiverUsageError(f"{path}: not a text file of URLs (not UTF-8)") from None
    lines = (line.split(" #", 1)[0].strip() for line in text.splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def _refuse_mistyped_urls(urls: list[str]) -> None:
    """URLs typed on the command line are checked before anything is written: a typo is a
    usage error, named with what was probably meant (`example.org`: https://example.org),
    not a package of one failure. (A URL list file is data: a bad line in it is a source
    that failed, recorded with its reason.)"""
    from archiver.capture.urls import typed_url_problem

    found = [f"{url}: a file, not a URL; to capture the URLs it lists, give -i {url}"
             if Path(url).is_file() else typed_url_problem(url) for url in urls]
    problems = [problem for problem in found if problem is not None]
    for problem in problems:
        show_error(problem)
    if problems:
        raise typer.Exit(EXIT_USAGE)


def _refuse_mistyped_story(story: str) -> None:
    """A story that is neither a URL nor a file, but reads as a web address without its
    scheme (`news.example.org/story`), is a usage error that names the address meant."""
    from archiver.capture.urls import address_meant
    from archiver.story.build import is_url
    from archiver.story.drafts import DRAFT_SUFFIXES

    if is_url(story) or Path(story).exists():
        return
    meant = address_meant(story)
    # `refunds.md` is a host name too (Moldova's): a draft's name is taken for a mistyped file
    if meant is not None and not story.lower().endswith(DRAFT_SUFFIXES):
        _fail(f"{story}: no such story draft, and not a URL (no http:// or https://); "
              f"did you mean {meant}?", EXIT_USAGE)


def _refuse_missing(missing: list[str]) -> None:
    """Name everything missing from the command line at once, not one per try."""
    if missing:
        _fail("missing " + " and ".join(missing), EXIT_USAGE)


@app.command()
@reported
def capture(
    urls: Annotated[list[str] | None, typer.Argument(help="URLs of the sources to capture.",
                                                      show_default=False)] = None,
    output: OutputOption = None,
    input_file: Annotated[Path | None, typer.Option("-i", "--input", help="A file of URLs, one "
                                                    "a line; # starts a comment.")] = None,
    requisites: RequisitesOption = DEFAULTS.requisites,
    max_size: MaxSizeOption = MAX_SIZE_DEFAULT,  # type: ignore[assignment]
    timeout: TimeoutOption = DEFAULTS.resource_timeout,
    read_timeout: ReadTimeoutOption = DEFAULTS.read_timeout,
    connect_timeout: ConnectTimeoutOption = DEFAULTS.connect_timeout,
    retries: RetriesOption = DEFAULTS.retries,
    per_host: PerHostOption = DEFAULTS.per_host,
    concurrency: ConcurrencyOption = DEFAULTS.concurrency,
    insecure: InsecureOption = not DEFAULTS.verify_tls,
    ca_file: CaFileOption = DEFAULTS.ca_file,
    allow_private: AllowPrivateOption = DEFAULTS.allow_private,
    warc_size: WarcSizeOption = WARC_SIZE_DEFAULT,  # type: ignore[assignment]
    extract: ExtractOption = DEFAULTS.extraction is not None,
    browser: BrowserOption = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Capture sources into a new sealed evidence package.

    Example:  archiver capture https://example.org/report.pdf -i sources.txt -o evidence/story1

    Exit 0 when every source was captured, 1 when any failed (the package is still written,
    with each failure and its reason), 2 for a URL typed without its scheme (example.org:
    give https://example.org) or any other usage error, with nothing written. Private,
    loopback, link-local and reserved addresses (localhost, 10.0.0.0/8, 169.254.169.254...)
    are refused unless --allow-private is given. With --browser, each page is loaded in
    Chromium (exit 3 when there is none) and its text is read from the page as rendered.
    """
    from archiver.package.build import create_package

    _refuse_missing(([] if urls or input_file else ["the URLs to capture (URLs or -i FILE)"])
                    + ([] if output else ["the new package's path (-o PKG)"]))
    assert output is not None
    _refuse_mistyped_urls(list(urls or []))
    wanted = list(urls or []) + (read_url_list(input_file) if input_file else [])
    if not wanted:
        _fail(f"{input_file}: no URLs in it (one a line; # starts a comment)", EXIT_USAGE)
    settings = _capture_settings(
        requisites=requisites, max_size=max_size, timeout=timeout, read_timeout=read_timeout,
        connect_timeout=connect_timeout, retries=retries, per_host=per_host,
        concurrency=concurrency, insecure=insecure, ca_file=ca_file,
        allow_private=allow_private, warc_max_bytes=warc_size, extract=extract,
        browser=_browser_settings() if browser else None)
    _sweep_beside(output)
    with progress_bar("capturing") as progress:
        result = create_package(wanted, output, settings=settings, progress=progress)
    if as_json:
        _emit_json(capture_summary(result))
    else:
        show(render_capture(result))
    raise typer.Exit(EXIT_OK if result.is_complete else EXIT_PROBLEM)


@app.command()
@reported
def story(
    story_input: Annotated[str | None, typer.Argument(metavar="STORY", help="The story's URL, "
                                                      "or a local draft (HTML, Markdown or "
                                                      "text file); required.",
                                                      show_default=False)]
    = None,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="The new package "
                                                "directory (required unless --dry-run; "
                                                "must not exist).", show_default=False)] = None,
    citations_from: Annotated[Path | None, typer.Option("--citations-from", help="Capture the "
                                                        "URLs of this file (one a line) as the "
                                                        "citations, instead of the story's "
                                                        "links.")] = None,
    include: Annotated[list[str] | None, typer.Option("--include", metavar="REGEX",
                                                      help="Keep only citations whose URL "
                                                      "matches (repeatable).")] = None,
    exclude: Annotated[list[str] | None, typer.Option("--exclude", metavar="REGEX",
                                                      help="Leave out citations whose URL "
                                                      "matches (repeatable).")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only list what would be "
                                          "captured, and why each link was kept or left "
                                          "out.")] = False,
    requisites: RequisitesOption = DEFAULTS.requisites,
    max_size: MaxSizeOption = MAX_SIZE_DEFAULT,  # type: ignore[assignment]
    timeout: TimeoutOption = DEFAULTS.resource_timeout,
    retries: RetriesOption = DEFAULTS.retries,
    insecure: InsecureOption = not DEFAULTS.verify_tls,
    ca_file: CaFileOption = DEFAULTS.ca_file,
    allow_private: AllowPrivateOption = DEFAULTS.allow_private,
    extract: StoryExtractOption = DEFAULTS.extraction is not None,
    browser: BrowserOption = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the chain as JSON.")] = False,
) -> None:
    """Capture a story and every source it cites, as one evidence chain with a report.

    Example:  archiver story https://news.example.org/2025/water-meters -o evidence/meters

    The citations are the links of the story's own text, its figure captions, the permalinks of
    posts it embeds and its own list of sources; not its menus, footers, share bars, related
    lists, promos or topic labels (--dry-run says why each link is left out). A saved page's
    relative links resolve against its <base>, canonical URL or og:url. The package holds the
    chain in manifest.json and a report in data/report.html. Exit 0 when every citation was
    captured (a 404 is captured: it is evidence), 1 when any failed or the story itself could
    not be captured. Links to private, loopback, link-local and reserved addresses are refused
    (failed citations, with the reason) unless --allow-private is given. With --browser the
    story and its cited pages are loaded in Chromium, and the citations are read from the
    story as rendered.
    """
    import re
    import tempfile

    from archiver.story.build import StoryOptions, create_story_package, plan_story

    _refuse_missing(([] if story_input else ["the story (its URL or a draft file)"])
                    + ([] if output or dry_run else ["the new package's path (-o PKG, or "
                                                     "--dry-run)"]))
    assert story_input is not None
    _refuse_mistyped_story(story_input)
    for pattern in [*(include or []), *(exclude or [])]:
        try:
            re.compile(pattern)
        except re.error as error:
            _fail(f"--include/--exclude {pattern!r}: not a regular expression ({error})",
                  EXIT_USAGE)
    options = StoryOptions(
        citations_from=read_url_list(citations_from) if citations_from else None,
        include=include or [], exclude=exclude or [])
    settings = _capture_settings(requisites=requisites, max_size=max_size, timeout=timeout,
                                 retries=retries, insecure=insecure, ca_file=ca_file,
                                 allow_private=allow_private, extract=extract,
                                 browser=_browser_settings() if browser else None)
    if dry_run:
        with tempfile.TemporaryDirectory(prefix="archiver-dry-run-") as scratch:
            plan = plan_story(story_input, settings=settings, options=options,
                              scratch=Path(scratch) / "story")
        if as_json:
            _emit_json(plan.to_dict())
        else:
            show(render_plan(plan))
        raise typer.Exit(EXIT_OK)
    assert output is not None
    _sweep_beside(output)
    with progress_bar("capturing the story") as progress:
        result = create_story_package(story_input, output, settings=settings,
                                      options=options, progress=progress)
    if as_json:
        _emit_json(result.to_dict())
    else:
        show(render_story(result))
    raise typer.Exit(EXIT_OK if result.is_complete else EXIT_PROBLEM)


@app.command()
@reported
def verify(
    paths: Annotated[list[Path], typer.Argument(help="Packages, WARC, WACZ or ARC files to "
                                                "check.", show_default=False)],
    strict: Annotated[bool, typer.Option("--strict", help="Fail on anything no digest covers "
                                         "whole: records without a digest, payloads whose "
                                         "headers no digest covers, ARC files.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the reports as JSON.")] = False,
) -> None:
    """Re-check packages, WARCs, WACZs or ARC files: every file and record digest, the manifest.

    Example:  archiver verify evidence/story1 other-tool-crawl.warc.gz story1.wacz

    The verdict says what the digests covered: records verified whole; payloads verified
    whose HTTP headers no digest covers; records that carry no digest of their own
    (warcinfo, request, metadata and revisit records, listed, not failed). A response or
    resource record that no digest covers cannot be verified. ARC files have no digests:
    their structure is checked and said to be sound, their content cannot be verified.
    Exit 0 when everything is intact (or an ARC file's structure sound), 1 when anything
    is damaged or cannot be verified (with --strict: anything no digest covers whole),
    2 when a path is not a package, a WARC, a WACZ or an ARC file. Every path is checked
    before exiting.
    """
    from archiver.verification import check

    reports: list[VerificationReport] = []
    worst = EXIT_OK
    with progress_bar("verifying") as progress:
        for path in paths:
            try:
                report = check(path, progress=_bytes_progress(progress, path), strict=strict)
            except ArchiverError as error:
                show_error(str(error))
                worst = max(worst, exit_code_for(error))
                continue
            reports.append(report)
            worst = max(worst, EXIT_OK if report.is_valid else EXIT_PROBLEM)
    if as_json:
        _emit_json([report.to_dict() for report in reports])
    else:
        for report in reports:
            show(render_verification(report))
    raise typer.Exit(worst)


def _bytes_progress(progress: Progress | None, path: Path) -> ByteProgress | None:
    if progress is None:
        return None
    return lambda done, total: progress(done, total, str(path))


@app.command()
@reported
def extract(
    paths: Annotated[list[Path], typer.Argument(help="Packages, WARC or ARC files (from any "
                                                "tool), WACZ files, or HTML, PDF, text, CSV, "
                                                "JSON and XML files.",
                                                show_default=False)],
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Also write one .json "
                                                "and one .txt per document into this new "
                                                "directory.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print every extraction as JSON "
                                          "(schemas/extraction.schema.json).")] = False,
    text: Annotated[bool, typer.Option("--text", help="Print the main text of each "
                                       "document.")] = False,
    visible_text: Annotated[bool, typer.Option("--visible-text", help="Print all the text a "
                                               "reader of each page sees (menus, captions, "
                                               "asides too), not only its main text.")] = False,
) -> None:
    """Extract the text and metadata of pages, PDF reports and data files.

    Example:  archiver extract evidence/story1 --text

    Reads packages (never changing them), WARC and ARC files made by any tool, WACZ files
    (streamed from the zip, never unpacked), and loose HTML, PDF, plain-text, CSV, JSON or
    XML files. --text prints each document's main text; --visible-text all the text a
    reader of a page sees (for finding a quote outside the article); --json gives both.
    Exit 0 when every document was read, 1 when any could not be or a file is damaged
    (each reason is printed, with the record and offset), 2 when a path is none of these.
    """
    from archiver.extract.api import extract as extract_from
    from archiver.extract.document import ExtractionSummary
    from archiver.extract.files import ExtractionWriter

    writer = ExtractionWriter(output) if output is not None else None
    summaries: list[ExtractionSummary] = []
    worst = EXIT_OK
    opened = 0
    if as_json:
        show("[")
    with progress_bar("extracting") as progress:
        for path in paths:
            try:
                run = extract_from(path)
            except ArchiverError as error:
                show_error(str(error))
                worst = max(worst, exit_code_for(error))
                continue
            opened += 1
            for extraction in run:
                if writer is not None:
                    writer.write(extraction)
                if as_json:
                    show_json(("," if summaries else "") + extraction.to_json().decode())
                elif text or visible_text:
                    show(render_text(extraction, visible=visible_text))
                    # Without the table, what got in the way (a partial read) still goes
                    # to stderr, so the text is never taken for the whole document.
                    for problem in render_problems(extraction):
                        show_error(problem)
                summaries.append(extraction.summary())
                if progress is not None:
                    progress(len(summaries), 0, extraction.source.url or str(path))
                if extraction.outcome == "failed":
                    worst = max(worst, EXIT_PROBLEM)
            for problem in run.problems:
                show_error(problem)
                worst = max(worst, EXIT_PROBLEM)
    if as_json:
        show("]")
    elif not (text or visible_text) and opened:  # nothing read: the error lines say why
        show(render_extractions(summaries, output))
    raise typer.Exit(worst)


@app.command()
@reported
def export(
    package: Annotated[Path, typer.Argument(help="The package to export.", show_default=False)],
    wacz: Annotated[Path | None, typer.Option("--wacz", help="Write a WACZ file (for "
                                              "ReplayWeb.page, pywb) here; must not exist.",
                                              show_default=False)] = None,
    zip_file: Annotated[Path | None, typer.Option("--zip", help="Write the bag as one zip "
                                                  "file (for mail or upload) here; must not "
                                                  "exist.", show_default=False)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Export a package as a WACZ file or as one zip file, after verifying it.

    Example:  archiver export evidence/story1 --wacz story1.wacz

    The WACZ holds the WARCs, a CDXJ index, the sources as pages, manifest.json and the
    extracted text; `archiver verify story1.wacz` checks it. The zip unpacks to the bag
    itself. Exit 0 when written, 1 when the package is damaged (nothing is written),
    2 when an output exists or the path is not a package.
    """
    from archiver.transfer import ExportResult, export_wacz, export_zip

    if wacz is None and zip_file is None:
        _fail("nothing to export to: give --wacz OUT.wacz or --zip OUT.zip", EXIT_USAGE)
    results: list[ExportResult] = []
    for out in (wacz, zip_file):
        if out is not None:
            _sweep_beside(out)
    with progress_bar("exporting") as progress:
        try:
            if wacz is not None:
                results.append(export_wacz(package, wacz, progress=progress))
            if zip_file is not None:
                results.append(export_zip(package, zip_file, progress=progress))
        except VerificationFailed as error:
            for line in render_refusal(error):
                show(line, err=True)
            _fail(f"{error}; not exported", EXIT_PROBLEM)
    if as_json:
        _emit_json([result.to_dict() for result in results])
    else:
        for result in results:
            show(render_export(result))
    raise typer.Exit(EXIT_OK)


@app.command()
@reported
def replay(
    path: Annotated[Path, typer.Argument(help="A package, a WARC or ARC file, or a WACZ.",
                                         show_default=False)],
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="Port on 127.0.0.1 "
                                      "(0: any free port).")] = 0,
) -> None:
    """Serve captured pages and reports on 127.0.0.1, as they were captured.

    Example:  archiver replay evidence/story1 --port 8080

    Prints the address of an index of every captured page and report. Nothing is fetched
    from the live web: what was not captured shows as "Not archived" (HTTP 404), and every
    response keeps the browser on the replay server (the README says what no browser policy
    can stop). A record that cannot be replayed (no target URI, a bad date, a damaged member...) is
    named on stderr and left out; the rest is served, and the exit code is 1. Nothing
    replayable at all is a usage error (exit 2). Runs until Ctrl-C (exit 0, or 1 when
    records were skipped). Replay runs pywb in an environment of its own, which the first
    replay sets up under ~/.cache/archiver (a minute or two, once; it needs the package
    index); set ARCHIVER_PYWB_PYTHON to use your own. Exit 3 when pywb cannot be had.
    """
    from archiver.replay import start_replay

    with start_replay(path, port=port, notify=show_error) as server:
        try:  # Ctrl-C may come as soon as the address shows
            for line in server.skipped.lines():
                show_error(line)
            show(f"Replaying {path}: {len(server.entries)} page(s) and report(s).")
            show(f"Open {server.url}  (Ctrl-C to stop)")
            code = server.wait()
        except KeyboardInterrupt:
            raise typer.Exit(EXIT_PROBLEM if server.skipped.total else EXIT_OK) from None
    _fail(f"the replay engine stopped on its own (exit {code})", EXIT_COULD_NOT_RUN)


@app.command()
@reported
def demo(
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Where to write the "
                                                "package (default: ./archiver-demo-<time>).")]
    = None,
) -> None:
    """Run the whole workflow on the bundled sample story, offline, on 127.0.0.1.

    Example:  archiver demo

    Serves the sample story and its sources on 127.0.0.1, runs the story workflow on it (the
    story, every source it cites, text extraction, the report), verifies the package and says
    where the report is. Exit 0 when the package verifies.
    """
    from archiver.demo import default_output, run_demo

    target = output or default_output()
    _sweep_beside(target)
    with progress_bar("capturing the sample") as progress:
        result = run_demo(target, progress=progress)
    show(render_story(result.story))
    show("")
    show(render_verification(result.verification))
    raise typer.Exit(EXIT_OK if result.is_ok else EXIT_PROBLEM)


def _version(value: bool) -> None:
    if value:
        show(f"archiver {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Show the version and exit.")] = False,
) -> None:
    """Keep the evidence behind a story."""


def main() -> None:
    """Console-script entry point."""
    try:
        app(prog_name="archiver")
    except OutputClosed:
        _end_as_unix_tools_do()


def _end_as_unix_tools_do() -> NoReturn:
    """End the way a Unix tool ends when its reader goes: by SIGPIPE, with no word (the shell
    sees 141, `subprocess` -13). Python ignores SIGPIPE so that a socket write can fail
    with an error rather than kill a capture; here, everything unwound, it is let act."""
    devnull = os.open(os.devnull, os.O_WRONLY)  # no flush at exit may fail on the pipe again
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    if hasattr(signal, "SIGPIPE"):
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGPIPE)
    os._exit(EXIT_COULD_NOT_RUN)  # no SIGPIPE (Windows): an exit code of the contract


if __name__ == "__main__":  # pragma: no cover
    main()
