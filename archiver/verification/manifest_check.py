"""manifest.json: it parses, it is valid against schemas/manifest.schema.json, its `files`
agree with the bag, and every record it points at is in its WARC with the digest it records.

Every problem found here is about a claim manifest.json makes, so each is reported against
manifest.json, naming the entry (`sources[2]`) that makes it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cache
from typing import Any, NamedTuple

from archiver.errors import UnreadableEvidence
from archiver.package_layout import MANIFEST_JSON
from archiver.provenance_format import (
    PROVENANCE_FIELD,
    SETTINGS_FIELD,
    USER_AGENT_FIELD,
    compact_json,
    document_bytes,
    origin_document,
    warc_fields_bytes,
)
from archiver.schema_files import manifest_schema
from archiver.settings import ReadLimits
from archiver.untrusted_json import load_json_object
from archiver.verification.codes import ProblemCode
from archiver.verification.problems import Note, Problem
from archiver.verification.record_check import RecordInfo


class RecordClaim(NamedTuple):
    """manifest.json says: record `record_id`, a `record_type`, is at `offset` in `warc_file`,
    and (`facts`) what the record states: its status, content type, date...

    (A named tuple: a manifest makes tens of thousands of claims, and a frozen dataclass
    costs several times more to build.)"""

    where: str
    warc_file: str
    record_id: str
    offset: int
    record_type: str
    payload_sha256: str | None
    facts: tuple[tuple[str, object], ...] = ()
    """(manifest key, value) pairs, each checked against the record (see _FACTS)."""
    digest_key: str = "payload_sha256"
    """The manifest key that gives `payload_sha256` (a record that is not HTTP: its
    block's)."""


_FACTS = {
    "status": ("status", "HTTP status"),
    "content_type": ("content_type", "content type"),
    "payload_length": ("payload_length", "payload length"),
    "truncated": ("truncated", "WARC-Truncated"),
    "captured_at": ("date", "WARC-Date"),
    "ip_address": ("ip_address", "WARC-IP-Address"),
    "url": ("target_uri", "WARC-Target-URI"),
    "final_url": ("target_uri", "WARC-Target-URI"),
    "redirect_to": ("redirect_target", "its redirect status and Location"),
}
"""A manifest key whose value restates the response record: the `RecordInfo` field it must
equal, and how a person names that part of the record."""
_CLAIMED = {"sources": ("status", "content_type", "truncated", "captured_at", "final_url"),
            "resources": ("status", "content_type", "payload_length", "truncated",
                          "captured_at", "ip_address", "url", "redirect_to"),
            "story.sources": ("status", "content_type", "captured_at", "final_url")}
"""Which keys of each kind of entry restate its response record."""


@dataclass(frozen=True)
class FileClaim:
    path: str
    size: int | None
    sha256: str | None


@cache
def _validator() -> Any:
    # Imported here: jsonschema takes a tenth of a second to import, and with jsonschema-rs
    # installed it is only needed to word the errors of a manifest that is not valid.
    from jsonschema import Draft202012Validator  # type: ignore[import-untyped]

    return Draft202012Validator(manifest_schema())


@cache
def _fast_validator() -> Any:
    """jsonschema-rs says valid or not some 40 times faster than jsonschema, which matters for
    a manifest of thousands of resources; jsonschema then words any errors."""
    import jsonschema_rs

    return jsonschema_rs.validator_for(manifest_schema())


def load_manifest(data: bytes, problems: list[Problem],
                  limits: ReadLimits | None = None) -> dict[str, Any] | None:
    """The parsed document, or None (with the reason among `problems`). Its size, values
    and nesting are bounded before it is parsed, and so before it is validated."""
    try:
        return load_json_object(data, MANIFEST_JSON, limits=limits or ReadLimits())
    except UnreadableEvidence as refused:
        problems.append(Problem("manifest-json-invalid", MANIFEST_JSON, refused.reason))
        return None


def schema_problems(document: dict[str, Any]) -> list[Problem]:
    fast = _fast_validator()
    if fast.is_valid(document):
        return []
    # jsonschema words every error, so the report reads the same whichever validator ran.
    errors = sorted(_validator().iter_errors(document), key=lambda error: error.json_path)
    return [Problem("manifest-schema", MANIFEST_JSON,
                    f"{error.json_path} is not valid against the manifest schema: "
                    f"{_shorten(error.message)}")
            for error in errors]


def _shorten(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


def file_claims(document: dict[str, Any]) -> dict[str, FileClaim]:
    claims: dict[str, FileClaim] = {}
    for entry in _list(document.get("files")):
        path = entry.get("path")
        if isinstance(path, str):
            size, sha256 = entry.get("size"), entry.get("sha256")
            claims[path] = FileClaim(path, size if _is_int(size) else None,
                                     sha256 if isinstance(sha256, str) else None)
    return claims


def derived_problems(document: dict[str, Any], files: dict[str, FileClaim]) -> list[Problem]:
    """Every derived file a resource names, and the text index, is one of the package's
    files."""
    problems = []
    for index, item in enumerate(_list(document.get("resources"))):
        for derived in _list(item.get("derived")):
            path = derived.get("path")
            if isinstance(path, str) and path not in files:
                problems.append(Problem("manifest-derived-missing", MANIFEST_JSON,
                                        f"resources[{index}] names the derived file {path}, "
                                        "which files does not list"))
    text_index = document.get("text_index")
    path = text_index.get("path") if isinstance(text_index, dict) else None
    if isinstance(path, str) and path not in files:
        problems.append(Problem("manifest-derived-missing", MANIFEST_JSON,
                                f"text_index names the derived file {path}, which files does "
                                "not list"))
    return problems


_REFERENCES = (("record_id", "offset", "response"),
               ("request_record_id", "request_offset", "request"))


def record_claims(document: dict[str, Any]) -> list[RecordClaim]:
    """Every record reference in sources and resources, each distinct claim once (where
    first made)."""
    # Keyed by where the record is; the facts told about it (which differ between a source
    # and its resource) are compared only when two claims name the same record, so a key
    # hashes a few strings rather than every fact.
    claims: dict[tuple[Any, ...], list[RecordClaim]] = {}
    revisits = revisit_records(document)
    for section in ("sources", "resources"):
        for index, item in enumerate(_list(document.get(section))):
            record = item.get("record")
            if not isinstance(record, dict):
                continue
            warc_file = record.get("warc_file")
            if not isinstance(warc_file, str):
                continue  # the schema check has said what is wrong
            payload = item.get("payload_sha256")
            for id_key, offset_key, record_type in _REFERENCES:
                record_id, offset = record.get(id_key), record.get(offset_key)
                if type(record_id) is not str or type(offset) is not int:
                    continue  # (bool is not int here, as JSON has it)
                response = record_type == "response"
                claimed = payload if response and type(payload) is str else None
                facts = _facts(item, section) if response else ()
                if response and record_id in revisits:
                    record_type = "revisit"  # its head is there; its payload elsewhere
                    facts = tuple(fact for fact in facts if fact[0] != "payload_length")
                key = (warc_file, record_id, offset, record_type, claimed)
                same = claims.get(key)
                if same is None:
                    claims[key] = [RecordClaim(f"{section}[{index}]", warc_file, record_id,
                                               offset, record_type, claimed, facts)]
                elif all(other.facts != facts for other in same):
                    same.append(RecordClaim(f"{section}[{index}]", warc_file, record_id,
                                            offset, record_type, claimed, facts))
    for claim in (_derived_claims(document) + _stray_claims(document)
                  + _story_claims(document, revisits) + provenance_claims(document)):
        same = claims.setdefault(claim[1:-2], [])
        if all(other.facts != claim.facts for other in same):
            same.append(claim)
    return [claim for same in claims.values() for claim in same]


def revisit_records(document: dict[str, Any]) -> frozenset[str]:
    """The record ids of the resources written as revisits (`--dedup`: `revisit` says of
    which package's record): the record each names is a revisit, not a response."""
    return frozenset(
        str(record.get("record_id")) for item in _list(document.get("resources"))
        if isinstance(item.get("revisit"), dict) and isinstance(record := item.get("record"),
                                                                dict))


def revisit_note(document: dict[str, Any]) -> Note | None:
    """Which resources are revisits, and the packages that hold their payloads: to replay
    or read those payloads, those packages are needed too (docs/collections.md)."""
    packages = sorted({str(item["revisit"].get("package"))
                       for item in _list(document.get("resources"))
                       if isinstance(item.get("revisit"), dict)})
    if not packages:
        return None
    count = len(revisit_records(document))
    return Note("revisit-records", MANIFEST_JSON,
                f"{count} response{'s are' if count != 1 else ' is'} written as revisit "
                f"records (captured with --dedup): the payload is in package "
                f"{', '.join(packages)}, which replay needs beside this one")


def _facts(item: dict[str, Any], kind: str) -> tuple[tuple[str, object], ...]:
    """What an entry states about its response record (keys it leaves out are not judged)."""
    return tuple([(key, item[key]) for key in _CLAIMED[kind] if key in item])


_DERIVED_RECORD_TYPES = {"text": "conversion", "extraction": "metadata",
                         "screenshot": "resource", "pdf": "resource", "rendered-dom": "resource"}
_SAME_BYTES = frozenset({"text", "screenshot", "pdf", "rendered-dom"})
"""Derived files whose record holds exactly their bytes (its payload digest is theirs)."""


def _derived_claims(document: dict[str, Any]) -> list[RecordClaim]:
    """The conversion, metadata and resource records each derived file names."""
    found = []
    for index, item in enumerate(_list(document.get("resources"))):
        for number, derived in enumerate(_list(item.get("derived"))):
            kind = str(derived.get("kind"))
            # A text file's bytes are its conversion record's; the metadata record holds the
            # extraction without its text, so only where it is can be checked.
            claim = _pointer_claim(f"resources[{index}].derived[{number}]",
                                   derived.get("record"), _DERIVED_RECORD_TYPES.get(kind),
                                   derived.get("sha256") if kind in _SAME_BYTES else None)
            if claim is not None:
                found.append(claim)
    return found


def _stray_claims(document: dict[str, Any]) -> list[RecordClaim]:
    """The records that keep bytes a server sent after the end of a response."""
    found = []
    for index, item in enumerate(_list(document.get("resources"))):
        for number, stray in enumerate(_list(item.get("stray_bytes"))):
            claim = _pointer_claim(f"resources[{index}].stray_bytes[{number}]", stray,
                                   "resource", stray.get("sha256"))
            if claim is not None:
                found.append(claim)
    return found


def _story_claims(document: dict[str, Any], revisits: frozenset[str] = frozenset()
                  ) -> list[RecordClaim]:
    """The records story mode's chain names: the story's own (a response, or a draft's
    resource record) and each cited source's response."""
    story = document.get("story")
    if not isinstance(story, dict):
        return []
    kind = "resource" if story.get("kind") == "draft" else "response"
    found = [_pointer_claim("story", story.get("record"), kind, story.get("payload_sha256"))]
    for index, source in enumerate(_list(story.get("sources"))):
        record = source.get("record")
        named = record.get("record_id") if isinstance(record, dict) else None
        found.append(_pointer_claim(f"story.sources[{index}]", record,
                                    "revisit" if named in revisits else "response",
                                    source.get("payload_sha256"),
                                    _facts(source, "story.sources")))
    return [claim for claim in found if claim is not None]


def _pointer_claim(where: str, record: object, record_type: str | None,
                   sha256: object, facts: tuple[tuple[str, object], ...] = (),
                   digest_key: str = "payload_sha256") -> RecordClaim | None:
    if not isinstance(record, dict) or record_type is None:
        return None
    warc_file, record_id, offset = (record.get("warc_file"), record.get("record_id"),
                                    record.get("offset"))
    if type(warc_file) is not str or type(record_id) is not str or type(offset) is not int:
        return None  # the schema check has said what is wrong
    return RecordClaim(where, warc_file, record_id, offset, record_type,
                       sha256 if type(sha256) is str else None, facts, digest_key)


def provenance_claims(document: dict[str, Any]) -> list[RecordClaim]:
    """The records `provenance` names: every WARC's warcinfo record, holding the fields it
    lists (their SHA-256), and each origin's metadata record, holding its JSON (its SHA-256)
    with the address used as WARC-IP-Address."""
    provenance = document.get("provenance")
    if not isinstance(provenance, dict):
        return []
    warcinfo = provenance.get("warcinfo")
    warcinfo = warcinfo if isinstance(warcinfo, dict) else {}
    found = [_pointer_claim(f"provenance.warcinfo.records[{index}]", record, "warcinfo",
                            warcinfo.get("sha256"), digest_key="provenance.warcinfo.sha256")
             for index, record in enumerate(_list(warcinfo.get("records")))]
    for index, origin in enumerate(_list(provenance.get("origins"))):
        dns = origin.get("dns")
        used = dns.get("used") if isinstance(dns, dict) else None
        found.append(_pointer_claim(f"provenance.origins[{index}]", origin.get("record"),
                                    "metadata", origin.get("sha256"),
                                    (("ip_address", used),) if type(used) is str else (),
                                    digest_key="sha256"))
    return [claim for claim in found if claim is not None]


def provenance_problems(document: dict[str, Any]) -> list[Problem]:
    """What `provenance` states is what the records it names hold: the warcinfo fields and
    each origin's JSON, as archiver writes them, hash to the SHA-256 it gives for each
    record (checked against the records by `provenance_claims`); and the environment,
    operator, settings and user agent it restates are those of the warcinfo fields."""
    provenance = document.get("provenance")
    if not isinstance(provenance, dict):
        return []
    problems = _warcinfo_problems(document, provenance)
    for index, origin in enumerate(_list(provenance.get("origins"))):
        claimed = origin.get("sha256")
        if type(claimed) is not str:
            continue  # the schema check has said what is wrong
        held = hashlib.sha256(document_bytes(origin_document(origin))).hexdigest()
        if held != claimed:
            problems.append(Problem(
                "manifest-claim-mismatch", MANIFEST_JSON,
                f"provenance.origins[{index}] ({_shown(origin.get('origin'))}): what it states "
                "(addresses, TLS, certificates) is not what its metadata record holds: "
                "written as archiver writes the record, it has another SHA-256",
                claimed, held))
    return problems


_RESTATED_FIELDS = ((PROVENANCE_FIELD, "provenance.environment and provenance.operator"),
                    (SETTINGS_FIELD, "settings"), (USER_AGENT_FIELD, "environment.user_agent"))


def _warcinfo_problems(document: dict[str, Any], provenance: dict[str, Any]) -> list[Problem]:
    warcinfo = provenance.get("warcinfo")
    fields = warcinfo.get("fields") if isinstance(warcinfo, dict) else None
    if not isinstance(fields, list) or not all(
            isinstance(pair, list) and len(pair) == 2 and all(type(x) is str for x in pair)
            for pair in fields):
        return []  # the schema check has said what is wrong
    assert isinstance(warcinfo, dict)
    problems = []
    held = hashlib.sha256(warc_fields_bytes((name, value) for name, value in fields)).hexdigest()
    if held != warcinfo.get("sha256"):
        problems.append(Problem("manifest-claim-mismatch", MANIFEST_JSON,
                                "provenance.warcinfo: its fields are not what its warcinfo "
                                "records hold: written as a warcinfo block, they have another "
                                "SHA-256", _shown(warcinfo.get("sha256")), held))
    stated = dict(fields)
    environment = document.get("environment")
    restated = {
        PROVENANCE_FIELD: compact_json({"environment": provenance.get("environment"),
                                        "operator": provenance.get("operator")}),
        SETTINGS_FIELD: json.dumps(document.get("settings"), sort_keys=True),
        USER_AGENT_FIELD: (environment.get("user_agent")
                           if isinstance(environment, dict) else None),
    }
    for name, where in _RESTATED_FIELDS:
        if stated.get(name) != restated[name]:
            problems.append(Problem("manifest-claim-mismatch", MANIFEST_JSON,
                                    f"{where} is not what the warcinfo records state (their "
                                    f"field {name})", _shown(restated[name]),
                                    _shown(stated.get(name))))
    return problems


def _list(value: object) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def reference_problems(claims: list[RecordClaim], found: dict[str, dict[str, RecordInfo]],
                       unreadable: set[str], damaged: dict[str, set[int]]) -> list[Problem]:
    """Check each claim against the records found in its WARC.

    `found` maps a WARC path to the records read there. Claims on WARCs in `unreadable`
    (missing from the package) or at an offset in `damaged` (a broken gzip member) are not
    judged: that damage is already reported, naming the file and offset.
    """
    problems: list[Problem] = []
    unknown: dict[str, list[RecordClaim]] = {}
    for claim in claims:
        if claim.warc_file in unreadable or claim.offset in damaged.get(claim.warc_file, ()):
            continue
        if claim.warc_file not in found:
            unknown.setdefault(claim.warc_file, []).append(claim)
            continue
        problems.extend(_judge(claim, found[claim.warc_file].get(claim.record_id)))
    for warc_file, pointing in unknown.items():
        # One line for the file, not one for each of its records.
        problems.append(Problem("manifest-record-missing", MANIFEST_JSON,
                                f"{len(pointing)} record references (the first in "
                                f"{pointing[0].where}) point at {warc_file}, which is not a "
                                "WARC file of this package"))
    return problems


def _judge(claim: RecordClaim, info: RecordInfo | None) -> list[Problem]:
    if info is None or info.offset != claim.offset or info.record_type != claim.record_type:
        return [_misplaced(claim, info)]
    if not info.intact:
        return []  # what a damaged record holds is not evidence; its damage is reported
    found = []
    if claim.payload_sha256 is not None and info.payload_sha256 != claim.payload_sha256:
        found.append(_claim_problem(claim, "manifest-payload-mismatch", f"{claim.digest_key} is "
                                    f"not the SHA-256 of the record's payload in "
                                    f"{claim.warc_file}", claim.payload_sha256,
                                    info.payload_sha256))
    for key, claimed in claim.facts:
        field, named = _FACTS[key]
        stated = getattr(info, field)
        if claimed != stated or type(claimed) is not type(stated):
            found.append(_claim_problem(claim, "manifest-claim-mismatch", f"{key} is not what "
                                        f"its {claim.record_type} record in {claim.warc_file} "
                                        f"states ({named})", _shown(claimed), _shown(stated)))
    return found


def _misplaced(claim: RecordClaim, info: RecordInfo | None) -> Problem:
    """The record a claim names is not where, or not what, the claim says."""
    if info is None:
        return _claim_problem(claim, "manifest-record-missing", f"its {claim.record_type} "
                              f"record is not in {claim.warc_file}")
    if info.offset != claim.offset:
        return _claim_problem(claim, "manifest-record-offset", f"its {claim.record_type} "
                              f"record is at another offset in {claim.warc_file}",
                              claim.offset, info.offset)
    return _claim_problem(claim, "manifest-record-type", "the record it names in "
                          f"{claim.warc_file} is not a {claim.record_type} record",
                          claim.record_type, info.record_type)


def _claim_problem(claim: RecordClaim, code: ProblemCode, message: str, expected: object = None,
                   found: object = None) -> Problem:
    return Problem(code, MANIFEST_JSON, f"{claim.where}: {message}",
                   None if expected is None else str(expected),
                   None if found is None else str(found), claim.record_id, claim.offset)


def _shown(value: object) -> str:
    return "none" if value is None else str(value)
