"""manifest.json written as it streams: for a job whose lists of sources and resources are
too long to hold in memory (a cluster capture of a million URLs). The bytes are exactly those
`dump_manifest` writes for the same manifest held whole, so the two cannot be told apart.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from archiver.package.bag import FileDigest
from archiver.package_layout import MANIFEST_JSON

_ITEM_INDENT = "    "
"""An item of a list held by a top-level key sits two levels deep (indent 2)."""


class _HashingFile:
    def __init__(self, path: Path) -> None:
        self._out = path.open("xb")
        self.size = 0
        self.sha256 = hashlib.sha256()

    def write(self, text: str) -> None:
        data = text.encode("utf-8")
        self._out.write(data)
        self.size += len(data)
        self.sha256.update(data)

    def close(self) -> None:
        self._out.close()


def write_manifest_streaming(root: Path, manifest: Mapping[str, Any],
                             streamed: Mapping[str, Iterable[Any]]) -> FileDigest:
    """Write `root`/manifest.json: `manifest`, with each key of `streamed` (present in
    `manifest`, its value there ignored) filled from its iterable one item at a time."""
    markers = {key: f"\x00archiver-streamed-{index}\x00" for index, key in enumerate(streamed)}
    skeleton = {key: markers.get(key, value) for key, value in manifest.items()}
    text = json.dumps(skeleton, indent=2, ensure_ascii=False) + "\n"
    out = _HashingFile(root / MANIFEST_JSON)
    try:
        for key, marker in markers.items():
            before, found, text = text.partition(json.dumps(marker))
            if not found:
                raise RuntimeError(f"manifest key {key!r} to stream is not in the manifest")
            out.write(before)
            _write_list(out, streamed[key])
        out.write(text)
    finally:
        out.close()
    return FileDigest(MANIFEST_JSON, out.size, out.sha256.hexdigest())


def _write_list(out: _HashingFile, items: Iterable[Any]) -> None:
    first = True
    for item in items:
        dumped = json.dumps(item, indent=2, ensure_ascii=False)
        out.write(("[\n" if first else ",\n")
                  + "\n".join(_ITEM_INDENT + line for line in dumped.split("\n")))
        first = False
    out.write("[]" if first else "\n  ]")
