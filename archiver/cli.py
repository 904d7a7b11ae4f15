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

import contextlib
import functools
import json
import os
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, ParamSpec, Protocol

import typer

from archiver import __version__
from archiver.cluster.url_stream import BATCH_SIZE
from archiver.errors import (
    ArchiverError,
    ArchiverUsageError,
    CaptureError,
    EnvironmentFault,
    EvidenceError,
    InputNotFoundError,
    VerificationFailed,
)
from archiver.rendering import (
    capture_summary,
    render_capture,
    render_export,
    render_export_notes,
    render_extractions,
    render_index,
    render_plan,
    render_problems,
    render_quote,
    render_refusal,
    render_search,
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
from archiver.storage.locations import is_storage_url, local_path
from archiver.storage.targets import check_target, input_target, output_target
from archiver.terminal import OutputClosed, progress_bar, show, show_error, show_json

if TYPE_CHECKING:
    from archiver._types import ByteProgress, Progress
    from archiver.attestation.keys import SigningKey
    from archiver.attestation.sealing import Signer
    from archiver.attestation.timestamping import TimestampOutcome
    from archiver.attestation.trust import TrustList
    from archiver.attestation.tsa_client import TsaTimestamper
    from archiver.config import UserConfig
    from archiver.extract.document import Extraction
    from archiver.package.provenance import Operator
    from archiver.recheck.verdicts import RecheckOptions
    from archiver.storage.targets import Target
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
BROWSER_DEFAULTS = BrowserSettings()
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
ClusterOption = Annotated[str | None, typer.Option(
    "--cluster", metavar="ADDR", help="Run on a Dask cluster: a scheduler's address "
    "(tcp://HOST:8786), or local[:N] to start N workers on this machine (docs/cluster.md; "
    "needs archiver[cluster]).", show_default=False)]

OperatorOption = Annotated[str | None, typer.Option("--operator", metavar="NAME", help="Who "
                                                    "captures, recorded in the package "
                                                    "(default: operator in the "
                                                    "configuration).", show_default=False)]
OrganisationOption = Annotated[str | None, typer.Option("--organisation", metavar="NAME",
                                                        help="Their organisation, recorded "
                                                        "likewise (default: organisation in "
                                                        "the configuration).",
                                                        show_default=False)]


def _operator(name: str | None, organisation: str | None) -> Operator:
    """Who captures: the options, else the user's configuration (archiver/config.py)."""
    from archiver.config import load_config
    from archiver.package.provenance import Operator

    if name is not None and organisation is not None:
        return Operator(name, organisation)  # the configuration need not even be read
    config = load_config()
    return Operator(name if name is not None else config.operator,
                    organisation if organisation is not None else config.organisation)


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
BrowserOption = Annotated[bool | None, typer.Option(
    "--browser/--no-browser", show_default=False,
    help="--browser: load every page in Chromium and record everything it fetches, with a "
    "screenshot, a PDF snapshot and the rendered page (Chromium on PATH, or "
    "ARCHIVER_CHROMIUM). --no-browser: plain HTTP only. Neither (the default): plain HTTP "
    "first, then Chromium for the pages built by script; with no Chromium their HTTP "
    "capture stands, and a note names them.")]
TabsOption = Annotated[int, typer.Option(
    "--tabs", min=1, help="In Chromium: pages loaded at once, each in a tab of its own "
    "(never more than --per-host of one host).")]
TsaOption = Annotated[list[str] | None, typer.Option(
    "--tsa", metavar="URL", help="Ask this RFC 3161 timestamp authority for a timestamp of the "
    "sealed package (repeatable; default: `tsa` in the configuration; none: no timestamp).",
    show_default=False)]
DedupOption = Annotated[Path | None, typer.Option(
    "--dedup", metavar="COLLECTION", help="A collection (`archiver index`): a response whose "
    "payload it holds already is written as a WARC revisit record, not stored again (in "
    "automatic mode, each web page asked for is stored whole: docs/collections.md).",
    show_default=False)]
OutputOption = Annotated[str | None, typer.Option("-o", "--output", metavar="PKG",
                                                  help="The new package: a directory, or a "
                                                  "storage URL (s3://bucket/prefix/pkg; "
                                                  "docs/storage.md); required; must not "
                                                  "exist.", show_default=False)]


def _capture_settings(*, max_size: int | str, timeout: float, retries: int, insecure: bool,
                      ca_file: Path | None, extract: bool, **others: Any) -> CaptureSettings:
    """The settings the capture options ask for (`others` are CaptureSettings fields as they
    are named there); a --ca-file that is not there is a usage error."""
    if ca_file is not None and not ca_file.is_file():
        raise InputNotFoundError(ca_file)
    if others.get("dedup") is not None and not others["dedup"].is_file():
        raise InputNotFoundError(others["dedup"], "collection (--dedup)")
    return CaptureSettings(max_resource_bytes=int(max_size), resource_timeout=timeout,
                           retries=retries, verify_tls=not insecure, ca_file=ca_file,
                           extraction=ExtractionSettings() if extract else None, **others)


KeyOption = Annotated[Path | None, typer.Option("--key", metavar="KEY", help="Sign the new "
                                                "package with this private key (made by "
                                                "`archiver key new`; default: `key` in your "
                                                "configuration).", show_default=False)]


def _user_config() -> UserConfig:
    from archiver.config import load_config

    return load_config()


def _signing_key(path: Path) -> SigningKey:
    """The key at `path`; its passphrase from ARCHIVER_KEY_PASSPHRASE, or asked for on a
    terminal (never echoed), else a usage error that says how to give it."""

    from archiver.attestation.keys import PassphraseNeeded, load_signing_key

    try:
        return load_signing_key(path)
    except PassphraseNeeded:
        if not sys.stdin.isatty():
            raise
    passphrase = typer.prompt(f"Passphrase for {path}", hide_input=True, err=True)
    return load_signing_key(path, passphrase)


def _signer(key: Path | None, who: Operator) -> Signer:
    """Who seals a new package: the key asked for (or the configured one), loaded before
    anything is captured, so a wrong passphrase costs no capture; and who captured."""
    from archiver.attestation.sealing import Signer

    path = key or _user_config().key
    return Signer(_signing_key(path) if path is not None else None,
                  operator=who.name, organisation=who.organisation)


def _browser_settings(browser: bool | None, tabs: int, *,
                      on_workers: bool = False) -> BrowserSettings | None:
    """--browser: the default behaviours, with the Chromium found now (none: exit 3, before
    anything is written; `on_workers`, a cluster's: each worker finds its own as its batch
    starts); --no-browser: none; neither: automatic mode, whose Chromium is looked for only
    when a page turns out to be built by script (none: a note, not a failure)."""
    from archiver.capture.browser.chromium import find_chromium

    if browser is None:
        return BrowserSettings(tabs=tabs, when="script-built")
    if not browser:
        return None
    return BrowserSettings(executable=None if on_workers else find_chromium(), tabs=tabs)


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


def _emit_json(data: Any, target: Target | None = None) -> None:
    text = json.dumps(data, indent=2, ensure_ascii=False)
    show_json(target.relabel(text) if target is not None else text)


class _Reported(Protocol):
    def to_dict(self) -> dict[str, Any]: ...


def _report_and_exit(result: _Reported, as_json: bool, render: Callable[[Any], str], *,
                     ok: bool, target: Target | None = None) -> NoReturn:
    """Print a verb's result (as JSON with --json, else as `render` puts it; a local copy
    of `target` named by its URL) and exit 0 when `ok`, else 1."""
    if as_json:
        _emit_json(result.to_dict(), target)
    else:
        text = render(result)
        show(target.relabel(text) if target is not None else text)
    raise typer.Exit(EXIT_OK if ok else EXIT_PROBLEM)


def _sweep_beside(output: Path) -> None:
    """Clear away what killed runs left beside `output`, saying so in one line each."""
    from archiver.leftovers import remove_stale_partials

    for leftover in remove_stale_partials(output.parent):
        show_error(str(leftover))


def read_url_list(given: Path | str) -> list[str]:
    """URLs of a list file named by a path or a storage URL: one a line; blank lines and #
    comments are skipped (the list a cluster capture streams, read whole)."""
    from archiver.cluster.url_stream import stream_url_list

    return list(stream_url_list(given))


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
    input_file: Annotated[str | None, typer.Option("-i", "--input", metavar="FILE",
                                                   help="A file of URLs, one a line; # starts "
                                                   "a comment (a path or a storage URL).")]
    = None,
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
    key: KeyOption = None,
    tsa: TsaOption = None,
    operator: OperatorOption = None,
    organisation: OrganisationOption = None,
    browser: BrowserOption = None,
    dedup: DedupOption = None,
    tabs: TabsOption = BROWSER_DEFAULTS.tabs,
    cluster: ClusterOption = None,
    batch: Annotated[int, typer.Option("--batch", metavar="N", min=1, max=100_000,
                                       help="With --cluster: URLs a worker takes at a "
                                       "time.")] = BATCH_SIZE,
    staging: Annotated[Path | None, typer.Option(
        "--staging", metavar="DIR", help="With -o a storage URL: the folder the package is "
        "built in before its upload (default: a temporary folder on this machine). With "
        "--cluster ADDR, every worker must share it; --cluster local shares this machine's "
        "(docs/cluster.md).", show_default=False)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Capture sources into a new sealed evidence package.

    Example:  archiver capture https://example.org/report.pdf -i sources.txt -o evidence/story1

    Exit 0 when every source was captured, 1 when any failed (the package is still written,
    with each failure and its reason), 2 for a URL typed without its scheme (example.org:
    give https://example.org) or any other usage error, with nothing written. Private,
    loopback, link-local and reserved addresses (localhost, 10.0.0.0/8, 169.254.169.254...)
    are refused unless --allow-private is given. The package records its provenance: each
    site's addresses and TLS certificates, the software, and who captured (--operator).
    With --key (or `key` in the configuration) the package is signed as it is sealed
    (docs/attestations.md). With --tsa (or `tsa` in the configuration) the sealed package is
    timestamped; a TSA that fails is named with the reason (exit 1), and `archiver
    timestamp PKG` adds it later. With --browser, each page is
    loaded in Chromium (exit 3 when there is none) and its text is read from the page as
    rendered; with --no-browser none is; by default each page is fetched over plain HTTP
    and then loaded in Chromium if it turns out to be built by script (with no Chromium the
    HTTP capture stands, a note names those pages, and the exit code is as without them).
    With --cluster, workers of a Dask cluster fetch the URLs in batches, the per-host limit
    held across all of them, and this machine seals the one package into a folder the
    workers share (for -o a storage URL: built in --staging DIR, then uploaded); the list
    is read as the work goes, from a path or a storage URL (docs/cluster.md). A worker
    loads pages in its own Chromium (--browser, and by default those built by script).
    Exit 3 when the cluster cannot be reached, Dask is not installed, or a worker has no
    Chromium for --browser.
    """
    from archiver.package.build import create_package

    _refuse_missing(([] if urls or input_file else ["the URLs to capture (URLs or -i FILE)"])
                    + ([] if output else ["the new package's path (-o PKG)"]))
    assert output is not None
    _refuse_mistyped_urls(list(urls or []))
    tsa_urls = _tsa_urls(tsa)
    scratch_in = _staging_folder(staging, output, cluster)
    if cluster is not None:
        streamed = _streamed_urls(list(urls or []), input_file)
    wanted = [] if cluster is not None else (
        list(urls or []) + (read_url_list(input_file) if input_file else []))
    if cluster is None and not wanted:
        _fail(f"{input_file}: no URLs in it (one a line; # starts a comment)", EXIT_USAGE)
    settings = _capture_settings(
        requisites=requisites, max_size=max_size, timeout=timeout, read_timeout=read_timeout,
        connect_timeout=connect_timeout, retries=retries, per_host=per_host,
        concurrency=concurrency, insecure=insecure, ca_file=ca_file,
        allow_private=allow_private, warc_max_bytes=warc_size, extract=extract,
        browser=_browser_settings(browser, tabs, on_workers=cluster is not None),
        dedup=dedup)
    who = _operator(operator, organisation)
    signer = _signer(key, who)
    if cluster is not None:
        _capture_on_cluster(cluster, streamed, output, settings, who, signer, tsa_urls,
                            as_json, batch, scratch_in)
    with output_target(output, scratch_in=scratch_in) as target:
        _sweep_beside(target.local)
        with progress_bar("capturing") as progress:
            result = create_package(wanted, target.local, settings=settings,
                                    progress=progress, operator=who, signer=signer)
        stamps = _timestamp_new(target.local, tsa_urls)
    if as_json:
        _emit_json(capture_summary(result) | _stamps_json(stamps, tsa_urls), target)
    else:
        show(target.relabel(render_capture(result)))
        _show_stamps(stamps, output)
    raise typer.Exit(EXIT_OK if result.is_complete and _all_ok(stamps) else EXIT_PROBLEM)


def _streamed_urls(urls: list[str], input_file: str | None) -> Iterator[str]:
    """The URLs typed, then those of the list file (a path or a storage URL), read as the
    capture goes (a cluster capture never holds the list whole). An empty list is a usage
    error, found before anything is written."""
    import itertools

    from archiver.cluster.url_stream import stream_url_list

    listed = stream_url_list(input_file) if input_file else iter(())
    first = next(listed, None)
    if not urls and first is None:
        _fail(f"{input_file}: no URLs in it (one a line; # starts a comment)", EXIT_USAGE)
    return itertools.chain(urls, [first] if first is not None else [], listed)


def _staging_folder(staging: Path | None, output: str, cluster: str | None) -> Path | None:
    """Where a package for -o a storage URL is built before its upload: --staging, or the
    system's temporary folder, which a remote cluster's workers do not see (so there it
    must be given: a usage error before any work)."""
    if staging is None:
        if cluster is not None and is_storage_url(output):
            from archiver.cluster.connect import local_workers

            if local_workers(cluster) is None:
                _fail(f"-o {output} with --cluster {cluster}: the package is built in a "
                      "folder every worker shares, then uploaded; give that folder with "
                      "--staging DIR (docs/cluster.md)", EXIT_USAGE)
        return None
    if not is_storage_url(output):
        _fail(f"--staging is for -o a storage URL (built there, then uploaded); -o {output} "
              "is built in place", EXIT_USAGE)
    if not staging.is_dir():
        _fail(f"--staging {staging}: no such folder", EXIT_USAGE)
    return staging.resolve()


def _capture_on_cluster(address: str, urls: Iterator[str], output: str,
                        settings: CaptureSettings, who: Operator, signer: Signer,
                        tsa_urls: list[str], as_json: bool, batch: int,
                        scratch_in: Path | None) -> NoReturn:
    """A capture on the cluster into `output`; for a storage URL, built in a scratch folder
    in `scratch_in` (which the workers share) and uploaded, its completion marker last."""
    from archiver.cluster.capture_driver import create_package_on_cluster
    from archiver.cluster.connect import cluster_client
    from archiver.rendering import cluster_capture_summary, render_cluster_capture

    with output_target(output, scratch_in=scratch_in) as target:
        _sweep_beside(target.local)
        with cluster_client(address) as client, progress_bar("capturing") as progress:
            result = create_package_on_cluster(client, urls, target.local, settings=settings,
                                               progress=progress, operator=who,
                                               signer=signer, batch_size=batch)
        stamps = _timestamp_new(target.local, tsa_urls)
    if as_json:
        _emit_json(cluster_capture_summary(result) | _stamps_json(stamps, tsa_urls), target)
    else:
        show(target.relabel(render_cluster_capture(result)))
        _show_stamps(stamps, output)
    raise typer.Exit(EXIT_OK if result.is_complete and _all_ok(stamps) else EXIT_PROBLEM)


@app.command()
@reported
def story(
    story_input: Annotated[str | None, typer.Argument(metavar="STORY", help="The story's URL, "
                                                      "or a local draft (HTML, Markdown or "
                                                      "text file); required.",
                                                      show_default=False)]
    = None,
    output: Annotated[str | None, typer.Option("-o", "--output", metavar="PKG",
                                               help="The new package: a directory, or a "
                                               "storage URL (s3://bucket/prefix/pkg); "
                                               "required unless --dry-run; must not exist.",
                                               show_default=False)] = None,
    citations_from: Annotated[str | None, typer.Option("--citations-from", help="Capture the "
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
    key: KeyOption = None,
    tsa: TsaOption = None,
    operator: OperatorOption = None,
    organisation: OrganisationOption = None,
    browser: BrowserOption = None,
    dedup: DedupOption = None,
    tabs: TabsOption = BROWSER_DEFAULTS.tabs,
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
    (failed citations, with the reason) unless --allow-private is given. The report and
    manifest.json give the provenance: each site's addresses and TLS certificates, the
    software, and who captured (--operator). With --key (or `key` in the configuration) the
    package is signed as it is sealed. With --browser the story and its
    cited pages are loaded in Chromium, and the citations are read from the story as
    rendered; with --no-browser none is; by default a page goes through Chromium only when
    its plain HTTP capture turns out to be built by script (docs/browser.md).
    """
    import re
    import tempfile

    from archiver.story.build import StoryOptions, create_story_package, plan_story

    _refuse_missing(([] if story_input else ["the story (its URL or a draft file)"])
                    + ([] if output or dry_run else ["the new package's path (-o PKG, or "
                                                     "--dry-run)"]))
    assert story_input is not None
    _refuse_mistyped_story(story_input)
    tsa_urls = [] if dry_run else _tsa_urls(tsa)
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
                                 browser=_browser_settings(browser, tabs),
                                 dedup=dedup)
    if dry_run:
        with tempfile.TemporaryDirectory(prefix="archiver-dry-run-") as scratch:
            plan = plan_story(story_input, settings=settings, options=options,
                              scratch=Path(scratch) / "story")
        _report_and_exit(plan, as_json, render_plan, ok=True)
    assert output is not None
    who = _operator(operator, organisation)
    signer = _signer(key, who)
    with output_target(output) as target, input_target(story_input) as draft:
        _sweep_beside(target.local)
        story_from = str(draft.local) if draft.is_remote else story_input
        with progress_bar("capturing the story") as progress:
            result = create_story_package(story_from, target.local, settings=settings,
                                          options=options, progress=progress, operator=who,
                                          signer=signer)
        stamps = _timestamp_new(target.local, tsa_urls)
    if as_json:
        _emit_json(result.to_dict() | _stamps_json(stamps, tsa_urls), target)
    else:
        show(target.relabel(render_story(result)))
        _show_stamps(stamps, output)
    raise typer.Exit(EXIT_OK if result.is_complete and _all_ok(stamps) else EXIT_PROBLEM)


@app.command()
@reported
def recheck(
    path: Annotated[str, typer.Argument(metavar="PKG|DIR", help="A sealed package (a folder "
                                        "or a storage URL), or a directory of packages.",
                                        show_default=False)],
    output: Annotated[str | None, typer.Option("-o", "--output", help="The new package (for "
                                                "a directory: a directory for the new "
                                                "packages, one per package, by its name); "
                                                "required.", show_default=False)] = None,
    ignore_moved: Annotated[bool, typer.Option("--ignore-moved", help="A source that now "
                                               "redirects elsewhere is no problem.")] = False,
    ignore_gone: Annotated[bool, typer.Option("--ignore-gone", help="A source now gone (404, "
                                              "410, no such host, refused) is no "
                                              "problem.")] = False,
    ignore_walled: Annotated[bool, typer.Option("--ignore-walled", help="A source now behind "
                                                "a paywall, login or consent wall is no "
                                                "problem.")] = False,
    exact: Annotated[bool, typer.Option("--exact", help="Count any new bytes as a change, "
                                        "even when the text is the same (markup only).")]
    = False,
    min_change: Annotated[float, typer.Option("--min-change", min=0.0, max=1.0, metavar="SHARE",
                                              help="Count a change of text only from this "
                                              "share of its words (0.05: 5%), unless the "
                                              "title, dates or authors changed.")] = 0.0,
    key: KeyOption = None,
    tsa: TsaOption = None,
    operator: OperatorOption = None,
    organisation: OrganisationOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the whole comparison as JSON "
                                          "(schemas/recheck.schema.json).")] = False,
) -> None:
    """Fetch a package's sources again and say what changed since: a new sealed package.

    Example:  archiver recheck evidence/meters -o evidence/meters-r1

    The original is verified first; each source is fetched again with the settings it
    records (through Chromium if it was captured so) into a new package that names the
    original (its id and its tag manifest's SHA-256) and holds data/recheck.html, a
    side-by-side view of each changed source. Each source is unchanged (the same bytes, or the same
    text when only markup moved), changed, moved, gone, walled or error (docs/recheck.md).
    Given a directory, each package in it is rechecked into -o DIR/<its name>, and one
    table sums them up. Exit 0 when nothing changed, 1 when any source changed, moved, went
    or was walled (the flags say what counts) or a package is damaged, 2 for a usage error,
    3 when it could not run.
    """
    from archiver.recheck.run import is_package
    from archiver.recheck.verdicts import RecheckOptions

    _refuse_missing([] if output else ["the new package's path (-o NEW)"])
    assert output is not None
    options = RecheckOptions(ignore_moved=ignore_moved, ignore_gone=ignore_gone,
                             ignore_walled=ignore_walled, exact=exact, min_change=min_change)
    tsa_urls = _tsa_urls(tsa)
    who = _operator(operator, organisation)
    signer = _signer(key, who)
    if is_storage_url(path) or not local_path(path).is_dir() or is_package(local_path(path)):
        _recheck_one(path, output, options, tsa_urls, who, signer, as_json=as_json)
    if is_storage_url(output):
        _fail(f"{output}: a directory of packages is rechecked into a local folder; "
              "recheck one package at a time to write to storage", EXIT_USAGE)
    _recheck_directory(local_path(path), local_path(output), options, tsa_urls, who, signer,
                       as_json=as_json)


