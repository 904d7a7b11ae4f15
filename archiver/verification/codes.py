"""The closed set of codes a `Problem` or a `Note` carries: part of `--json`, so a contract.

docs/package.md ("Problem and note codes") says what each means; tests/test_problem_codes.py
keeps that table, this set and the code base in step. The codes are Literal types, not an
enum: the JSON value is the code itself, and mypy refuses a code that is not in the set.
"""

from __future__ import annotations

from typing import Literal, get_args

from archiver.errors import RefusalCode
from archiver.warc.reader import DamageCode

UncoveredCode = Literal["record-no-digest", "record-headers-not-covered", "arc-no-digests"]
"""What no digest covers whole: a note, or with `strict` a problem of the same code."""

NoteCode = Literal[
    UncoveredCode,
    "payload-digest-dechunked",
    "wacz-no-digest-file",
    "wacz-unlisted",
    "wacz-signed",
    "revisit-records",
]
"""What a `Note` says."""

ProblemCode = Literal[
    DamageCode,
    RefusalCode,
    UncoveredCode,
    "incomplete",
    # the bag
    "missing-file",
    "unlisted-file",
    "bagit-txt-invalid",
    "bag-info-invalid",
    "oxum-mismatch",
    "tag-file-not-utf8",
    "tag-file-invalid",
    "manifest-line-invalid",
    "file-digest-mismatch",
    "file-size-mismatch",
    # manifest.json
    "manifest-json-invalid",
    "manifest-schema",
    "manifest-files-mismatch",
    "manifest-derived-missing",
    "manifest-record-missing",
    "manifest-record-offset",
    "manifest-record-type",
    "manifest-claim-mismatch",
    "manifest-payload-mismatch",
    # WARC records
    "warc-empty",
    "record-field-invalid",
    "record-block-digest-mismatch",
    "record-payload-digest-mismatch",
    "record-digest-invalid",
    "record-unverifiable",
    # ARC files
    "arc-version-block-invalid",
    "arc-header-version-mismatch",
    "arc-record-length-mismatch",
    # zip and WACZ files
    "zip-too-many-entries",
    "zip-directory-invalid",
    "zip-directory-too-large",
    "zip-entry-invalid",
    "zip-entry-too-large",
    "zip-entry-unsafe-path",
    "zip-entry-link",
    "zip-entry-special",
    "zip-entry-encrypted",
    "zip-entry-compression",
    "zip-bomb",
    "zip-entry-duplicate",
    "zip-entries-overlap",
    "zip-entry-corrupt",
    "wacz-file-too-large",
    "wacz-missing-part",
    "wacz-datapackage-invalid",
    # attestations (attestations/, beside the bag)
    "signature-invalid",
    "signature-untrusted-key",
    "signature-unreadable",
    "timestamp-invalid",
    "timestamp-wrong-imprint",
    "timestamp-untrusted-authority",
    "timestamp-unreadable",
    "custody-broken",
    "custody-unreadable",
    "attestation-unknown-file",
    "not-signed",
    "wacz-signature-invalid",
    "wacz-signature-unreadable",
    "wacz-signature-untrusted",
]
"""What a `Problem` says is wrong."""

PROBLEM_CODES: frozenset[str] = frozenset(get_args(ProblemCode))
UNPROVEN_CODES: frozenset[str] = frozenset({"signature-untrusted-key",
                                            "timestamp-untrusted-authority", "not-signed"})
"""Problems that say the bag is not proven to be whose or when it claims (a key or authority
not in the trust list, no signature where one is required), while nothing is damaged."""
ATTESTATION_CODES: frozenset[str] = UNPROVEN_CODES | frozenset({
    "signature-invalid", "signature-unreadable", "timestamp-invalid", "timestamp-wrong-imprint",
    "timestamp-unreadable", "custody-broken", "custody-unreadable",
    "attestation-unknown-file"})
"""Problems found in the attestations rather than in the bag."""
NOTE_CODES: frozenset[str] = frozenset(get_args(NoteCode))
