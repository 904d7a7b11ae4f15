"""Docs that cannot drift: docs/cli.md is every command's --help, regenerated here.

Run `ARCHIVER_UPDATE_DOCS=1 pytest tests/test_docs.py` after changing a command's options.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from archiver.cli import app

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "docs" / "cli.md"


def command_names() -> list[str]:
    return sorted(command.name or command.callback.__name__  # type: ignore[union-attr]
                  for command in app.registered_commands)


def help_text(*args: str) -> str:
    result = CliRunner().invoke(app, [*args, "--help"], terminal_width=100,
                                env={"COLUMNS": "100"})
    assert result.exit_code == 0, result.output
    return result.output


def render_reference() -> str:
    parts = ["# Command reference", "",
             "Generated from `archiver COMMAND --help` by tests/test_docs.py; do not edit.", "",
             "```", help_text().rstrip(), "```", ""]
    for name in command_names():
        parts += [f"## archiver {name}", "", "```", help_text(name).rstrip(), "```", ""]
    return "\n".join(parts)


def test_cli_reference_is_current() -> None:
    expected = render_reference()
    if os.environ.get("ARCHIVER_UPDATE_DOCS"):
        REFERENCE.write_text(expected, encoding="utf-8")
    assert REFERENCE.read_text(encoding="utf-8") == expected, (
        "docs/cli.md is out of date: run ARCHIVER_UPDATE_DOCS=1 pytest tests/test_docs.py")


@pytest.mark.parametrize("name", command_names())
def test_every_command_has_help_with_an_example(name: str) -> None:
    text = help_text(name)
    assert "Example:" in text
    assert f"archiver {name}" in text


@pytest.mark.parametrize("name", command_names())
def test_every_command_is_in_the_readme(name: str) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"archiver {name}" in readme