def _recheck_one(path: str, output: str, options: RecheckOptions, tsa_urls: list[str],
                 who: Operator, signer: Signer, *, as_json: bool) -> NoReturn:
    from archiver.recheck.report import render_recheck
    from archiver.recheck.run import recheck_package

    with input_target(path) as source, output_target(output) as target:
        _sweep_beside(target.local)
        with progress_bar("rechecking") as progress:
            try:
                result = recheck_package(source.local, target.local, options=options,
                                         progress=progress, operator=who, signer=signer)
            except VerificationFailed as error:
                for line in render_refusal(error):
                    show(source.relabel(line), err=True)
                _fail(source.relabel(f"{error}; not rechecked: a damaged package is no "
                                     "measure"), EXIT_PROBLEM)
        stamps = _timestamp_new(target.local, tsa_urls)
        if as_json:  # the whole comparison: data/recheck.json, and where the package is
            whole = result.report_json.read_text("utf-8").rstrip().removesuffix("}")
            more = {"output": output} | _stamps_json(stamps, tsa_urls)
            show_json(whole + "".join(f", {json.dumps(key)}: {json.dumps(value)}"
                                      for key, value in more.items()) + "}")
        else:
            show(target.relabel(source.relabel(render_recheck(result))))
            _show_stamps(stamps, target.local)
    raise typer.Exit(EXIT_OK if result.is_unchanged and _all_ok(stamps) else EXIT_PROBLEM)


