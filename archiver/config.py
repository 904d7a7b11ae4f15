"""The user's own configuration: defaults for who captures, which timestamp authorities to ask,
and which keys and authorities to trust.

One TOML file, `$XDG_CONFIG_HOME/archiver/config.toml` (else `~/.config/archiver/config.toml`),
or the file `ARCHIVER_CONFIG` names. Every entry is optional, and a missing file is an empty
configuration, so archiver runs the same on a fresh machine with nothing set up:

    operator = "Ana Lima"                     # who captures: recorded in each package
    organisation = "The Daily Ledger"
    tsa = ["https://freetsa.org/tsr"]         # asked for a timestamp on every capture and story
    trust = ["~/keys/newsroom.pem"]           # TSA roots and signers' public keys (PEM)
    key = "~/keys/ana.key"                    # signs every new package

Command-line options win over the file. Nothing secret belongs here: a key's passphrase is
asked for, or read from ARCHIVER_KEY_PASSPHRASE, never stored.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from archiver.errors import ArchiverUsageError
from archiver.user_files import UnusableFile, read_small_file

CONFIG_ENV = "ARCHIVER_CONFIG"
_MAX_BYTES = 1 << 20
"""A configuration is a few lines; a larger file is a mistake (a key or a WARC named by it)."""


class ConfigError(ArchiverUsageError):
    """The configuration file exists but cannot be used (exit 2): its path and the reason."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: configuration not usable ({reason})")
        self.path = path


@dataclass(frozen=True)
class UserConfig:
    """What the configuration file says; each field empty when it says nothing."""

    operator: str | None = None
    organisation: str | None = None
    tsa: tuple[str, ...] = ()
    trust: tuple[Path, ...] = ()
    key: Path | None = None
    source: Path | None = field(default=None, compare=False)
    """The file this came from, or None when there was none."""


def config_path() -> Path:
    """Where the configuration is read from (the file need not exist)."""
    named = os.environ.get(CONFIG_ENV)
    if named:
        return Path(named).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME")
    # A relative XDG_CONFIG_HOME is ignored, as the XDG specification says.
    root = Path(base) if base and os.path.isabs(base) else Path.home() / ".config"
    return root / "archiver" / "config.toml"


def load_config(path: Path | None = None) -> UserConfig:
    """The user's configuration from `path` (default: `config_path()`); empty if there is none.

    Raises ConfigError naming the file when it cannot be read or says something unusable.
    """
    path = path or config_path()
    if not path.exists():
        if path.is_symlink():
            raise ConfigError(path, "a link to nothing")
        return UserConfig()
    try:
        raw = read_small_file(path, _MAX_BYTES, "larger than 1 MiB")
    except UnusableFile as problem:
        raise ConfigError(path, problem.reason) from None
    try:
        table = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(path, "not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(path, f"not valid TOML: {exc}") from None
    return _from_table(table, path)


_KNOWN = {"operator", "organisation", "tsa", "trust", "key"}


def _from_table(table: dict[str, object], path: Path) -> UserConfig:
    unknown = sorted(set(table) - _KNOWN)
    if unknown:
        raise ConfigError(path, f"unknown setting {unknown[0]!r}; known: "
                                f"{', '.join(sorted(_KNOWN))}")
    key = _text(table, "key", path)
    return UserConfig(
        operator=_text(table, "operator", path),
        organisation=_text(table, "organisation", path),
        tsa=tuple(_texts(table, "tsa", path)),
        trust=tuple(_relative_to(path, item) for item in _texts(table, "trust", path)),
        key=_relative_to(path, key) if key else None,
        source=path,
    )


def _text(table: dict[str, object], name: str, path: Path) -> str | None:
    value = table.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(path, f"{name} must be a non-empty string")
    return value.strip()


def _texts(table: dict[str, object], name: str, path: Path) -> list[str]:
    value = table.get(name, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigError(path, f"{name} must be a list of non-empty strings")
    return [v.strip() for v in value]


def _relative_to(config: Path, item: str) -> Path:
    """A path named in the configuration: `~` expanded, and a relative path read from the
    configuration file's folder (not from wherever archiver happens to run)."""
    named = Path(item).expanduser()
    return named if named.is_absolute() else config.parent / named
