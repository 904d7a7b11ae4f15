"""The public API is exactly what `archiver.__all__` says, and every name in it exists."""

from __future__ import annotations

import archiver


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
