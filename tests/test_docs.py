"""Docs that cannot drift: docs/cli.md is every command's --help, regenerated here.

Run `ARCHIVER_UPDATE_DOCS=1 pytest tests/test_docs.py` after changing a command's options.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from archiver.cli import app
from tests.server import REPORT_PATH, STORY_PATH, SiteServer

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "docs" / "cli.md"


def command_names() -> list[str]:
    """Every verb, a group's verbs as "group verb" (`key new`)."""
    names = [command.name or command.callback.__name__  # type: ignore[union-attr]
             for command in app.registered_commands]
    for group in app.registered_groups:
        assert group.typer_instance is not None and group.name is not None
        names += [f"{group.name} {command.name}"
                  for command in group.typer_instance.registered_commands]
    return sorted(names)


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
        parts += [f"## archiver {name}", "", "```", help_text(*name.split()).rstrip(), "```",
                  ""]
    return "\n".join(parts)


def test_cli_reference_is_current() -> None:
    expected = render_reference()
    if os.environ.get("ARCHIVER_UPDATE_DOCS"):
        REFERENCE.write_text(expected, encoding="utf-8")
    assert REFERENCE.read_text(encoding="utf-8") == expected, (
        "docs/cli.md is out of date: run ARCHIVER_UPDATE_DOCS=1 pytest tests/test_docs.py")


@pytest.mark.parametrize("name", command_names())
def test_every_command_has_help_with_an_example(name: str) -> None:
    text = help_text(*name.split())
    assert "Example:" in text
    assert f"archiver {name}" in text


@pytest.mark.parametrize("name", command_names())
def test_every_command_is_in_the_readme(name: str) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"archiver {name}" in readme


# -- the README's library example, run as a user runs it ------------------------------------------


def readme_library_example() -> str:
    """The code block under "## As a library" in README.md, dedented."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## As a library\n", 1)[1].split("\n## ", 1)[0]
    lines = [line for line in section.splitlines() if line.startswith("    ") or not line]
    return textwrap.dedent("\n".join(lines)).strip() + "\n"


class _OnTheTestSite(ast.NodeTransformer):
    """The example pointed at the test site on 127.0.0.1 (which it must be allowed to
    reach): each example.org URL becomes a page of the site; every capture call gets
    `settings=archiver.CaptureSettings(allow_private=True)`. Nothing else changes."""

    def __init__(self, urls: dict[str, str]) -> None:
        self.urls = urls
        self.calls = 0

    def visit_Constant(self, node: ast.Constant) -> ast.AST:
        if isinstance(node.value, str) and node.value.startswith("https://example.org/"):
            assert node.value in self.urls, f"the README names {node.value}: map it to the site"
            return ast.copy_location(ast.Constant(self.urls[node.value]), node)
        return node

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        func = node.func
        if (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)
                and func.value.id == "archiver"
                and func.attr in ("create_package", "create_story_package")):
            settings = ast.parse("archiver.CaptureSettings(allow_private=True)",
                                 mode="eval").body
            node.keywords.append(ast.keyword("settings", settings))
            self.calls += 1
        return node


def test_the_readme_library_example_runs(site: SiteServer, tmp_path: Path) -> None:
    # In a fresh interpreter, as a user runs it: `archiver.extract` must still be the
    # function after `create_package` has imported the extraction code.
    tree = ast.parse(readme_library_example())
    pointed = _OnTheTestSite({"https://example.org/report.pdf": site.url(REPORT_PATH),
                              "https://example.org/story.html": site.url(STORY_PATH)})
    code = ast.unparse(ast.fix_missing_locations(pointed.visit(tree)))
    assert pointed.calls == 2, code

    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                          text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})

    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "True []"  # the report captured, nothing failed
    assert lines[1] == "True intact []"  # the package checks out
    assert any(line.startswith(site.url(STORY_PATH) + " ") for line in lines[3:])
    assert (tmp_path / "s1.wacz").is_file()
