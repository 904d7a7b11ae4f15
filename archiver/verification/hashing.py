"""A reader that hashes what passes through it: one read of a zip entry gives its digest
(in whatever algorithm datapackage.json names) and its SHA-256 together."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import IO

ALGORITHMS = ("sha256", "sha512", "sha1", "md5")


def parse_hash(label: str) -> tuple[str, str] | None:
    """(algorithm, lowercase hex) of a Frictionless hash: `sha256:<hex>`, or bare hex for MD5.

    >>> parse_hash("sha256:" + "AB" * 32)[1][:4], parse_hash("0" * 32)
    ('abab', ('md5', '00000000000000000000000000000000'))
    """
    algorithm, _, value = label.rpartition(":")
    algorithm = algorithm.lower() or "md5"
    if algorithm not in ALGORITHMS:
        return None
    value = value.lower()
    if len(value) != hashlib.new(algorithm).digest_size * 2 or not _is_hex(value):
        return None
    return algorithm, value


def _is_hex(text: str) -> bool:
    return all(char in "0123456789abcdef" for char in text)


class HashingReader:
    """Wraps a stream; every block read updates the hashes and the byte count."""

    def __init__(self, stream: IO[bytes], algorithms: set[str],
                 on_read: Callable[[int], object] | None = None) -> None:
        self._stream = stream
        self.hashes = {name: hashlib.new(name) for name in sorted(algorithms | {"sha256"})}
        self.size = 0
        self._on_read = on_read

    def read(self, size: int = -1) -> bytes:
        block = self._stream.read(size)
        for digest in self.hashes.values():
            digest.update(block)
        self.size += len(block)
        if self._on_read is not None and block:
            self._on_read(len(block))
        return block

    def drain(self, block_size: int = 1024 * 1024) -> None:
        while self.read(block_size):
            pass

    def hexdigest(self, algorithm: str) -> str:
        return self.hashes[algorithm].hexdigest()
