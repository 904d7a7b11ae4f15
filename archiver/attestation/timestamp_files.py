"""The timestamp files of a package, named and found one way (the layout is
`archiver.attestation.layout`'s docstring):

    attestations/timestamps/<NN>-<tsa>.tsr    the TSA's reply, byte for byte
    attestations/timestamps/<NN>-<tsa>.json   what it stamps (schemas/timestamp.schema.json)
    attestations/timestamps/renewal-<NN>.txt  `<sha256>  <path>` of every earlier attestation

<NN> counts tokens in the order they were added, from 01 (more than 99 makes 100, 101...);
<tsa> is the authority's host (and port), so a person sees at a glance who stamped what.

What a first timestamp stamps: the package's signature, when it is signed (the first
signature by file name, when several are), else tagmanifest-sha256.txt. Every later
`archiver timestamp` stamps a renewal list instead, which names every attestation file there
was (signatures added since included), so one chain covers them all.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from archiver.attestation.layout import ATTESTATIONS_DIR, TIMESTAMPS_DIR
from archiver.package_layout import TAG_MANIFEST
from archiver.regular_files import open_regular, real_directory, regular_files_in

TOKEN_SUFFIX = ".tsr"
SIDECAR_SUFFIX = ".json"
MAX_SIDECAR_BYTES = 64 * 1024
MAX_RENEWAL_BYTES = 4 << 20
"""A renewal list names a few files a line each; megabytes of it is not one."""

_TOKEN_NAME = re.compile(r"^(\d{2,})-([A-Za-z0-9._-]{1,80})\.tsr$")
_RENEWAL_NAME = re.compile(r"^renewal-(\d{2,})\.txt$")
_SIGNATURE_NAME = re.compile(r"^signature-[0-9A-F]{16}\.sig$")


def tsa_label(url: str) -> str:
    """A TSA's name in its token's file name: its host and port, nothing a file name can't hold.

    >>> tsa_label("https://freetsa.org/tsr"), tsa_label("http://127.0.0.1:8080/x")
    ('freetsa.org', '127.0.0.1-8080')
    """
    parts = urlsplit(url)
    host = (parts.hostname or "tsa").lower()
    label = f"{host}-{parts.port}" if parts.port else host
    return re.sub(r"[^a-z0-9._-]", "-", label)[:80] or "tsa"


def token_name(number: int, url: str) -> str:
    """
    >>> token_name(3, "http://timestamp.digicert.com")
    '03-timestamp.digicert.com.tsr'
    """
    return f"{number:02d}-{tsa_label(url)}{TOKEN_SUFFIX}"


def renewal_name(number: int) -> str:
    return f"renewal-{number:02d}.txt"


@dataclass(frozen=True)
class TimestampFiles:
    """The timestamp files found in a package, by name (each a path from the package root)."""

    tokens: tuple[str, ...]
    renewals: tuple[str, ...]

    def next_token_number(self) -> int:
        return _next(self.tokens, _TOKEN_NAME)

    def next_renewal_number(self) -> int:
        return _next(self.renewals, _RENEWAL_NAME)


def _next(paths: tuple[str, ...], pattern: re.Pattern[str]) -> int:
    numbers = [int(match.group(1)) for path in paths
               if (match := pattern.match(path.rsplit("/", 1)[-1]))]
    return max(numbers, default=0) + 1


def find_timestamp_files(package: Path) -> TimestampFiles:
    """The tokens and renewal lists in `package` (never following a link to a folder)."""
    folder = real_directory(package, TIMESTAMPS_DIR)
    if folder is None:
        return TimestampFiles((), ())
    names = [path.name for path in regular_files_in(folder)]
    return TimestampFiles(
        tokens=tuple(f"{TIMESTAMPS_DIR}/{name}" for name in names if _TOKEN_NAME.match(name)),
        renewals=tuple(f"{TIMESTAMPS_DIR}/{name}" for name in names
                       if _RENEWAL_NAME.match(name)))


def signature_files(package: Path) -> list[str]:
    """The package's signatures (`attestations/signature-<FP16>.sig`), sorted by name."""
    folder = real_directory(package, ATTESTATIONS_DIR)
    if folder is None:
        return []
    return [f"{ATTESTATIONS_DIR}/{path.name}" for path in regular_files_in(folder)
            if _SIGNATURE_NAME.match(path.name)]


def attestation_files(package: Path) -> list[str]:
    """Every regular file under attestations/, sorted (what a renewal list names)."""
    root = real_directory(package, ATTESTATIONS_DIR)
    if root is None:
        return []
    found: list[str] = []
    folders = [root]
    while folders:  # a loop, not recursion: the tree came from elsewhere
        folder = folders.pop()
        for entry in sorted(folder.iterdir()):
            if entry.is_symlink() or entry.name.startswith("."):
                continue  # links, and hidden partial work of a run not finished
            if entry.is_dir():
                folders.append(entry)
            elif entry.is_file():
                found.append(entry.relative_to(package).as_posix())
    return sorted(found)


def is_stampable(path: str) -> bool:
    """Whether a token may stamp this file: the tag manifest, a signature or a renewal list.
    A token over anything else (bagit.txt, say) proves nothing about the package.

    >>> [is_stampable(p) for p in ("tagmanifest-sha256.txt", "bagit.txt",
    ...                            "attestations/timestamps/renewal-01.txt")]
    [True, False, True]
    """
    if path == TAG_MANIFEST:
        return True
    folder, _, name = path.rpartition("/")
    return ((folder == ATTESTATIONS_DIR and bool(_SIGNATURE_NAME.match(name)))
            or (folder == TIMESTAMPS_DIR and bool(_RENEWAL_NAME.match(name))))


def sidecar_of(token: str) -> str:
    return token[: -len(TOKEN_SUFFIX)] + SIDECAR_SUFFIX


def parse_renewal(text: str) -> list[tuple[str, str]]:
    """The (sha256, path) pairs of a renewal list; ValueError naming the first bad line.

    >>> parse_renewal("ab" * 32 + "  attestations/signature-0011223344556677.sig\\n")[0][1]
    'attestations/signature-0011223344556677.sig'
    """
    pairs: list[tuple[str, str]] = []
    for number, line in enumerate(text.splitlines(), 1):
        digest, sep, path = line.partition("  ")
        if not sep or not re.fullmatch(r"[0-9a-f]{64}", digest) or not path.startswith(
                f"{ATTESTATIONS_DIR}/") or ".." in path.split("/") or "\\" in path:
            raise ValueError(f"line {number} is not `<sha256>  attestations/<path>`")
        pairs.append((digest, path))
    return pairs


def renewal_text(pairs: list[tuple[str, str]]) -> str:
    return "".join(f"{digest}  {path}\n" for digest, path in pairs)


def file_digest(package: Path, path: str, algorithm: str = "sha256") -> hashlib._Hash:
    """The `algorithm` digest of the package's regular file `path`, read in blocks (the one
    way the timestamp modules hash a file). Raises FileNotFoundError and other OSErrors,
    and UnreadableEvidence for what is not a regular file (a link, a device)."""
    with os.fdopen(open_regular(package / path, path), "rb", buffering=0) as handle:
        return hashlib.file_digest(handle, algorithm)
