"""A package's provenance: who captured it (the operator, when named), with what (archiver,
its dependencies, Python, OpenSSL, the OS, the settings, the user agent) and, for every
origin, where and over what (archiver/capture/provenance.py).

Each claim is written into the WARC first: the environment and the operator into every
warcinfo record, each origin's facts into a `metadata` record of its own. manifest.json's
`provenance` section restates them and names those records, and verify checks the one
against the other (archiver/verification/manifest_check.py; docs/provenance.md).

Nothing secret is ever recorded: no key, passphrase, token or environment variable; the
operator's name and organisation only when given.
"""

from __future__ import annotations

import hashlib
import platform
import re
import ssl
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import metadata
from typing import Any

from archiver import __version__
from archiver.capture.results import PeerRecord
from archiver.errors import ArchiverUsageError
from archiver.package_layout import record_reference, warc_path
from archiver.provenance_format import (
    OPERATOR_FIELD,
    PROVENANCE_FIELD,
    compact_json,
    warc_fields_bytes,
)
from archiver.warc.writer import WrittenFile

MAX_NAME = 200
"""Longest operator or organisation name: a name, not a document."""
_REQUIREMENT_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


class OperatorNameError(ArchiverUsageError):
    """An operator or organisation name that cannot be recorded (exit 2)."""


@dataclass(frozen=True)
class Operator:
    """Who captured: a name, an organisation, or both (from --operator and --organisation,
    or the user's configuration)."""

    name: str | None = None
    organisation: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", _checked_name("operator", self.name))
        object.__setattr__(self, "organisation",
                           _checked_name("organisation", self.organisation))

    @property
    def is_named(self) -> bool:
        return bool(self.name or self.organisation)

    def to_record(self) -> dict[str, str] | None:
        """manifest.json's `provenance.operator`: None when nobody was named."""
        if not self.is_named:
            return None
        named = {"name": self.name, "organisation": self.organisation}
        return {key: value for key, value in named.items() if value}

    def field_value(self) -> str:
        """The warcinfo `operator` field: "Ana Lima, The Daily Ledger"."""
        return ", ".join(value for value in (self.name, self.organisation) if value)


def _checked_name(label: str, value: str | None) -> str | None:
    """`value` stripped (None when empty); OperatorNameError when it cannot be recorded."""
    text = (value or "").strip()
    if not text:
        return None
    where = f"{label} {text[:40]!r} (--{label}, or {label} in the configuration)"
    if any(_is_unprintable(char) for char in text):
        raise OperatorNameError(f"{where}: a name cannot hold control characters or line "
                                "breaks")
    if len(text) > MAX_NAME:
        raise OperatorNameError(f"{where}: {len(text)} characters; a name has at most "
                                f"{MAX_NAME}")
    return text


_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _is_unprintable(char: str) -> bool:
    """A control character, a line or paragraph separator, a lone surrogate, or a bidi
    override that would make a name show as another. (Zero-width joiners, which names in
    Persian or Hindi need, are fine.)

    >>> [_is_unprintable(chr(c)) for c in (0x0A, 0x2028, 0x202E, 0x200C, 0xE9)]
    [True, True, True, False, False]
    """
    return unicodedata.category(char) in ("Cc", "Cs", "Zl", "Zp") or char in _BIDI_CONTROLS


def capture_environment(user_agent: str) -> dict[str, Any]:
    """What the capture ran with: archiver and every library it requires, Python, OpenSSL
    (it made the TLS connections), the operating system, the user agent sent."""
    return {
        "archiver": __version__,
        "dependencies": dict(_dependency_versions()),
        "python": platform.python_version(),
        "python_implementation": platform.python_implementation(),
        "openssl": ssl.OPENSSL_VERSION,
        "os": platform.platform(),
        "user_agent": user_agent,
    }


@cache
def _dependency_versions() -> tuple[tuple[str, str], ...]:
    """(name, installed version) of each library archiver requires (not its extras), as the
    installed distribution declares them; none when archiver runs from a source tree that
    was never installed."""
    try:
        required = metadata.requires("archiver") or []
    except (metadata.PackageNotFoundError, OSError, ValueError):
        return ()
    found = {}
    for requirement in required:
        match = _REQUIREMENT_NAME.match(requirement)
        if match is None or "extra ==" in requirement:
            continue
        name = match.group(1)
        try:
            found[name] = metadata.version(name) or "unknown"  # None: no Version field
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
        except (OSError, ValueError):  # its metadata cannot be read: say so, capture on
            found[name] = "unreadable"
    return tuple(sorted(found.items(), key=lambda item: item[0].lower()))


def warcinfo_provenance(environment: dict[str, Any], operator: Operator) -> dict[str, str]:
    """The warcinfo fields that carry the provenance: the environment and operator as one
    JSON value (what manifest.json restates), and the operator as WARC 1.1 suggests."""
    fields = {PROVENANCE_FIELD: compact_json({"environment": environment,
                                              "operator": operator.to_record()})}
    if operator.is_named:
        fields[OPERATOR_FIELD] = operator.field_value()
    return fields


def provenance_section(*, environment: dict[str, Any], operator: Operator,
                       warcinfo: dict[str, str], warcs: list[WrittenFile],
                       peers: list[PeerRecord]) -> dict[str, Any]:
    """manifest.json's `provenance`: each claim with the record it is read from."""
    fields = list(warcinfo.items())
    return {
        "operator": operator.to_record(),
        "environment": environment,
        "warcinfo": {
            "fields": [list(pair) for pair in fields],
            "sha256": hashlib.sha256(warc_fields_bytes(fields)).hexdigest(),
            "records": [record_reference(warc_path(warc.path.name), warc.warcinfo_id, 0)
                        for warc in warcs if warc.warcinfo_id is not None],
        },
        "origins": [{**peer.document,
                     "record": record_reference(warc_path(peer.warc_file), peer.record_id,
                                                peer.offset),
                     "sha256": peer.sha256}
                    for peer in sorted(peers, key=lambda p: (p.origin,
                                                             p.document["connected_at"]))],
    }
