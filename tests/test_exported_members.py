"""The public API is exactly what `archiver.__all__` says, and every name in it exists."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import archiver

ROOT = Path(__file__).resolve().parent.parent


def test_all_names_exist() -> None:
    for name in archiver.__all__:
        assert getattr(archiver, name) is not None, name


def test_all_is_exact() -> None:
    assert set(archiver.__all__) == set(archiver._HOMES) | {"__version__"}


def test_unknown_names_raise_attribute_error() -> None:
    try:
        archiver.no_such_name  # type: ignore[attr-defined]  # noqa: B018
    except AttributeError as error:
        assert "no_such_name" in str(error)
    else:
        raise AssertionError("an unknown name must raise AttributeError")


def test_importing_any_submodule_never_replaces_a_public_name() -> None:
    # Importing a subpackage sets its name on the package: `archiver.extract` (the
    # subpackage) must not replace `archiver.extract` (the function). In a fresh interpreter,
    # where the order of imports is the user's, not the test suite's.
    script = textwrap.dedent("""
        import importlib, pkgutil, archiver
        for info in pkgutil.walk_packages(archiver.__path__, "archiver."):
            if info.name != "archiver.__main__":
                importlib.import_module(info.name)
        wrong = [name for name, home in archiver._HOMES.items()
                 if getattr(archiver, name) is not getattr(importlib.import_module(home), name)]
        from archiver import extract
        import archiver.extract.api
        print(wrong, callable(extract),
              extract is importlib.import_module("archiver.extract.api").extract)
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["[]", "True", "True"]
