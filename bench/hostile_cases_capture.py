"""The hostile cases that go through `archiver capture`: a site on 127.0.0.1 misbehaves
(items 1, 2, 3, 5, 10, 12 and 13 of issue 10)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

from hostile_context import (
    BOMB_TARGET_MB,
    CaseResult,
    Context,
    case,
    is_sealed,
    outcome_line,
    result_of,
    sources_by_url,
)
from hostile_files import PDF_BIG_OBJECT_NUMBER, brotli_bomb
from hostile_runner import end_session, run_bounded, shorten
from hostile_site import Canary, SeenRequest, drip, fixed, raw, response_bytes

BROWSER_COOKIES_PER_HOST = 180
"""Chrome's and Firefox's cap on the cookies kept for one host."""


def good_sources(ctx: Context, prefix: str, count: int = 2) -> list[str]:
    urls = []
    for index in range(1, count + 1):
        path = f"{prefix}/good-{index}.txt"
        ctx.site.routes[path] = fixed("200 OK", "text/plain", f"good source {index}\n".encode())
        urls.append(ctx.site.url(path))
    return urls


def check_sealed_with(result: CaseResult, package: Path, good: list[str],
                      hostile: list[str]) -> None:
    sources = sources_by_url(package)
    result.checks["package sealed"] = is_sealed(package)
    result.checks["the other sources captured in it"] = bool(sources) and all(
        sources.get(url, {}).get("outcome") == "captured" for url in good)
    for url in hostile:
        result.notes.append(f"hostile source: {outcome_line(sources.get(url))}")


# -- item 1 ---------------------------------------------------------------------------------

GLUE_TYPES = {"/glue/a": "text/plain", "/glue/b": "text/markdown", "/glue/c": "text/csv"}
STRAY = response_bytes("203 Stray", [("Content-Type", "application/x-stray")],
                       b"stray bytes glued behind /glue/a\n")


@case("1-glued-response", "a second response glued behind the first on a kept-alive "
      "connection (3 URLs, one host, --per-host 1)")
def glued_response(ctx: Context, name: str, title: str) -> CaseResult:
    bodies = {path: f"this is {path}\n".encode() for path in GLUE_TYPES}
    for path, kind in GLUE_TYPES.items():
        data = response_bytes("200 OK", [("Content-Type", kind)], bodies[path])
        ctx.site.routes[path] = raw(data + STRAY if path == "/glue/a" else data)
    package = ctx.case_dir(name) / "package"
    urls = [ctx.site.url(path) for path in GLUE_TYPES]
    run = ctx.capture(urls, package, "--per-host", "1", "--no-requisites")
    result = result_of(ctx, name, title, run, exits={0, 1})
    sources = sources_by_url(package)
    claims_hold = own_bodies = len(sources) == len(urls)  # nothing is not a pass
    for url, source in sources.items():
        path = url.split(str(ctx.site.port), 1)[1]
        found = read_record(package, source.get("record"))
        if found is None:
            own_bodies = False
            result.notes.append(f"{path}: no record ({outcome_line(source)})")
            continue
        status, kind, payload = found
        claimed = (source.get("status"), source.get("content_type"))
        if claimed != (status, kind):
            claims_hold = False
            result.notes.append(f"{path}: manifest says {claimed[0]} {claimed[1]}, its record "
                                f"holds {status} {kind}")
        if payload != bodies[path]:
            own_bodies = False
            result.notes.append(f"{path}: its record's payload is {shorten(repr(payload), 80)}")
    result.checks["package sealed"] = is_sealed(package)
    result.checks["manifest status/content type = own record's"] = claims_hold
    result.checks["each record holds its own URL's body"] = own_bodies
    return result


def read_record(package: Path, where: Any) -> tuple[int | None, str | None, bytes] | None:
    """(status, content type, payload) of the response record manifest.json points at."""
    from warcio.archiveiterator import ArchiveIterator

    if not isinstance(where, dict):
        return None
    try:
        with (package / where["warc_file"]).open("rb") as fh:
            fh.seek(int(where["offset"]))
            record = next(iter(ArchiveIterator(fh)))
            headers = record.http_headers
            status = int(headers.get_statuscode()) if headers else None
            kind = headers.get_header("Content-Type") if headers else None
            return status, kind, record.raw_stream.read(1024 * 1024)
    except Exception:  # a record that cannot be read is a mismatch, not a bench crash
        return None


# -- item 2 ---------------------------------------------------------------------------------

def header_flood(lines: list[str]) -> bytes:
    return response_bytes("200 OK", [("Content-Type", "text/plain"),
                                     *(tuple(line.split(": ", 1)) for line in lines)],
                          b"a body after a flood of header lines\n")


def captured_beside_good(ctx: Context, name: str, title: str, path: str,
                         data: bytes) -> CaseResult:
    ctx.site.routes[path] = raw(data)
    good = good_sources(ctx, f"/{name}")
    hostile = ctx.site.url(path)
    package = ctx.case_dir(name) / "package"
    run = ctx.capture([good[0], hostile, good[1]], package, "--no-requisites")
    result = result_of(ctx, name, title, run, exits={1})
    check_sealed_with(result, package, good, [hostile])
    return result


@case("2-header-lines", "a response with 40,000 header lines, beside two good sources")
def header_lines(ctx: Context, name: str, title: str) -> CaseResult:
    lines = [f"X-Filler-{index:05d}: header line {index:05d}" for index in range(40_000)]
    return captured_beside_good(ctx, name, title, "/flood/header-lines", header_flood(lines))


@case("2-set-cookie-lines", "a response with 5,000 Set-Cookie lines, beside two good sources")
def set_cookie_lines(ctx: Context, name: str, title: str) -> CaseResult:
    value = "v" * 100  # 660 KB in all: past the header limit of every client
    lines = [f"Set-Cookie: flood{index:04d}={value}; Path=/" for index in range(5_000)]
    return captured_beside_good(ctx, name, title, "/flood/set-cookie", header_flood(lines))


# -- item 3 ---------------------------------------------------------------------------------

@case("3-pdf-capture", "capture of a 71-byte damaged PDF naming object 999999999, beside two "
      "good sources")
def pdf_capture(ctx: Context, name: str, title: str) -> CaseResult:
    path = "/documents/damaged.pdf"
    ctx.site.routes[path] = fixed("200 OK", "application/pdf", PDF_BIG_OBJECT_NUMBER)
    good = good_sources(ctx, f"/{name}")
    package = ctx.case_dir(name) / "package"
    run = ctx.capture([good[0], ctx.site.url(path), good[1]], package)
    result = result_of(ctx, name, title, run, exits={0, 1})
    check_sealed_with(result, package, good, [ctx.site.url(path)])
    return result


# -- item 5 ---------------------------------------------------------------------------------

NOT_RUN_SSRF = ("http://169.254.169.254/", "http://10.0.0.1/",
                "http://metadata.google.internal/")


@case("5-ssrf-loopback", "capture (without --allow-private) of loopback addresses in "
      "disguise: [::1], 0x7f.1, 2130706433, a redirect to 127.0.0.2")
def ssrf_loopback(ctx: Context, name: str, title: str) -> CaseResult:
    canaries: dict[str, Canary] = {}
    notes = []
    for form, host in (("[::1]", "::1"), ("0x7f.1", "127.0.0.1"), ("2130706433", "127.0.0.1"),
                       ("127.0.0.2", "127.0.0.2")):
        try:
            canaries[form] = Canary(host)
        except OSError as exc:  # cannot listen there: never send a capture to it
            notes.append(f"{form}: not run, the bench cannot listen on {host} ({exc})")
    urls = {form: f"http://{form}:{canary.port}/" for form, canary in canaries.items()
            if form != "127.0.0.2"}
    if "127.0.0.2" in canaries:
        ctx.site.routes["/ssrf/redirect"] = raw(response_bytes(
            "302 Found", [("Location", f"http://127.0.0.2:{canaries['127.0.0.2'].port}/")], b""))
        urls["redirect to 127.0.0.2"] = ctx.site.url("/ssrf/redirect")
    try:
        run = ctx.capture(list(urls.values()), ctx.case_dir(name) / "package",
                          "--no-requisites", "--retries", "0", private=False)
    finally:
        for canary in canaries.values():
            canary.close()
    result = result_of(ctx, name, title, run, exits={1})
    sources = sources_by_url(ctx.work / name / "package")
    reached = {form: canary.connections for form, canary in canaries.items()}
    reached["127.0.0.1 (the redirecting page)"] = len(ctx.site.hits("/ssrf/"))
    for form, url in urls.items():
        key = "127.0.0.2" if form.startswith("redirect") else form
        verdict = "fetched" if reached.get(key) else "refused"
        result.notes.append(f"{form}: {verdict}; {outcome_line(sources.get(url))}")
    result.notes += notes
    result.notes.append("not run (they would leave this machine): " + ", ".join(NOT_RUN_SSRF))
    result.checks["no request reached a private address"] = not any(reached.values())
    return result


# -- item 10 --------------------------------------------------------------------------------

@case("10-brotli-capture", "capture of a URL serving a 4 GiB brotli bomb (a br-encoded PDF), "
      "beside two good sources")
def brotli_capture(ctx: Context, name: str, title: str) -> CaseResult:
    path = "/bomb/report.pdf"
    ctx.site.routes[path] = fixed("200 OK", "application/pdf", brotli_bomb(),
                                  [("Content-Encoding", "br")])
    good = good_sources(ctx, f"/{name}")
    package = ctx.case_dir(name) / "package"
    run = ctx.capture([good[0], ctx.site.url(path), good[1]], package)
    result = result_of(ctx, name, title, run, exits={0, 1}, limit_mb=BOMB_TARGET_MB)
    check_sealed_with(result, package, good, [ctx.site.url(path)])
    return result


# -- item 12 --------------------------------------------------------------------------------

@case("12-cookie-flood", "a page setting 10,000 cookies, then its requisites: the Cookie "
      "header the server receives next")
def cookie_flood(ctx: Context, name: str, title: str) -> CaseResult:
    cookies = [("Set-Cookie", f"c{index:04d}=1") for index in range(10_000)]
    images = "".join(f"<img src='/cookies/figure-{i}.png'>" for i in range(4))
    ctx.site.routes["/cookies/page.html"] = fixed(
        "200 OK", "text/html", f"<!doctype html><title>Cookies</title><p>{images}".encode(),
        cookies)
    for index in range(4):
        ctx.site.routes[f"/cookies/figure-{index}.png"] = fixed("200 OK", "image/png", b"\x89PNG")
    run = ctx.capture([ctx.site.url("/cookies/page.html")], ctx.case_dir(name) / "package")
    result = result_of(ctx, name, title, run, exits={0, 1})
    after: list[SeenRequest] = ctx.site.hits("/cookies/figure-")
    most = max((r.cookie_count for r in after), default=0)
    size = max((r.cookie_bytes for r in after), default=0)
    result.notes.append(f"largest Cookie header sent with the requisites: {size:,} bytes, "
                        f"{most:,} cookies ({len(after)} requisite requests)")
    result.checks["requisites requested"] = bool(after)
    result.checks[f"≤ {BROWSER_COOKIES_PER_HOST} cookies sent to the host"] = (
        most <= BROWSER_COOKIES_PER_HOST)
    return result


# -- item 13 --------------------------------------------------------------------------------

@case("13-kill-9-leftovers", "capture killed with kill -9 mid-run: the partial it leaves, "
      "verify of its WARC, and the next run into the same parent")
def killed_run(ctx: Context, name: str, title: str) -> CaseResult:
    parent = ctx.case_dir(name)
    # Ten pages: from the 8th on, archiver's extraction workers start and the WARC is flushed
    # after each page, so the partial WARC ends at a record's end when the run is killed.
    quick = [f"/kill/quick-{i}.html" for i in range(10)]
    for path in quick:
        ctx.site.routes[path] = fixed("200 OK", "text/html", f"<title>{path}</title>".encode())
    ctx.site.routes["/kill/drip.bin"] = drip("200 OK", "application/octet-stream",
                                             4 * 1024 * 1024, 32 * 1024, 0.1)
    flags = ["--allow-private"] if ctx.allow_private else []
    argv = [*ctx.archiver, "capture", *map(ctx.site.url, [*quick, "/kill/drip.bin"]),
            "-o", str(parent / "package"), "--no-requisites", *flags]
    killed = kill_mid_run(ctx, argv, parent)
    leftovers = [p for p in parent.iterdir() if p.name != "package"]
    warcs = [p for item in leftovers for p in ([item] if item.is_file() else item.rglob("*"))
             if ".warc" in p.name and p.is_file()]
    verdicts = {}
    for warc in warcs:
        check = run_bounded([*ctx.archiver, "verify", str(warc)], time_limit=ctx.time_limit,
                            memory_limit_mb=ctx.memory_limit_mb)
        verdicts[warc.relative_to(parent)] = check
    run = ctx.capture([ctx.site.url(quick[0])], parent / "next", "--no-requisites")
    result = result_of(ctx, name, title, run, exits={0})
    result.notes.append(killed)
    result.notes.append("left after kill -9: " + (", ".join(p.name for p in leftovers)
                                                  or "nothing"))
    for path, check in verdicts.items():
        shown = check.last_line(120).replace(str(parent), "$PARENT")
        result.notes.append(f"verify {path}: exit {check.exit_code}: {shown}")
    result.checks["leftover WARC not reported intact"] = all(
        check.exit_code != 0 for check in verdicts.values())
    result.checks["the next run cleaned the stale partial"] = not any(
        p.exists() for p in leftovers)
    return result


def kill_mid_run(ctx: Context, argv: list[str], parent: Path) -> str:
    """Start the capture, wait until its partial WARC holds the quick pages, kill -9 it."""
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            stdin=subprocess.DEVNULL, start_new_session=True, cwd=ctx.work)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            warcs = [p for p in parent.rglob("*.warc*") if p.is_file()]
            if len(ctx.site.hits("/kill/quick-")) >= 10 and warcs and ctx.site.hits(
                    "/kill/drip"):
                time.sleep(1.0)  # the quick records are written as their exchanges end
                break
            time.sleep(0.05)
        if proc.poll() is not None:
            return f"the capture ended by itself (exit {proc.returncode}) before it was killed"
        os.kill(proc.pid, signal.SIGKILL)  # the archiver process only, as a user's kill -9
        proc.wait()
        return "killed with SIGKILL while the drip download was still running"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        end_session(proc.pid, grace=0)  # its orphaned workers, killed and gone

