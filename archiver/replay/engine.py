"""Finding pywb, the replay engine, which lives in a Python environment of its own.

pywb cannot share archiver's environment (see pywb_child.py). archiver runs it with, in this
order: the Python the caller names; $ARCHIVER_PYWB_PYTHON; else the environment archiver sets
up for it on the first replay, under the user's cache directory (pywb_setup.py).
"""

from __future__ import annotations

import os
from pathlib import Path

from archiver.errors import ReplayEngineMissing
from archiver.replay.pywb_setup import (
    PROVIDE_HINT,
    PYTHON_VARIABLE,
    Notify,
    engine_missing,
    provide_pywb,
)

__all__ = ["PROVIDE_HINT", "PYTHON_VARIABLE", "ReplayEngineMissing", "configured_pywb_python",
           "find_pywb_python"]

def configured_pywb_python(given: Path | None = None) -> Path | None:
    """The Python a person named for pywb (`given`, else $ARCHIVER_PYWB_PYTHON), checked to be
    a program; None when they named none."""
    if given is None:
        configured = os.environ.get(PYTHON_VARIABLE)
        if not configured:
            return None
        given, named = Path(configured), f"{PYTHON_VARIABLE}={configured}"
    else:
        named = str(given)
    if not (given.is_file() and os.access(given, os.X_OK)):
        raise engine_missing(f"{named} is not a Python program")
    return given


def find_pywb_python(given: Path | None = None, notify: Notify | None = None) -> Path:
    """The Python to run pywb with: the one named, else archiver's own environment for it,
    set up now if this is the first replay (`notify` gets a line for each step)."""
    return configured_pywb_python(given) or provide_pywb(notify=notify)
