"""The JSON Schemas of the files we write (schemas/, shipped as archiver/schemas)."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any


@cache
def load_schema(name: str) -> dict[str, Any]:
    """The schema `schemas/<name>.schema.json`, parsed once."""
    text = resources.files("archiver").joinpath("schemas", f"{name}.schema.json").read_text(
        "utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def manifest_schema() -> dict[str, Any]:
    return load_schema("manifest")