def _recheck_directory(path: Path, output: Path, options: RecheckOptions,
                       tsa_urls: list[str], who: Operator, signer: Signer, *,
                       as_json: bool) -> NoReturn:
    from archiver.recheck.report import render_directory
    from archiver.recheck.run import DirectoryEntry, recheck_directory

    _sweep_beside(output)
    if output.is_dir():  # what killed rechecks left inside it
        from archiver.leftovers import remove_stale_partials

        for leftover in remove_stale_partials(output):
            show_error(str(leftover))
    entries: list[DirectoryEntry] = []
    worst = EXIT_OK
    with progress_bar("rechecking") as progress:
        for entry in recheck_directory(path, output, options=options, progress=progress,
                                       operator=who, signer=signer):
            entries.append(entry)
            if entry.result is None:
                assert entry.error is not None
                show_error(f"{entry.error}; not rechecked")
                worst = max(worst, exit_code_for(entry.error))
                continue
            stamps = _timestamp_new(entry.result.path, tsa_urls)
            _show_stamps(stamps, entry.result.path)
            ok = entry.result.is_unchanged and _all_ok(stamps)
            worst = max(worst, EXIT_OK if ok else EXIT_PROBLEM)
    if as_json:
        _emit_json({"packages": [entry.to_dict() for entry in entries]})
    else:
        show(render_directory(entries))
    raise typer.Exit(worst)


