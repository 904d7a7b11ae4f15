"""Finding pywb, the replay engine, which lives in a Python environment of its own.

pywb cannot share archiver's environment (see pywb_child.py), so archiver looks for a Python
that has it, in this order: $ARCHIVER_PYWB_PYTHON; this Python, if pywb happens to be
installed beside archiver; the Python behind a `wayback` command on PATH (what
`pipx install pywb` puts there).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from pathlib import Path

from archiver.errors import EnvironmentFault

PYTHON_VARIABLE = "ARCHIVER_PYWB_PYTHON"
INSTALL_HINT = ("install it apart from archiver with `pipx install pywb` (or into any virtual "
                f"environment, then set {PYTHON_VARIABLE} to that environment's python)")


class ReplayEngineMissing(EnvironmentFault):
    """pywb is not installed where archiver can find it (exit 3, "could not run")."""

    def __init__(self, reason: str) -> None:
        super().__init__("replay", f"{reason}; archiver replay needs pywb: {INSTALL_HINT}")


def find_pywb_python() -> Path:
    configured = os.environ.get(PYTHON_VARIABLE)
    if configured:
        path = Path(configured)
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise ReplayEngineMissing(f"{PYTHON_VARIABLE}={configured} is not a Python program")
        return path
    if importlib.util.find_spec("pywb") is not None:
        return Path(sys.executable)
    wayback = shutil.which("wayback")
    if wayback is not None:
        python = _shebang_python(Path(wayback))
        if python is not None:
            return python
    raise ReplayEngineMissing("pywb was not found")


def _shebang_python(script: Path) -> Path | None:
    """The interpreter a console script of pip's names on its first line.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     script = Path(folder) / "wayback"
    ...     _ = script.write_bytes(b"#!" + sys.executable.encode() + b"\\nimport x\\n")
    ...     _shebang_python(script) == Path(sys.executable)
    True
    """
    try:
        with script.open("rb") as handle:
            first = handle.readline(4096)
    except OSError:
        return None
    if not first.startswith(b"#!"):
        return None
    words = first[2:].decode("utf-8", "replace").split()
    if not words:
        return None
    python = Path(words[0])
    return python if python.is_file() and "python" in python.name else None
