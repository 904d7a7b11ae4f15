"""archiver's own record of a package: manifest.json, valid against
schemas/manifest.schema.json."""

from __future__ import annotations

import json
import platform
from dataclasses import asdict
from typing import Any

from archiver import __version__
from archiver.capture.results import CaptureResult, RecordRef, Resource, SourceOutcome
from archiver.package.bag import FileDigest
from archiver.package_layout import record_reference, warc_path
from archiver.settings import CaptureSettings
from archiver.timestamps import utc_iso

FORMAT = "archiver-manifest/1"


def environment(settings: CaptureSettings) -> dict[str, str]:
    return {
        "os": platform.platform(),
        "python": platform.python_version(),
        "user_agent": settings.user_agent,
    }


def _record(ref: RecordRef | None) -> dict[str, Any] | None:
    if ref is None:
        return None
    return {**record_reference(warc_path(ref.warc_file), ref.record_id, ref.offset),
            "request_record_id": ref.request_record_id, "request_offset": ref.request_offset}


def resource_entry(resource: Resource, derived: list[dict[str, Any]]) -> dict[str, Any]:
    """A resource as manifest.json's `resources` lists it, with what was derived from it."""
    entry = asdict(resource)
    entry["record"] = _record(resource.record)
    entry["derived"] = derived
    if entry.get("revisit") is None:  # only for a payload stored in another package
        entry.pop("revisit", None)
    strays = entry.pop("stray_bytes")
    if strays:  # only where a server sent bytes after a response: rare, and an anomaly
        entry["stray_bytes"] = [{**stray, "warc_file": warc_path(stray["warc_file"])}
                                for stray in strays]
    return entry


def source_entry(source: SourceOutcome) -> dict[str, Any]:
    """A source as manifest.json's `sources` lists it."""
    final = source.resource
    entry = {
        "requested_url": source.requested_url,
        "url": source.url,
        "outcome": source.outcome,
        "reason": source.reason,
        "final_url": source.final_url,
        "redirects": source.redirects,
        "status": final.status if final else None,
        "content_type": final.content_type if final else None,
        "captured_at": final.captured_at if final else None,
        "record": _record(final.record) if final else None,
        "payload_sha256": final.payload_sha256 if final else None,
        "truncated": final.truncated if final else None,
    }
    if source.captured_with is not None:  # automatic mode: which capture, and why
        entry["captured_with"] = source.captured_with
        entry["captured_with_reason"] = source.captured_with_reason
    return entry


def resource_entries(result: CaptureResult, derived: dict[int, list[dict[str, Any]]]
                     ) -> list[dict[str, Any]]:
    """manifest.json's `resources`: each with what was derived from it (by index)."""
    return [resource_entry(resource, derived.get(index, []))
            for index, resource in enumerate(result.resources)]


def manifest_head(package_id: str, settings: CaptureSettings, started: str, finished: str
                  ) -> dict[str, Any]:
    """What manifest.json says before its sources: the package, the tool, the job."""
    return {
        "format": FORMAT,
        "package_id": package_id,
        "created": utc_iso(),
        "tool": {"name": "archiver", "version": __version__},
        "settings": settings.to_record(),
        "environment": environment(settings),
        "job": {"started": started, "finished": finished},
    }


def build_manifest(
    *,
    package_id: str,
    settings: CaptureSettings,
    result: CaptureResult,
    files: list[FileDigest],
    derived: dict[int, list[dict[str, Any]]] | None = None,
    provenance: dict[str, Any] | None = None,
    text_index: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """manifest.json; `derived` lists, per resource index, the files made from it;
    `provenance` is the section archiver.package.provenance makes; `text_index` the one
    archiver.package.text_index makes."""
    derived = derived or {}
    manifest = {
        **manifest_head(package_id, settings, result.started_at, result.finished_at),
        "sources": [source_entry(source) for source in result.sources],
        "resources": resource_entries(result, derived),
        "files": [asdict(entry) for entry in sorted(files, key=lambda e: e.path)],
        "signatures": [],
        "timestamps": [],
    }
    if provenance is not None:
        manifest["provenance"] = provenance
    if text_index is not None:
        manifest["text_index"] = text_index
    return manifest


def dump_manifest(manifest: dict[str, Any]) -> bytes:
    return (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