def _tsa_urls(given: list[str] | None) -> list[str]:
    """The TSAs to ask: those given, else those configured; each checked before any work."""
    from archiver.config import load_config

    urls = list(given) if given else list(load_config().tsa)
    if urls:  # the TSA client (ASN.1, X.509) is loaded only when a TSA will be asked
        from archiver.attestation.tsa_client import check_tsa_url

        for url in urls:
            check_tsa_url(url)
    return urls


def _timestamp_new(package: Path, tsa_urls: list[str]) -> list[TimestampOutcome]:
    """Timestamps for a package just sealed (none when no TSA is given or configured)."""
    if not tsa_urls:
        return []
    from archiver.attestation.timestamping import timestamp_package

    return timestamp_package(package, tsa_urls)


def _all_ok(stamps: list[TimestampOutcome]) -> bool:
    return all(stamp.ok for stamp in stamps)


def _stamps_json(stamps: list[TimestampOutcome], tsa_urls: list[str]) -> dict[str, Any]:
    return {"timestamps": [stamp.to_dict() for stamp in stamps]} if tsa_urls else {}


def _show_stamps(stamps: list[TimestampOutcome], package: Path | str) -> None:
    import shlex

    for stamp in stamps:
        if stamp.ok:
            show(str(stamp))
        else:
            show_error(f"{stamp}; add it later with `archiver timestamp "
                       f"{shlex.quote(str(package))}`")


NO_TSA_HELP = ("no timestamp authority: give one with --tsa URL (repeatable), or list them in "
               "the configuration ({path}): tsa = [\"http://timestamp.digicert.com\", "
               "\"https://freetsa.org/tsr\"] (docs/timestamps.md lists well-known public TSAs)")


