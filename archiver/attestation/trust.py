"""The trust list: which timestamp authorities' roots and which signers' keys the user trusts.

It is built from PEM files the user names (`verify --trust PEM`, repeatable, and `trust` in the
configuration), the public keys in the user's own keys folder (`keys/` beside the
configuration file: `archiver key new` puts each new key's public half there, so a user's
own packages verify as theirs on their machine), plus a small documented list of well-known
public TSA roots shipped with archiver (`tsa_roots.pem` beside this module;
docs/attestations.md lists them). A PEM file may hold certificates (roots of timestamp
authorities), public keys (signers), or both.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from archiver.attestation.keys import KeyFileError, PublicKey, load_public_key
from archiver.config import UserConfig, config_path, load_config
from archiver.errors import ArchiverUsageError, EnvironmentFault
from archiver.user_files import UnusableFile, read_small_file

TRUSTED_KEYS_DIR = "keys"
"""The folder, beside the configuration file, of public keys the user trusts as their own."""

_MAX_PEM_BYTES = 4 << 20
"""A trust file holds a few certificates and keys; anything far larger is a mistake."""


class TrustFileError(ArchiverUsageError):
    """A trust file that cannot be used (exit 2): its path and the reason."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: not a usable trust file ({reason})")
        self.path = path


@dataclass(frozen=True)
class TrustList:
    """Roots (certificates) and signer keys a verification accepts."""

    roots: tuple[x509.Certificate, ...] = ()
    signers: tuple[PublicKey, ...] = ()
    sources: tuple[str, ...] = field(default=(), compare=False)
    """Where each part came from, for messages: file paths, and "archiver's default TSA roots"."""

    def trusts_key(self, key: PublicKey) -> bool:
        return any(key.fingerprint == known.fingerprint for known in self.signers)

    def root_for(self, certificate: x509.Certificate) -> x509.Certificate | None:
        """The trusted root equal to `certificate` (same DER), if any."""
        wanted = certificate.public_bytes(serialization.Encoding.DER)
        for root in self.roots:
            if root.public_bytes(serialization.Encoding.DER) == wanted:
                return root
        return None


def certificate_fingerprint(certificate: x509.Certificate) -> str:
    """SHA-256 of a certificate's DER, upper-case hex: how a root is named in messages."""
    return hashlib.sha256(certificate.public_bytes(serialization.Encoding.DER)).hexdigest().upper()


def load_trust(paths: Iterable[Path], *, with_defaults: bool = True) -> TrustList:
    """The trust list from these PEM files, plus archiver's default TSA roots unless told not
    to. Raises TrustFileError naming a file that holds neither a certificate nor a key."""
    roots: list[x509.Certificate] = []
    signers: list[PublicKey] = []
    sources: list[str] = []
    if with_defaults:
        defaults = default_tsa_roots()
        if defaults:
            roots.extend(defaults)
            sources.append("archiver's default TSA roots")
    for path in paths:
        file_roots, file_keys = _read_trust_file(path)
        roots.extend(file_roots)
        signers.extend(file_keys)
        sources.append(str(path))
    return TrustList(tuple(roots), tuple(signers), tuple(sources))


def user_keys_dir() -> Path:
    """The user's own trusted keys: `keys/` beside the configuration file (which need not
    exist), e.g. ~/.config/archiver/keys/."""
    return config_path().parent / TRUSTED_KEYS_DIR


def user_trust(extra: Iterable[Path] = (), config: UserConfig | None = None) -> TrustList:
    """The trust list a verification on this machine uses: `extra` (verify --trust), the
    configuration's `trust` files, every *.pem in the user's keys folder, and the default
    TSA roots. Raises TrustFileError (or ConfigError) naming a file that cannot be used."""
    config = config if config is not None else load_config()
    folder = user_keys_dir()
    own = sorted(folder.glob("*.pem")) if folder.is_dir() else []
    return load_trust([*extra, *config.trust, *own])


def trust_own_key(public: PublicKey) -> Path:
    """Put `public` in the user's keys folder (made, for the user alone, if missing), so that
    packages it signs verify as trusted on this machine; the file's path back. A key already
    there is left as it is."""
    folder = user_keys_dir()
    path = folder / f"{public.fingerprint[:16]}.pub.pem"
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        with path.open("x", encoding="ascii") as handle:
            handle.write(public.pem)
    except FileExistsError:
        pass
    except OSError as exc:
        raise EnvironmentFault.from_os_error(exc, path) from None
    return path


def default_tsa_roots() -> list[x509.Certificate]:
    """The well-known public TSA roots shipped with archiver (empty if the file is absent)."""
    bundle = resources.files("archiver.attestation").joinpath("tsa_roots.pem")
    if not bundle.is_file():
        return []
    return x509.load_pem_x509_certificates(bundle.read_bytes())


def _read_trust_file(path: Path) -> tuple[list[x509.Certificate], list[PublicKey]]:
    try:
        data = read_small_file(path, _MAX_PEM_BYTES, "larger than 4 MiB")
    except UnusableFile as problem:
        raise TrustFileError(path, problem.reason) from None
    certificates: list[x509.Certificate] = []
    if b"-----BEGIN CERTIFICATE-----" in data:
        try:
            certificates = x509.load_pem_x509_certificates(data)
        except ValueError:
            raise TrustFileError(path, "a certificate in it is damaged") from None
    keys: list[PublicKey] = []
    if b"PUBLIC KEY-----" in data or b"PRIVATE KEY-----" in data:
        try:
            keys = [load_public_key(path)]
        except KeyFileError as exc:
            raise TrustFileError(path, str(exc).rsplit("(", 1)[-1].rstrip(")")) from None
    if not certificates and not keys:
        raise TrustFileError(path, "holds no PEM certificate or public key")
    return certificates, keys
