"""The user's configuration file: read when present, empty when absent, named when wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from archiver.config import CONFIG_ENV, ConfigError, UserConfig, config_path, load_config
from archiver.errors import ArchiverUsageError


def test_no_file_is_an_empty_configuration(tmp_path: Path) -> None:
    assert load_config(tmp_path / "config.toml") == UserConfig()


def test_every_setting_is_read(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('operator = " Ana Lima "\norganisation = "The Daily Ledger"\n'
                    'tsa = ["http://127.0.0.1:1/tsr", "http://127.0.0.1:2/tsr"]\n'
                    'trust = ["keys/newsroom.pem", "/etc/roots.pem"]\nkey = "ana.key"\n')
    config = load_config(path)
    assert config.operator == "Ana Lima"
    assert config.organisation == "The Daily Ledger"
    assert config.tsa == ("http://127.0.0.1:1/tsr", "http://127.0.0.1:2/tsr")
    # Relative paths are read from the configuration's folder, not from wherever we run.
    assert config.trust == (tmp_path / "keys" / "newsroom.pem", Path("/etc/roots.pem"))
    assert config.key == tmp_path / "ana.key"
    assert config.source == path


def test_a_single_tsa_may_be_a_string(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('tsa = "http://127.0.0.1:1/tsr"\n')
    assert load_config(path).tsa == ("http://127.0.0.1:1/tsr",)


@pytest.mark.parametrize(("text", "reason"), [
    ("operator = ", "not valid TOML"),
    ("operater = 'x'", "unknown setting 'operater'"),
    ("operator = 3", "operator must be a non-empty string"),
    ("tsa = [1, 2]", "tsa must be a list of non-empty strings"),
    ("key = ''", "key must be a non-empty string"),
])
def test_a_wrong_file_is_a_usage_error_naming_it(tmp_path: Path, text: str, reason: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert isinstance(caught.value, ArchiverUsageError)
    assert str(caught.value).startswith(f"{path}: configuration not usable (")
    assert reason in str(caught.value)


def test_a_file_that_is_not_text_or_too_large_is_refused_unread(tmp_path: Path) -> None:
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"\xff\xfe\x00operator")
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_config(binary)
    large = tmp_path / "large.toml"
    large.write_bytes(b"#" * (2 << 20))
    with pytest.raises(ConfigError, match="larger than 1 MiB"):
        load_config(large)
    with pytest.raises(ConfigError, match="not a regular file"):
        load_config(tmp_path)


def test_where_it_is_read_from(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(CONFIG_ENV, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert config_path() == tmp_path / "archiver" / "config.toml"
    monkeypatch.setenv("XDG_CONFIG_HOME", "relative/ignored")
    assert config_path() == Path.home() / ".config" / "archiver" / "config.toml"
    monkeypatch.setenv(CONFIG_ENV, str(tmp_path / "mine.toml"))
    assert config_path() == tmp_path / "mine.toml"
