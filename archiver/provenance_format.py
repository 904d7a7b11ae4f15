"""How provenance is written into records, byte for byte: the one spelling the builder
writes and verify rebuilds.

manifest.json restates each provenance record: an origin's metadata record holds
`document_bytes` of the very object its manifest.json entry holds (less `record` and
`sha256`), and a warcinfo record holds `warc_fields_bytes` of the fields manifest.json lists.
So verify checks a provenance claim against its record with no need to read the record
again: the bytes the claim makes, hashed, must be the record's block digest, which the
fixity pass computes anyway (docs/provenance.md). A module that imports nothing of
archiver's: the WARC layer and verification both use it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

PROVENANCE_TYPE = "application/json"
"""Content-Type of an origin's provenance record (a WARC `metadata` record)."""
PROVENANCE_FIELD = "archiver-provenance"
"""The warcinfo field holding the capture environment and the operator, as JSON."""
SETTINGS_FIELD = "archiver-settings"
USER_AGENT_FIELD = "http-header-user-agent"
OPERATOR_FIELD = "operator"
"""The field WARC 1.1 suggests for whoever made the file (its name, here with the
organisation)."""
OUTSIDE_DOCUMENT = ("record", "sha256")
"""The keys of an origin's manifest.json entry that point at its record rather than
restating it."""


def document_bytes(document: dict[str, Any]) -> bytes:
    """An origin's provenance record's block: its JSON, keys sorted, indented for a person
    reading it with `warcio extract`.

    >>> document_bytes({"b": [1], "a": "é"}).decode()
    '{\\n  "a": "é",\\n  "b": [\\n    1\\n  ]\\n}\\n'
    """
    return (json.dumps(document, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
            ).encode("utf-8")


def origin_document(entry: dict[str, Any]) -> dict[str, Any]:
    """What an origin's manifest.json entry says its record holds."""
    return {key: value for key, value in entry.items() if key not in OUTSIDE_DOCUMENT}


def warc_fields_bytes(fields: Iterable[tuple[str, str]]) -> bytes:
    """A warcinfo record's block (application/warc-fields): one `name: value` line each.

    >>> warc_fields_bytes([("software", "archiver/1"), ("robots", "ignore")])
    b'software: archiver/1\\r\\nrobots: ignore\\r\\n'
    """
    return "".join(f"{name}: {value}\r\n" for name, value in fields).encode("utf-8")


def compact_json(value: Any) -> str:
    """JSON on one line, ASCII only: safe as a warc-fields value (no line break can appear).

    >>> compact_json({"name": "Ana\\nLima"})
    '{"name":"Ana\\\\nLima"}'
    """
    return json.dumps(value, sort_keys=True, separators=(",", ":"))