@app.command()
@reported
def timestamp(
    package: Annotated[str, typer.Argument(help="The sealed package to timestamp.",
                                           show_default=False)],
    tsa: TsaOption = None,
    tsa_timeout: Annotated[float, typer.Option("--tsa-timeout", min=0.1, help="Seconds "
                                               "allowed for each TSA to answer.")] = 20.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Add RFC 3161 timestamps to a sealed package, from one or more timestamp authorities.

    Example:  archiver timestamp evidence/story1 --tsa http://timestamp.digicert.com

    The first timestamp stamps the package's signature (or its tag manifest when it is not
    signed). On a package stamped before, it renews: it writes a list of the SHA-256 of every
    attestation file (attestations/timestamps/renewal-NN.txt) and stamps that, so the package
    stays provable after a TSA's certificate expires. Each TSA's reply is kept whole as a .tsr
    file; `openssl ts -verify` checks it without archiver (docs/timestamps.md). Without --tsa,
    the configuration's `tsa` list is used. Exit 0 when every TSA gave a timestamp, 1 when any
    did not (each named with the reason; nothing half-written), 2 for no TSA or a path that is
    not a sealed package.
    """
    from archiver.attestation.timestamping import timestamp_package
    from archiver.config import config_path

    folder = _local_package(package, "timestamped")
    tsa_urls = _tsa_urls(tsa)
    if not tsa_urls:
        _fail(NO_TSA_HELP.format(path=config_path()), EXIT_USAGE)
    stamps = timestamp_package(folder, tsa_urls, timeout=tsa_timeout)
    if as_json:
        _emit_json([stamp.to_dict() for stamp in stamps])
    else:
        _show_stamps(stamps, folder)
    raise typer.Exit(EXIT_OK if _all_ok(stamps) else EXIT_PROBLEM)


@app.command()
@reported
def verify(
    paths: Annotated[list[str], typer.Argument(help="Packages, WARC, WACZ or ARC files to "
                                               "check: paths, or storage URLs "
                                               "(s3://bucket/prefix/pkg).",
                                               show_default=False)],
    strict: Annotated[bool, typer.Option("--strict", help="Fail on anything no digest covers "
                                         "whole: records without a digest, payloads whose "
                                         "headers no digest covers, ARC files.")] = False,
    trust: Annotated[list[Path] | None, typer.Option("--trust", metavar="PEM", help="Also "
                                                     "trust the signers' public keys and TSA "
                                                     "roots in this PEM file (repeatable).",
                                                     show_default=False)] = None,
    require_signature: Annotated[bool, typer.Option("--require-signature", help="Fail a "
                                                    "package that no trusted key has "
                                                    "signed.")] = False,
    record: Annotated[bool, typer.Option("--record", help="Add a `verified` entry to each "
                                         "package's custody log (verify writes nothing "
                                         "otherwise).")] = False,
    cluster: ClusterOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the reports as JSON.")] = False,
) -> None:
    """Re-check packages, WARCs, WACZs or ARC files: every file and record digest, the manifest.

    Example:  archiver verify evidence/story1 other-tool-crawl.warc.gz story1.wacz

    The verdict says what the digests covered: records verified whole; payloads verified
    whose HTTP headers no digest covers; records that carry no digest of their own
    (warcinfo, request, metadata and revisit records, listed, not failed). A response or
    resource record that no digest covers cannot be verified. ARC files have no digests:
    their structure is checked and said to be sound, their content cannot be verified.
    A package's signatures, timestamps and custody log are checked too: a proof line
    says who signed it and when, and whether it is unchanged
    since; signers' keys are trusted when given with --trust, named by `trust` in the
    configuration, or made on this machine by `archiver key new`. An unsigned package is
    said to be unsigned (its checksums prove nothing against someone who rebuilds them),
    and fails only with --require-signature.
    Exit 0 when everything is intact (or an ARC file's structure sound), 1 when anything
    is damaged or cannot be verified (with --strict: anything no digest covers whole), when
    a signature, timestamp or custody entry fails or is by a key or authority you do not
    trust, 2 when a path is not a package, a WARC, a WACZ or an ARC file, or a --trust
    file cannot be used. Every path is checked before exiting. A path may be a storage URL
    (s3://bucket/prefix/pkg): a package there is complete only with its completion marker,
    written last by its upload (docs/storage.md); without it, it is incomplete (exit 1).
    With --cluster, the paths are checked on the workers of a Dask cluster (on storage they
    share, or storage URLs each worker reads itself), one report at the end
    (docs/cluster.md).
    """
    from archiver.verification.attestation_problems import ProofOptions

    trusted = _trust_list(trust or [])
    proof = ProofOptions(trust=trusted, require_signature=require_signature)
    # A WACZ's signature is judged against the trust list when one is named (see
    # verification/wacz_signature.py); a package's always.
    wacz_trust = trusted() if trust else None
    reports: list[VerificationReport] = []
    worst = EXIT_OK
    if cluster is not None:
        checked, worst = _verify_on_cluster(cluster, [_on_cluster(path) for path in paths],
                                            strict=strict, trust=trust or [],
                                            require_signature=require_signature)
        reports = [report for _, report in checked]
        for given, report in checked if record else []:
            _record_checked(given, report)
    with progress_bar("verifying") as progress:
        for path in paths if cluster is None else []:
            try:
                report = check_target(path, progress=_bytes_progress(progress, path),
                                      strict=strict, trust=wacz_trust, proof=proof)
            except ArchiverError as error:
                show_error(str(error))
                worst = max(worst, exit_code_for(error))
                continue
            reports.append(report)
            worst = max(worst, EXIT_OK if report.is_valid else EXIT_PROBLEM)
            if record:
                _record_checked(path, report)
    if as_json:
        _emit_json([report.to_dict() for report in reports])
    else:
        for report in reports:
            show(render_verification(report))
    raise typer.Exit(worst)


def _on_cluster(given: str) -> str:
    """A path or storage URL as the workers take it: a storage URL as given (each worker
    reaches the storage itself), a path (file:// too) as a path."""
    return given if is_storage_url(given) else str(local_path(given))


def _record_checked(given: str, report: VerificationReport) -> None:
    """verify --record: a package's `verified` custody entry; for one on object storage, a
    warning that none is written."""
    if report.kind != "package":
        return
    if is_storage_url(given):
        show_error(f"warning: {given}: not recorded in its custody log: archiver never "
                   "writes into a package on object storage once it is sealed")
    else:
        _record_verification(local_path(given), report)


def _verify_on_cluster(address: str, paths: list[str], *, strict: bool, trust: list[Path],
                       require_signature: bool
                       ) -> tuple[list[tuple[str, VerificationReport]], int]:
    """Each path that could be read with its report, in order; the worst exit code."""
    from archiver.cluster.connect import cluster_client
    from archiver.cluster.spread import verify_on_cluster

    reports = []
    worst = EXIT_OK
    with cluster_client(address) as client, progress_bar("verifying") as progress:
        for done in verify_on_cluster(client, paths, strict=strict, trust_files=trust,
                                      require_signature=require_signature, progress=progress):
            if done.error is not None:
                show_error(done.error.message)
                worst = max(worst, _ERROR_KIND_EXIT[done.error.kind])
                continue
            assert done.report is not None
            reports.append((done.path, done.report))
            worst = max(worst, EXIT_OK if done.report.is_valid else EXIT_PROBLEM)
    return reports, worst


_ERROR_KIND_EXIT = {"usage": EXIT_USAGE, "evidence": EXIT_PROBLEM,
                    "environment": EXIT_COULD_NOT_RUN}


def _trust_list(paths: list[Path]) -> Callable[[], TrustList]:
    """This machine's trust list plus `paths`: the files named are read now (a bad one is a
    usage error before anything is checked); the configuration's, when first needed. The
    X.509 library is loaded only then: verifying an unsigned package never needs it."""
    if paths:
        from archiver.attestation.trust import load_trust

        load_trust(paths, with_defaults=False)

    def machine_and_named() -> TrustList:
        from archiver.attestation.trust import user_trust

        return user_trust(paths)

    return functools.cache(machine_and_named)


def _record_verification(path: Path, report: VerificationReport) -> None:
    """The `verified` custody entry; a warning, never a failure, when it cannot be added."""
    from archiver.attestation.custody import record_event

    config = _user_config()
    attestations = report.attestations
    details: dict[str, Any] = {"verdict": report.verdict, "valid": report.is_valid,
                               "problems": report.problem_count,
                               "signed": attestations is not None and attestations.is_signed}
    if attestations is not None and attestations.tag_manifest_sha256 is not None:
        details["tag_manifest_sha256"] = attestations.tag_manifest_sha256
    _, warning = record_event(path, "verified", details=details, operator=config.operator,
                              organisation=config.organisation)
    if warning:
        show_error(f"warning: {warning}")


def _bytes_progress(progress: Progress | None, path: str) -> ByteProgress | None:
    if progress is None:
        return None
    return lambda done, total: progress(done, total, path)


@app.command()
@reported
def extract(
    paths: Annotated[list[str], typer.Argument(help="Packages, WARC or ARC files (from any "
                                               "tool), WACZ files, or HTML, PDF, text, CSV, "
                                               "JSON and XML files: paths, or storage URLs.",
                                               show_default=False)],
    output: Annotated[str | None, typer.Option("-o", "--output", metavar="DIR",
                                               help="Also write one .json and one .txt per "
                                               "document into this new directory (or "
                                               "storage URL).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print every extraction as JSON "
                                          "(schemas/extraction.schema.json).")] = False,
    text: Annotated[bool, typer.Option("--text", help="Print the main text of each "
                                       "document.")] = False,
    visible_text: Annotated[bool, typer.Option("--visible-text", help="Print all the text a "
                                               "reader of each page sees (menus, captions, "
                                               "asides too), not only its main text.")] = False,
    output_format: Annotated[str, typer.Option("--format", metavar="json|parquet",
                                               help="What -o writes: json (one .json and one "
                                               ".txt per document) or parquet (one row per "
                                               "document, in part-NNNNN.parquet files; "
                                               "docs/cluster.md).")] = "json",
    cluster: ClusterOption = None,
) -> None:
    """Extract the text and metadata of pages, PDF reports and data files.

    Example:  archiver extract evidence/story1 --text

    Reads packages (never changing them), WARC and ARC files made by any tool, WACZ files
    (streamed from the zip, never unpacked), and loose HTML, PDF, plain-text, CSV, JSON or
    XML files. --text prints each document's main text; --visible-text all the text a
    reader of a page sees (for finding a quote outside the article); --json gives both.
    Exit 0 when every document was read, 1 when any could not be or a file is damaged
    (each reason is printed, with the record and offset), 2 when a path is none of these.
    With --cluster, the paths are read on the workers of a Dask cluster, which write into
    -o OUT (a folder they share, or a storage URL; --json then prints each document's
    summary), and the table of every document comes at the end (docs/cluster.md).
    """
    from archiver.extract.api import extract as extract_from
    from archiver.extract.document import ExtractionSummary

    if output_format not in ("json", "parquet"):
        _fail(f"--format {output_format}: give json or parquet", EXIT_USAGE)
    if output is None and (output_format == "parquet" or cluster is not None):
        _fail(f"{'--cluster' if cluster else '--format parquet'} writes its documents into a "
              "folder: give -o OUT", EXIT_USAGE)
    if cluster is not None:
        if text or visible_text:
            _fail("--text and --visible-text print on this machine: with --cluster, read the "
                  "texts from the .txt files in -o OUT", EXIT_USAGE)
        assert output is not None
        _extract_on_cluster(cluster, [_on_cluster(path) for path in paths],
                            _on_cluster(output), output_format, as_json)
    summaries: list[ExtractionSummary] = []
    worst = EXIT_OK
    opened = 0
    out: Target | None = None
    with contextlib.ExitStack() as outputs:
        out = outputs.enter_context(output_target(output)) if output is not None else None
        writer = _extraction_sink(out.local, output_format) if out is not None else None
        if writer is not None:
            outputs.callback(writer.close)  # before the upload: the Parquet file is whole
        if as_json:
            show("[")
        with progress_bar("extracting") as progress:
            for path in paths:
                try:
                    with input_target(path) as source:
                        run = extract_from(source.local, name=path if source.url else None)
                        opened += 1
                        for extraction in run:
                            if writer is not None:
                                writer.write(extraction, path)
                            if as_json:
                                show_json(source.relabel(("," if summaries else "")
                                                         + extraction.to_json().decode()))
                            elif text or visible_text:
                                show(render_text(extraction, visible=visible_text))
                                # Without the table, what got in the way (a partial read)
                                # still goes to stderr, so the text is never taken for the
                                # whole document.
                                for problem in render_problems(extraction):
                                    show_error(source.relabel(problem))
                            summaries.append(extraction.summary())
                            if progress is not None:
                                progress(len(summaries), 0, extraction.source.url or path)
                            if extraction.outcome == "failed":
                                worst = max(worst, EXIT_PROBLEM)
                        for problem in run.problems:
                            show_error(source.relabel(problem))
                            worst = max(worst, EXIT_PROBLEM)
                except ArchiverError as error:
                    show_error(str(error))
                    worst = max(worst, exit_code_for(error))
                    continue
        if as_json:
            show("]")
    if not as_json and not (text or visible_text) and opened:  # none read: errors say why
        rendered = render_extractions(summaries, out.local if out is not None else None)
        show(out.relabel(rendered) if out is not None else rendered)
    raise typer.Exit(worst)


class _ExtractionSink(Protocol):
    def write(self, extraction: Extraction, package: str) -> object: ...

    def close(self) -> None: ...


def _extraction_sink(output: Path, output_format: str) -> _ExtractionSink:
    """Where -o writes: .json and .txt files, or a Parquet file (part-00000.parquet)."""
    from archiver.extract.files import ExtractionWriter

    files = ExtractionWriter(output)  # new or empty: made now
    if output_format == "parquet":
        from archiver.extract.parquet_output import ParquetWriter

        return ParquetWriter(output / "part-00000.parquet")
    return files


def _extract_on_cluster(address: str, paths: list[str], output: str, output_format: str,
                        as_json: bool) -> NoReturn:
    from archiver.cluster.connect import cluster_client
    from archiver.cluster.spread import OutputFormat, extract_on_cluster
    from archiver.cluster.storage_spread import extract_to_storage

    summaries = []
    worst = EXIT_OK
    chosen: OutputFormat = "parquet" if output_format == "parquet" else "json"
    with cluster_client(address) as client, progress_bar("extracting") as progress:
        extracted = (extract_to_storage(client, paths, output, chosen, progress)
                     if is_storage_url(output) else
                     extract_on_cluster(client, paths, Path(output), chosen, progress))
        for done in extracted:
            if done.error is not None:
                show_error(done.error.message)
                worst = max(worst, _ERROR_KIND_EXIT[done.error.kind])
                continue
            for problem in done.problems:
                show_error(problem)
            summaries += done.summaries
            if done.problems or any(s.outcome == "failed" for s in done.summaries):
                worst = max(worst, EXIT_PROBLEM)
    if as_json:
        _emit_json([summary.to_dict() for summary in summaries])
    else:
        show(render_extractions(summaries, output))
    raise typer.Exit(worst)


@app.command()
@reported
def quote(
    package: Annotated[str, typer.Argument(metavar="PKG", help="An evidence package (a path "
                                           "or a storage URL).", show_default=False)],
    passage: Annotated[str, typer.Argument(metavar="PASSAGE", help="The words to find, as "
                                           "the story quotes them.", show_default=False)],
    as_json: Annotated[bool, typer.Option("--json", help="Print the answer as JSON.")] = False,
) -> None:
    """Find where a package's sources say a passage: source, record, offset, replay link.

    Example:  archiver quote evidence/meters "the supply valve was closed"

    Searches every extracted text (a page's main text and all its visible text; a PDF's
    pages as one text), tolerant of white space and line breaks, typographic quotes and
    dashes, case, accents, soft hyphens and words hyphenated at a line's end
    (docs/quote.md). Each place gives the WARC record and its payload SHA-256, the offset
    (and page of a PDF) and a link that opens the passage in `archiver replay PKG --port
    8080`. Uses the index sealed into the package; a package without one is indexed in a
    temporary folder, never changed. Exit 0 when found, 1 when not (with the closest
    passage and how similar it is), 2 when PKG is not a package.
    """
    from archiver.quotes.lookup import find_quote

    with input_target(package) as source:
        result = find_quote(source.local, passage)
        _report_and_exit(result, as_json, render_quote, ok=result.found, target=source)


@app.command()
@reported
def index(
    inputs: Annotated[list[Path], typer.Argument(metavar="PKG_OR_DIR...", help="Packages, or "
                                                 "folders holding packages.",
                                                 show_default=False)],
    output: Annotated[Path, typer.Option("-o", "--output", help="The collection file (made, "
                                         "or added to).", show_default=False)],
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Index many packages into one collection, for `archiver search` and `--dedup`.

    Example:  archiver index evidence/ -o newsroom.db

    Keeps each source (URL, title, outcome, capture time, record, payload SHA-256) and each
    extracted text, in SQLite with FTS5 (docs/collections.md). A package already indexed
    with the same seal is not read again; packages are only read, never changed. The file
    is written beside its name and renamed into place. Exit 0, or 1 when a package could
    not be indexed (the others are).
    """
    from archiver.collection.build import index_packages

    with progress_bar("indexing") as bar:
        summary = index_packages(inputs, output, progress=bar)
    _report_and_exit(summary, as_json, render_index, ok=not summary.problems)


@app.command()
@reported
def search(
    collection: Annotated[Path, typer.Argument(metavar="COLLECTION", help="A collection made "
                                               "by `archiver index`.", show_default=False)],
    query: Annotated[str, typer.Argument(metavar="QUERY", help='Words (all must match) and '
                                         '"quoted phrases".', show_default=False)],
    limit: Annotated[int, typer.Option("--limit", min=1, max=10_000, help="Most documents "
                                       "shown.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print the matches as JSON.")] = False,
) -> None:
    """Search the texts of a collection: package, source, capture time, record, snippet.

    Example:  archiver search newsroom.db 'meter "supply valve"'

    Every plain word must be in a document, and each "quoted phrase" in that order, in the
    normal form `archiver quote` uses (case, accents, punctuation set aside). Ranked by
    BM25. Exit 0 when something matches, 1 when nothing does (like grep), 2 for a query
    with no words, 3 when the collection cannot be read.
    """
    from archiver.collection.search import search_collection

    result = search_collection(collection, query, limit=limit)
    _report_and_exit(result, as_json, render_search, ok=result.found)


@app.command()
@reported
def export(
    package: Annotated[str, typer.Argument(help="The package to export (a path or a storage "
                                           "URL).", show_default=False)],
    wacz: Annotated[str | None, typer.Option("--wacz", metavar="OUT", help="Write a WACZ "
                                             "file (for ReplayWeb.page, pywb) here (a path "
                                             "or a storage URL); must not exist.",
                                             show_default=False)] = None,
    zip_file: Annotated[str | None, typer.Option("--zip", metavar="OUT", help="Write the bag "
                                                 "as one zip file (for mail or upload) here "
                                                 "(a path or a storage URL); must not exist.",
                                                 show_default=False)] = None,
    key: Annotated[Path | None, typer.Option("--key", help="Sign the WACZ with this private "
                                             "key (default: `key` in the configuration).",
                                             show_default=False)] = None,
    tsa: Annotated[list[str] | None, typer.Option(
        "--tsa", metavar="URL", help="Timestamp the WACZ's signature with this RFC 3161 "
        "timestamp authority (repeatable: the first that answers; default: `tsa` in the "
        "configuration, when the WACZ is signed).", show_default=False)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Export a package as a WACZ file or as one zip file, after verifying it.

    Example:  archiver export evidence/story1 --wacz story1.wacz --key ~/keys/ana.key

    The WACZ holds the WARCs, a CDXJ index, the sources as pages, manifest.json and the
    extracted text; `archiver verify story1.wacz` checks it. With a key (--key, or `key` in
    the configuration) its datapackage-digest.json carries an anonymous ECDSA signature as
    the WACZ signing spec lays it out, and with --tsa (or `tsa` in the configuration) an
    RFC 3161 timestamp of that signature, as an open proposal adds one (webrecorder/specs
    issue 142); the TSAs are asked in order and the first that answers stamps it. A TSA
    failure stops the export: when no TSA answers, each is named with its reason and
    nothing is written (exit 3; an export can be made again, unlike a capture). The zip
    unpacks to the bag itself, with its attestations. The export is added to the package's
    custody log (a warning if the package cannot be written to). Exit 0 when written, 1
    when the package is damaged (nothing is written), 2 when an output exists, the path is
    not a package, the key cannot be used or --tsa is given without a key, 3 when no TSA
    answered.
    """
    from archiver.transfer import ExportResult, export_wacz, export_zip

    if wacz is None and zip_file is None:
        _fail("nothing to export to: give --wacz OUT.wacz or --zip OUT.zip", EXIT_USAGE)
    if key is not None and wacz is None:
        _fail("--key signs a WACZ export: give --wacz OUT.wacz too (a zip is the bag itself, "
              "signed by `archiver sign`)", EXIT_USAGE)
    signing_key = _configured_key(key) if wacz is not None else None
    stamper = _wacz_timestamper(tsa, signed=signing_key is not None)
    results: list[ExportResult] = []
    config = _user_config()
    shown: list[Target] = []
    with contextlib.ExitStack() as targets:
        outs = [targets.enter_context(output_target(out)) if out is not None else None
                for out in (wacz, zip_file)]
        for out in outs:
            if out is not None:
                _sweep_beside(out.local)
        source = targets.enter_context(input_target(package))
        shown = [source, *(out for out in outs if out is not None)]
        with progress_bar("exporting") as progress:
            try:
                if outs[0] is not None:
                    results.append(export_wacz(source.local, outs[0].local, progress=progress,
                                               key=signing_key, timestamper=stamper,
                                               operator=config.operator,
                                               organisation=config.organisation))
                if outs[1] is not None:
                    results.append(export_zip(source.local, outs[1].local, progress=progress,
                                              operator=config.operator,
                                              organisation=config.organisation))
            except VerificationFailed as error:
                for line in render_refusal(error):
                    show(source.relabel(line), err=True)
                _fail(source.relabel(f"{error}; not exported"), EXIT_PROBLEM)
            except CaptureError as error:  # only a TSA is asked for anything in an export
                _fail(f"no timestamp for the WACZ's signature: {error}; nothing was written",
                      EXIT_COULD_NOT_RUN)
        if source.is_remote:
            for result in results:  # it went into the local copy, which is not kept
                result.custody_entry = None
                result.custody_warning = (f"{package}: the export is not in its custody log: "
                                          "archiver never writes into a package on object "
                                          "storage once it is sealed")

    def relabel(text: str) -> str:
        for target in shown:
            text = target.relabel(text)
        return text

    for failure in stamper.failures if stamper is not None else []:
        show_error(f"note: {failure}; the next TSA timestamped the WACZ's signature")
    for result in results:
        if result.custody_warning:
            show_error(f"warning: {result.custody_warning}")
        for line in render_export_notes(result):
            show(relabel(line), err=True)
    if as_json:
        show_json(relabel(json.dumps([result.to_dict() for result in results], indent=2,
                                     ensure_ascii=False)))
    else:
        for result in results:
            show(relabel(render_export(result)))
    raise typer.Exit(EXIT_OK)


def _local_package(given: str, verb: str) -> Path:
    """A package a verb adds to (its attestations): a local path only, never a storage URL,
    since a package on object storage is never written into after its upload."""
    if is_storage_url(given):
        _fail(f"{given}: a package on object storage is never changed after its upload; it "
              f"is {verb} as it is made (--key, --tsa on capture and story)", EXIT_USAGE)
    return local_path(given)


def _configured_key(named: Path | None) -> SigningKey | None:
    """The key named by --key, else by `key` in the configuration, loaded (see
    `_signing_key`); None when neither names one."""
    path = named or _user_config().key
    return _signing_key(path) if path is not None else None


def _wacz_timestamper(given: list[str] | None, *, signed: bool) -> TsaTimestamper | None:
    """What timestamps a WACZ's signature: the TSAs of --tsa, else of `tsa` in the
    configuration; None for an unsigned WACZ (nothing to stamp), where --tsa is a usage
    error."""
    if given and not signed:
        _fail("--tsa timestamps a WACZ's signature: give --wacz OUT.wacz and --key KEY (or "
              "`key` in the configuration) too", EXIT_USAGE)
    urls = _tsa_urls(given) if signed else []
    if not urls:
        return None
    from archiver.attestation.tsa_client import TsaTimestamper  # only when a TSA will be asked

    return TsaTimestamper(urls)



@app.command()
@reported
def sign(
    package: Annotated[str, typer.Argument(help="The package to sign.", show_default=False)],
    key: Annotated[Path | None, typer.Option("--key", metavar="KEY", help="The private key "
                                             "(default: `key` in your configuration).",
                                             show_default=False)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Sign an existing package with your key, after verifying it.

    Example:  archiver sign evidence/story1 --key ~/keys/ana.key

    The signature (ECDSA P-256 over the bytes of tagmanifest-sha256.txt, which cover every
    byte of the bag) is added as new files under attestations/, with a "signed" entry in the
    custody log; no file of the bag changes, and `bagit.py --validate` still passes. Check it
    with OpenSSL alone (docs/attestations.md). A key with a passphrase asks for it on a
    terminal, or reads ARCHIVER_KEY_PASSPHRASE. Exit 0 when signed (or already signed by
    this key: nothing is written), 1 when the package is damaged (nothing is written),
    2 when the key or the path cannot be used, 3 when the package cannot be written to.
    """
    from archiver.package.signing import sign_package

    folder = _local_package(package, "signed")
    config = _user_config()
    if key is None and config.key is None:
        _fail("no key to sign with: give --key KEY (make one with `archiver key new KEY`), "
              "or set `key` in your configuration", EXIT_USAGE)
    signer = _signer(key, _operator(None, None))  # who signs: the configuration's names
    with progress_bar("signing") as progress:
        try:
            result = sign_package(folder, signer, progress=progress)
        except VerificationFailed as error:
            for line in render_refusal(error):
                show(line, err=True)
            _fail(f"{error}; not signed", EXIT_PROBLEM)
    if as_json:
        _emit_json(result.to_dict())
    elif result.already_signed:
        show(f"{folder}: already signed by key {result.short_fingerprint} …; nothing written")
    else:
        show(f"{folder}: signed by key {result.short_fingerprint} … "
             f"({result.files.signature})")
        show(f"Check it with: openssl dgst -sha256 -verify {folder / result.files.public_key} "
             f"-signature {folder / result.files.signature} "
             f"{folder / 'tagmanifest-sha256.txt'}")
    raise typer.Exit(EXIT_OK)


key_app = typer.Typer(name="key", help="Make and show signing keys (ECDSA P-256 or P-384).",
                      no_args_is_help=True, rich_markup_mode=None,
                      context_settings={"help_option_names": ["-h", "--help"]})
app.add_typer(key_app, name="key")


@key_app.command("new")
@reported
def key_new(
    path: Annotated[Path, typer.Argument(help="Where to write the new private key (must not "
                                         "exist).", show_default=False)],
    passphrase_prompt: Annotated[bool, typer.Option("--passphrase-prompt", help="Protect the "
                                                    "key with a passphrase, asked for here "
                                                    "(or set ARCHIVER_KEY_PASSPHRASE).")]
    = False,
    no_trust: Annotated[bool, typer.Option("--no-trust", help="Do not add the public key to "
                                           "the keys this machine trusts.")] = False,
    curve: Annotated[str, typer.Option("--curve", help="P-256, or P-384 for WACZ exports "
                                       "whose signature ReplayWeb.page should show as "
                                       "verified.")] = "P-256",
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Make a new signing key: a private key file only you can read, and its fingerprint.

    Example:  archiver key new ~/keys/ana.key

    The key is ECDSA P-256 (or P-384 with --curve P-384: ReplayWeb.page shows a WACZ
    signature as verified only from a P-384 key), written with mode 0600 and never over an
    existing file. Its public half goes to the keys this machine trusts (keys/ beside
    your configuration file), so packages you sign verify as yours here; give others
    `archiver key show KEY`. A passphrase is optional: --passphrase-prompt asks for one, or
    ARCHIVER_KEY_PASSPHRASE gives it. Exit 0 when written, 2 when PATH exists or the
    passphrases differ, 3 when it cannot be written.
    """
    import os

    from archiver.attestation.keys import CURVES, PASSPHRASE_ENV, new_key
    from archiver.attestation.trust import trust_own_key

    curve = curve.upper().replace("P256", "P-256").replace("P384", "P-384")
    if curve not in CURVES:
        _fail(f"--curve {curve}: not one archiver signs with (P-256 or P-384)", EXIT_USAGE)
    passphrase = os.environ.get(PASSPHRASE_ENV) or None
    if passphrase_prompt:
        passphrase = typer.prompt("Passphrase for the new key", hide_input=True,
                                  confirmation_prompt=True, err=True) or None
    public = new_key(path, passphrase, curve)
    trusted = None if no_trust else trust_own_key(public)
    if as_json:
        _emit_json({"path": str(path), "curve": curve, "fingerprint": public.fingerprint,
                    "short_fingerprint": public.short_fingerprint,
                    "passphrase": passphrase is not None, "public_key": public.pem,
                    "trusted_as": str(trusted) if trusted else None})
        raise typer.Exit(EXIT_OK)
    show(f"New signing key: {path} (readable by you only"
         f"{', protected by a passphrase' if passphrase else ''})")
    show(f"Fingerprint: {public.fingerprint}")
    show(f"  read out as: {public.short_fingerprint}")
    if trusted is not None:
        show(f"Trusted on this machine: {trusted}")
    show(f"Keep {path} private: whoever holds it can sign as you. "
         f"Give others your public key: archiver key show {path}")
    raise typer.Exit(EXIT_OK)


@key_app.command("show")
@reported
def key_show(
    path: Annotated[Path, typer.Argument(help="A private key, or a public key (PEM).",
                                         show_default=False)],
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Show a key's public half (PEM) and fingerprint, to give to those who check your packages.

    Example:  archiver key show ~/keys/ana.key > ana.pub.pem

    Whoever verifies your packages adds that file with `archiver verify --trust ana.pub.pem`
    (or to `trust` in their configuration). A private key with a passphrase asks for it, or
    reads ARCHIVER_KEY_PASSPHRASE. Exit 0, or 2 when the file is not a usable key.
    """
    from archiver.attestation.keys import PassphraseNeeded, PublicKey, curve_name, load_public_key

    public: PublicKey
    try:
        public = load_public_key(path)
    except PassphraseNeeded:
        public = _signing_key(path).public
    if as_json:
        _emit_json({"path": str(path), "curve": curve_name(public.key.curve),
                    "fingerprint": public.fingerprint,
                    "short_fingerprint": public.short_fingerprint, "public_key": public.pem})
    else:
        show(public.pem.rstrip("\n"))
        show(f"# fingerprint: {public.fingerprint}")
    raise typer.Exit(EXIT_OK)


@app.command()
@reported
def replay(
    paths: Annotated[list[str], typer.Argument(metavar="PATH...", help="A package, a WARC or "
                                               "ARC file, or a WACZ (a path, or a storage URL: "
                                               "downloaded first); or several packages.",
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
    Several packages are replayed as one: a package captured with --dedup needs the
    packages its revisit records refer to (docs/collections.md).
    """
    from archiver.replay import start_replay

    with contextlib.ExitStack() as inputs:
        sources = [inputs.enter_context(input_target(path)) for path in paths]
        server = inputs.enter_context(start_replay([source.local for source in sources],
                                                   port=port, notify=show_error))
        try:  # Ctrl-C may come as soon as the address shows
            for line in server.skipped.lines():
                for source in sources:
                    line = source.relabel(line)
                show_error(line)
            show(f"Replaying {', '.join(paths)}: {len(server.entries)} page(s) and "
                 "report(s).")
            show(f"Open {server.url}  (Ctrl-C to stop)")
            code = server.wait()
        except KeyboardInterrupt:
            raise typer.Exit(EXIT_PROBLEM if server.skipped.total else EXIT_OK) from None
    _fail(f"the replay engine stopped on its own (exit {code})", EXIT_COULD_NOT_RUN)


@app.command()
@reported
def demo(
    output: Annotated[str | None, typer.Option("-o", "--output", metavar="PKG",
                                               help="Where to write the package, a path or a "
                                               "storage URL (default: "
                                               "./archiver-demo-<time>).")] = None,
) -> None:
    """Run the whole workflow on the bundled sample story, offline, on 127.0.0.1.

    Example:  archiver demo

    Serves the sample story and its sources on 127.0.0.1, runs the story workflow on it (the
    story, every source it cites, text extraction, the report), verifies the package and says
    where the report is. Exit 0 when the package verifies.
    """
    from archiver.demo import default_output, run_demo

    with output_target(output or str(default_output())) as target:
        _sweep_beside(target.local)
        with progress_bar("capturing the sample") as progress:
            result = run_demo(target.local, progress=progress)
    if target.is_remote:
        result.verification.path = target.given
    show(target.relabel(render_story(result.story)))
    show("")
    show(target.relabel(render_verification(result.verification)))
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
    from archiver.certificates import quiet_hostile_certificate_warnings

    quiet_hostile_certificate_warnings()  # hostile evidence is judged, never warned about
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
