"""The public API is exactly what `archiver.__all__` says, and every name in it exists."""

from __future__ import annotations

import types

import archiver

NOT_API = {"annotations"}  # from `from __future__ import annotations`


def test_all_names_exist() -> None:
    for name in archiver.__all__:
        assert hasattr(archiver, name), name


def test_all_is_exact() -> None:
    public = {name for name, value in vars(archiver).items()
              if not name.startswith("_") and not isinstance(value, types.ModuleType)}
    assert public - NOT_API == set(archiver.__all__) - {"__version__"}
