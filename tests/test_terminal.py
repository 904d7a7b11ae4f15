"""archiver.terminal: whatever came from outside (titles, URLs, WARC headers, file names,
error messages) reaches a terminal as visible text, never as a control sequence; and every
line the CLI writes goes through it, so a new message cannot forget."""

from __future__ import annotations

import ast
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from archiver.cli import app
from archiver.terminal import _Bar
from tests.conftest import Captured
from tests.server import HOSTILE_TITLE, SiteServer

ARCHIVER = Path(__file__).resolve().parent.parent / "archiver"
STEERING = ("\x1b", "\x07", "\r", "\u202e", "\u009b")
OUTPUT_CALLS = {("typer", "echo"), ("click", "echo"), ("sys.stdout", "write"),
                ("sys.stderr", "write"), (None, "print")}
ALLOWED = {"terminal.py", "pywb_child.py"}
"""terminal.py escapes; pywb_child.py writes JSON to a pipe archiver reads, not a terminal."""


def output_calls(tree: ast.AST) -> list[int]:
    lines = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name):
            called = (None, func.id)
        elif isinstance(func, ast.Attribute):
            called = (ast.unparse(func.value), func.attr)
        else:
            continue
        if called in OUTPUT_CALLS:
            lines.append(node.lineno)
    return lines


def test_every_line_written_goes_through_the_terminal_module() -> None:
    found = {str(path.relative_to(ARCHIVER)): output_calls(ast.parse(path.read_text("utf-8")))
             for path in sorted(ARCHIVER.rglob("*.py")) if path.name not in ALLOWED}
    assert {name: lines for name, lines in found.items() if lines} == {}


def assert_nothing_steers(*texts: str) -> None:
    for text in texts:
        for char in STEERING:
            assert char not in text, (char, text)


def test_a_captured_page_title_cannot_steer_the_terminal(
        site: SiteServer, capture: Callable[..., Captured]) -> None:
    url = site.url("/hostile/title")
    captured = capture([url], requisites=False)
    for args in (["extract", str(captured.path)], ["extract", str(captured.path), "--text"],
                 ["extract", str(captured.path), "--json"]):
        result = CliRunner().invoke(app, args, color=True)  # as on a terminal: nothing stripped
        assert result.exit_code == 0, result.output
        assert_nothing_steers(result.stdout, result.stderr)
        if "--json" in args:
            (document,) = json.loads(result.stdout)
            assert "\u202eeulav" in document["title"]  # escaped for the terminal, same data
        elif "--text" not in args:  # the table shows the title
            assert "\\u202eeulav" in result.stdout and "\\x9b31m" in result.stdout
    assert "\u202e" in HOSTILE_TITLE


@pytest.mark.parametrize("label", ["extracting"])
def test_the_progress_line_shows_urls_escaped(label: str,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    bar = _Bar(label)
    bar.update(1, 2, "http://x.example/\x1b[2J\x07\r\u202e")
    written = capsys.readouterr().err
    # The bar's own redraw (CR, erase line) comes first; nothing from the URL acts.
    own = "\r\x1b[2K"
    assert written.startswith(own)
    assert_nothing_steers(written[len(own):])
    assert written.endswith("http://x.example/\\x1b[2J\\x07\\r\\u202e")


def test_error_lines_stay_one_line_and_escaped(tmp_path: Path) -> None:
    missing = tmp_path / "no\nsuch\x1b[2J\u202e.warc"
    result = CliRunner().invoke(app, ["verify", str(missing)], color=True)
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert_nothing_steers(result.stderr)
    assert "no\\nsuch\\x1b[2J\\u202e.warc: no such file" in result.stderr
