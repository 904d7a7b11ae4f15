"""The small JSON documents attestations are described by (a signature's record, a custody
entry): written one way, and read back as anything from a package is read, as hostile.

Each is bounded before it is parsed (size, values, nesting) and then checked against its JSON
Schema in schemas/ (`signature`, `custody-entry`).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from archiver.errors import UnreadableEvidence
from archiver.regular_files import read_regular
from archiver.schema_files import load_schema
from archiver.settings import ReadLimits
from archiver.untrusted_json import load_json_object

MAX_DOCUMENT_BYTES = 64 * 1024
"""An attestation's record is well under 2 KiB; a larger one is not ours."""
_LIMITS = ReadLimits(max_json_bytes=MAX_DOCUMENT_BYTES, max_json_values=2_000, max_json_depth=8)


class Unreadable(Exception):
    """An attestation file that is missing, too large, not JSON or not valid against its
    schema: `reason` says which, in words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def dump_document(document: dict[str, Any]) -> bytes:
    """The bytes written for a document: UTF-8, keys sorted, one trailing newline, so that the
    same content is always the same bytes (a custody entry is chained by its SHA-256)."""
    return (json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


def read_bytes(path: Path, what: str, limit: int) -> bytes:
    """The bytes of a regular file of at most `limit` bytes. Raises Unreadable (missing, a
    link, too large); OSError for a failing disk."""
    try:
        return read_regular(path, limit, what)
    except FileNotFoundError:
        raise Unreadable(f"{what} is missing") from None
    except UnreadableEvidence as refused:
        raise Unreadable(str(refused)) from None


def load_document(data: bytes, what: str, schema: str) -> dict[str, Any]:
    """`data` parsed as a document valid against `schemas/<schema>.schema.json`."""
    try:
        document = load_json_object(data, what, limits=_LIMITS)
    except UnreadableEvidence as refused:
        raise Unreadable(str(refused)) from None
    if _fast_validator(schema).is_valid(document):
        return document
    error = next(iter(_validator(schema).iter_errors(document)), None)
    if error is not None:
        where = "/".join(str(part) for part in error.path) or "the document"
        raise Unreadable(f"{what}: not a valid {schema} record ({where}: "
                         f"{str(error.message)[:200]})")
    return document


@cache
def _fast_validator(schema: str) -> Any:
    """jsonschema-rs says valid or not, and loads in a fraction of jsonschema's time (which
    is imported only to word what is wrong)."""
    import jsonschema_rs

    return jsonschema_rs.validator_for(load_schema(schema))


@cache
def _validator(schema: str) -> Any:
    from jsonschema import Draft202012Validator  # type: ignore[import-untyped]

    return Draft202012Validator(load_schema(schema))
