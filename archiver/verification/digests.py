"""WARC digest labels as tools write them: `algorithm:value`, the value in hex, base32 or
base64, and the algorithm spelled several ways (`sha1`, `SHA-1`, `sha256`, `sha-256`).

>>> claim = parse_digest("sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ")
>>> claim.algorithm, claim.encoding, claim.render(bytes(20))
('sha1', 'base32', 'sha1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA')
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from contextlib import suppress
from functools import cache, lru_cache
from typing import Literal, NamedTuple

Encoding = Literal["hex", "base32", "base64"]

_ALGORITHMS = {
    "md5": "md5",
    "sha1": "sha1",
    "sha224": "sha224",
    "sha256": "sha256",
    "sha384": "sha384",
    "sha512": "sha512",
    "sha3224": "sha3_224",
    "sha3256": "sha3_256",
    "sha3384": "sha3_384",
    "sha3512": "sha3_512",
    "blake2b": "blake2b",
    "blake2s": "blake2s",
}


class DigestClaim(NamedTuple):
    """A digest a record claims, decoded: what to hash with and the bytes to expect. (A named
    tuple: one or two are made for every record, tens of thousands per WARC.)"""

    label: str
    algorithm: str
    value: bytes
    encoding: Encoding

    def new_hash(self) -> hashlib._Hash:
        return new_hash(self.algorithm)

    def matches(self, computed: bytes) -> bool:
        return computed == self.value

    def render(self, computed: bytes) -> str:
        """`computed` spelled the way this claim is, so that the two can be compared by eye."""
        prefix = self.label.split(":", 1)[0]
        if self.encoding == "hex":
            value = computed.hex()
            if self.label[len(prefix) + 1:].isupper():
                value = value.upper()
        elif self.encoding == "base32":
            value = base64.b32encode(computed).decode("ascii")
            if "=" not in self.label:
                value = value.rstrip("=")
        else:
            value = base64.b64encode(computed).decode("ascii")
        return f"{prefix}:{value}"


_SHA256_HEX_LENGTH = len("sha256:") + 64
_CONSTRUCTORS = {"sha256": hashlib.sha256, "sha1": hashlib.sha1, "md5": hashlib.md5,
                 "sha512": hashlib.sha512}


def new_hash(algorithm: str) -> hashlib._Hash:
    """A new hash object for hashlib's `algorithm` name (the direct constructors of the
    usual ones cost a third of hashlib.new's lookup, twice for each record)."""
    constructor = _CONSTRUCTORS.get(algorithm)
    return constructor() if constructor is not None else hashlib.new(algorithm)


@lru_cache(maxsize=64)  # every record names one or two, nearly always the same ones
def algorithm_name(name: str) -> str | None:
    """hashlib's name for a WARC digest algorithm name, or None if we do not know it."""
    return _algorithm_name(name)


@cache
def _algorithm_name(name: str) -> str | None:
    return _ALGORITHMS.get(name.strip().lower().replace("-", "").replace("_", ""))


@cache
def _digest_size(algorithm: str) -> int:
    return hashlib.new(algorithm).digest_size


def parse_digest(label: str) -> DigestClaim:
    """Decode a WARC-Block-Digest or WARC-Payload-Digest value; ValueError says why not."""
    if len(label) == _SHA256_HEX_LENGTH and label.startswith("sha256:"):
        # archiver's own spelling, nearly every digest of a package: read at once.
        with suppress(ValueError):
            raw = bytes.fromhex(label[7:])
            if len(raw) == 32:
                return DigestClaim(label, "sha256", raw, "hex")
    name, sep, value = label.strip().partition(":")
    if not sep or not value:
        raise ValueError(f"{label!r} is not of the form algorithm:value")
    algorithm = algorithm_name(name)
    if algorithm is None:
        raise ValueError(f"unknown digest algorithm {name!r}")
    size = _digest_size(algorithm)
    decoded = _decode(value.strip(), size)
    if decoded is None:
        raise ValueError(f"{value!r} is not a {name} digest in hex, base32 or base64")
    return DigestClaim(label.strip(), algorithm, decoded[0], decoded[1])


def _decode(value: str, size: int) -> tuple[bytes, Encoding] | None:
    if len(value) == 2 * size:
        # fromhex also takes spaces between pairs: then fewer bytes come out, and the value
        # is not hex digits alone.
        with suppress(ValueError):
            raw = bytes.fromhex(value)
            if len(raw) == size:
                return raw, "hex"
    encodings: tuple[Encoding, ...] = ("base32", "base64")
    for encoding in encodings:
        try:
            raw = _from_base(value, encoding)
        except (binascii.Error, ValueError):
            continue
        if len(raw) == size:
            return raw, encoding
    return None


def _from_base(value: str, encoding: str) -> bytes:
    stripped = value.rstrip("=")
    if encoding == "base32":
        padded = stripped.upper() + "=" * (-len(stripped) % 8)
        return base64.b32decode(padded)
    padded = stripped + "=" * (-len(stripped) % 4)
    return base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
