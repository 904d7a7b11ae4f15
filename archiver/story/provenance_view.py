"""What the report shows of a package's provenance (manifest.json's `provenance` section):
who captured, with what, and for each site where it answered from and over what."""

from __future__ import annotations

import shlex
from typing import Any

LEAF_PEM = ("python3 -c \"import json,sys; "
            "print(json.load(sys.stdin)['tls']['chain'][0]['pem'], end='')\"")
"""Prints the PEM of the server's own certificate from an origin's provenance record (read
from stdin): no tool beyond Python is needed."""


def provenance_view(provenance: dict[str, Any] | None, package_name: str) -> dict[str, Any] | None:
    """The report's provenance section, or None for a package made without one."""
    if provenance is None:
        return None
    environment = provenance["environment"]
    origins = [_origin_view(entry) for entry in provenance["origins"]]
    first_tls = next((entry for entry in provenance["origins"] if entry["tls"]), None)
    return {
        "operator": ", ".join(value for value in (provenance["operator"] or {}).values()),
        "environment": environment,
        "dependencies": ", ".join(f"{name} {version}" for name, version
                                  in environment["dependencies"].items()),
        "origins": origins,
        "commands": _commands(first_tls, package_name) if first_tls else None,
    }


def _origin_view(entry: dict[str, Any]) -> dict[str, Any]:
    tls = entry["tls"]
    first = tls["chain"][0] if tls and tls["chain"] else None
    # A certificate cryptography could not read has its fingerprint only.
    leaf = ({key: first.get(key) for key in ("subject", "issuer", "not_after", "sha256")}
            if first is not None else None)
    return {
        "origin": entry["origin"],
        "addresses": ", ".join(entry["dns"]["addresses"]) or "-",
        "used": entry["dns"]["used"],
        "tls": f"{tls['version']}, {tls['cipher']}" if tls else "none (plain HTTP)",
        "validation": tls["validation"] if tls else "-",
        "validated": bool(tls and tls["validated"]),
        "reported_by": "Chromium" if entry.get("source") == "chromium-devtools" else None,
        "leaf": leaf,
        "chain_length": len(tls["chain"]) if tls else 0,
        "record": entry["record"],
        "connected_at": entry["connected_at"],
    }


def _commands(entry: dict[str, Any], package_name: str) -> dict[str, str]:
    """How to read one origin's record with standard tools: warcio, Python, openssl."""
    record = entry["record"]
    warc = shlex.quote(f"{package_name}/{record['warc_file']}")
    extract = f"warcio extract --payload {warc} {record['offset']}"
    return {"record": extract,
            "certificate": f"{extract} | {LEAF_PEM} | openssl x509 -noout -text"}
