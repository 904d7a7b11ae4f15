"""What every hostile case shares: the context it runs in (the archiver under test, the work
directory, the loopback site, the limits), its result, the expectations every case checks, and
the registry the `@case` decorator fills."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hostile_runner import Measured, run_bounded, shorten
from hostile_site import LoopbackSite, fixed

TARGET_SECONDS = 20.0
TARGET_MB = 500.0
BOMB_TARGET_MB = 700.0


class SetupFailed(Exception):
    """The case could not build its input (the archiver under test failed a plain job)."""


@dataclass
class CaseResult:
    name: str
    title: str
    command: str = ""
    seconds: float | None = None
    peak_mb: float | None = None
    anon_mb: float | None = None
    """The peak of anonymous memory alone (mapped files left out)."""
    processes: int | None = None
    exit_code: int | None = None
    ended: str = ""
    """"exit N", "hung (killed at 120 s)", "killed over the memory limit", "not run: ..."."""
    last_line: str = ""
    checks: dict[str, bool] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def held(self) -> bool:
        return bool(self.checks) and all(self.checks.values())


@dataclass
class Context:
    archiver: list[str]
    work: Path
    site: LoopbackSite
    time_limit: float
    memory_limit_mb: float
    allow_private: bool
    """Whether the archiver under test has --allow-private (then capture needs it for
    127.0.0.1, and every capture case but the SSRF one passes it)."""
    _base: Path | None = None
    _base_wacz: Path | None = None

    def case_dir(self, name: str) -> Path:
        path = self.work / name
        path.mkdir(parents=True, exist_ok=True)
        return path

    def run(self, *args: str | Path) -> Measured:
        return run_bounded([*self.archiver, *map(str, args)], time_limit=self.time_limit,
                           memory_limit_mb=self.memory_limit_mb, cwd=self.work)

    def capture(self, urls: Iterable[str], output: Path, *options: str,
                private: bool = True) -> Measured:
        """`archiver capture`, allowed to reach 127.0.0.1 when the archiver has the switch."""
        flags = ["--allow-private"] if private and self.allow_private else []
        return self.run("capture", *urls, "-o", output, *flags, *options)

    def shown(self, argv: list[str]) -> str:
        """The command as a reader can repeat it: work paths and the site's port shortened."""
        text = " ".join(["archiver", *argv[len(self.archiver):]])
        text = text.replace(str(self.work), "$WORK").replace(f":{self.site.port}/", ":PORT/")
        return shorten(text, 200)

    def base_package(self) -> Path:
        """A small real package (a page with an image, a text file), made once per run by the
        archiver under test; damaged copies of it are the hostile packages."""
        if self._base is None:
            site = self.site
            site.routes["/base/page.html"] = fixed("200 OK", "text/html; charset=utf-8", (
                b"<!doctype html><html><head><title>Base page</title></head><body><article>"
                b"<h1>Base page</h1><p>" + b"The meter keeps turning. " * 60 +
                b"</p><img src='/base/figure.png'></article></body></html>"))
            site.routes["/base/figure.png"] = fixed("200 OK", "image/png", b"\x89PNG" * 64)
            site.routes["/base/notes.txt"] = fixed("200 OK", "text/plain", b"notes\n" * 40)
            target = self.work / "base" / "package"
            target.parent.mkdir(exist_ok=True)
            done = self.capture([site.url("/base/page.html"), site.url("/base/notes.txt")],
                                target)
            if done.exit_code != 0:
                raise SetupFailed(f"capture of the base package: {done.last_line()}")
            self._base = target
        return self._base

    def base_wacz(self) -> Path:
        if self._base_wacz is None:
            package = self.base_package()
            target = package.parent / "base.wacz"
            done = self.run("export", package, "--wacz", target)
            if done.exit_code != 0:
                raise SetupFailed(f"export of the base package: {done.last_line()}")
            self._base_wacz = target
        return self._base_wacz


def has_allow_private(archiver: list[str]) -> bool:
    try:
        out = subprocess.run([*archiver, "capture", "--help"], capture_output=True, text=True,
                             timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return "--allow-private" in out.stdout


# -- judging a run --------------------------------------------------------------------------

INTERNAL = re.compile(r"internal error|Traceback \(most recent call last\)")


def result_of(ctx: Context, name: str, title: str, run: Measured, *, exits: set[int],
              limit_mb: float = TARGET_MB) -> CaseResult:
    """The result of a case's measured run, with the expectations every case has."""
    if run.killed == "hung":
        ended = f"hung (killed at {ctx.time_limit:.0f} s)"
    elif run.killed == "memory":
        ended = f"killed over the memory limit ({ctx.memory_limit_mb:.0f} MB)"
    else:
        ended = f"exit {run.exit_code}"
    result = CaseResult(name, title, ctx.shown(run.argv), round(run.seconds, 2),
                        round(run.peak_mb, 1), round(run.peak_anon_mb, 1), run.most_processes,
                        run.exit_code, ended,
                        run.last_line().replace(str(ctx.work), "$WORK"))
    wanted = " or ".join(map(str, sorted(exits)))
    result.checks[f"exit {wanted}"] = run.exit_code in exits
    result.checks["no internal error"] = not INTERNAL.search(run.output_text)
    result.checks[f"< {TARGET_SECONDS:.0f} s"] = (run.killed is None
                                                   and run.seconds < TARGET_SECONDS)
    result.checks[f"< {limit_mb:.0f} MB"] = run.killed != "memory" and run.peak_mb < limit_mb
    if run.output_bytes > 1_000_000:
        result.notes.append(f"printed {run.output_bytes / 1e6:,.0f} MB of output")
    if run.left_behind:
        result.notes.append(f"{run.left_behind} process(es) of the run were still alive "
                            "5 s after it exited; the bench ended them")
    return result


CaseFunction = Callable[[Context], CaseResult]


@dataclass(frozen=True)
class Case:
    name: str
    title: str
    function: CaseFunction


CASES: list[Case] = []


def case(name: str, title: str) -> Callable[[Callable[[Context, str, str], CaseResult]],
                                             CaseFunction]:
    """Register a case; the function gets (context, name, title)."""

    def register(function: Callable[[Context, str, str], CaseResult]) -> CaseFunction:
        def bound(ctx: Context) -> CaseResult:
            return function(ctx, name, title)

        CASES.append(Case(name, title, bound))
        return bound

    return register


# -- reading a package ----------------------------------------------------------------------

def load_manifest(package: Path) -> dict[str, Any] | None:
    try:
        document = json.loads((package / "manifest.json").read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return document if isinstance(document, dict) else None


def is_sealed(package: Path) -> bool:
    """The package is in place with its bag files (it was renamed there only when complete)."""
    return all((package / name).is_file() for name in
               ("bagit.txt", "manifest-sha256.txt", "tagmanifest-sha256.txt", "manifest.json"))


def sources_by_url(package: Path) -> dict[str, dict[str, Any]]:
    manifest = load_manifest(package) or {}
    return {source.get("requested_url"): source for source in manifest.get("sources", [])
            if isinstance(source, dict)}


def outcome_line(source: dict[str, Any] | None) -> str:
    if source is None:
        return "not in manifest.json"
    reason = f": {source.get('reason')}" if source.get("reason") else ""
    return shorten(f"{source.get('outcome')}{reason}", 140)
