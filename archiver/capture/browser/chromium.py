"""Finding the system's Chromium, the flags it runs with, and making sure none of its
processes outlive a run.

Browser builds cannot be downloaded where archiver runs (and a browser fetched at capture
time would be one more thing to trust), so archiver drives the Chromium the system provides:
Debian's `chromium` package, found on PATH, or whichever ARCHIVER_CHROMIUM names.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

from archiver.errors import ArchiverUsageError, BrowserMissing, EnvironmentFault
from archiver.user_files import UnusableFile, read_small_file

ENVIRONMENT_VARIABLE = "ARCHIVER_CHROMIUM"
NAMES = ("chromium", "chromium-browser")
"""Names a system Chromium goes by on PATH (Debian, Ubuntu, Fedora, Alpine)."""

INSTALL_HINT = ("install your system's chromium package (Debian: apt install chromium), or "
                f"set {ENVIRONMENT_VARIABLE} to a Chromium executable")

FLAGS = (
    # Chromium calls Google's hosts by itself (component updates, safe browsing lists, sync):
    # none of it belongs in the evidence, and a closed network refuses it anyway.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",  # HTTP/3 goes round the TCP connection the recorder reasons about
    # One renderer process for a page and its frames: the recorder's session on the page
    # then sees the requests of cross-site frames too (docs/browser.md).
    "--disable-features=IsolateOrigins,site-per-process",
    "--disable-site-isolation-trials",
    "--hide-scrollbars",
    "--mute-audio",
)


def find_chromium(explicit: str | None = None) -> str:
    """The Chromium executable to drive: `explicit`, else ARCHIVER_CHROMIUM, else the first
    of NAMES on PATH. Raise BrowserMissing, saying what to do, when there is none."""
    named = explicit or os.environ.get(ENVIRONMENT_VARIABLE)
    if named:
        found = shutil.which(named)
        if found is None:
            source = "given" if explicit else f"named by {ENVIRONMENT_VARIABLE}"
            raise BrowserMissing(f"the Chromium {source} ({named}) is not an executable "
                                 f"file; {INSTALL_HINT}")
        return found
    for name in NAMES:
        found = shutil.which(name)
        if found is not None:
            return found
    raise BrowserMissing(f"no Chromium found on PATH; {INSTALL_HINT}")


def needs_no_sandbox() -> bool:
    """Chromium refuses to start its sandbox as root (as in CI's containers)."""
    return hasattr(os, "geteuid") and os.geteuid() == 0


def processes_using(marker: Path) -> Iterator[int]:
    """Process ids whose command line names `marker` (a run's own profile folder: only the
    browser this run started has it). Linux's /proc; nothing elsewhere."""
    proc = Path("/proc")
    if not proc.is_dir():
        return
    wanted = str(marker).encode()
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue  # ended meanwhile, or not ours to read
        if wanted in command:
            yield int(entry.name)


def kill_leftovers(marker: Path) -> int:
    """Kill, by id, every process still running with the run's profile folder `marker`
    (a renderer orphaned by a crash, a browser whose driver was killed); how many."""
    killed = 0
    for pid in processes_using(marker):
        if pid == os.getpid():
            continue
        try:
            os.kill(pid, signal.SIGKILL)
            killed += 1
        except (ProcessLookupError, PermissionError):
            pass
    return killed


CERTUTIL_HINT = "install certutil (Debian: apt install libnss3-tools)"
MAX_CA_FILE = 4 * 1024 * 1024
MAX_AUTHORITIES = 200
_PEM_CERTIFICATE = re.compile(rb"-----BEGIN CERTIFICATE-----\r?\n.+?-----END CERTIFICATE-----",
                              re.DOTALL)


def trust_ca_file(ca_file: Path, home: Path) -> int:
    """Make a Chromium whose HOME is `home` trust the certificate authorities of `ca_file`
    (PEM), as `--ca-file` makes plain HTTP capture trust them: an NSS database of the run's
    own (`home/.pki/nssdb`, where Chromium on Linux reads the user's trusted roots), each
    certificate added as a trusted CA with certutil. How many were added. Raises
    EnvironmentFault when certutil is missing or refuses a certificate; a usage error when the
    file cannot be read or holds no certificate (ArchiverUsageError)."""
    certutil = shutil.which("certutil")
    if certutil is None:
        raise EnvironmentFault("--ca-file", f"Chromium is told of --ca-file through an NSS "
                               f"database, made with certutil, which is missing; {CERTUTIL_HINT}")
    try:
        pems = _PEM_CERTIFICATE.findall(read_small_file(
            ca_file, MAX_CA_FILE, f"larger than {MAX_CA_FILE >> 20} MiB: not a CA file"))
        if not pems:
            raise UnusableFile("holds no PEM certificate (-----BEGIN CERTIFICATE-----)")
    except UnusableFile as error:
        raise ArchiverUsageError(f"--ca-file {ca_file}: {error.reason}") from error
    database = home / ".pki" / "nssdb"
    database.mkdir(parents=True)
    commands = [["-N", "--empty-password"]]
    for index, pem in enumerate(pems[:MAX_AUTHORITIES]):
        path = database.parent / f"authority-{index}.pem"
        path.write_bytes(pem + b"\n")
        commands.append(["-A", "-t", "C,,", "-n", f"archiver --ca-file {index + 1}",
                         "-i", str(path)])
    for command in commands:
        try:
            subprocess.run([certutil, "-d", f"sql:{database}", *command], check=True,
                           capture_output=True, timeout=30)
        except (subprocess.SubprocessError, OSError) as error:
            said = getattr(error, "stderr", b"") or b""
            raise EnvironmentFault("--ca-file", "certutil could not add its certificates "
                                   "to Chromium's trust: " + (said.decode("utf-8", "replace")
                                   .strip().splitlines() or [str(error)])[-1][:200]) from error
    return len(commands) - 1
