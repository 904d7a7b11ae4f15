"""Every source file the docs name is there: a module moved or removed must take its mentions in
README.md and docs/*.md with it.

A path with a folder in it counts (`archiver/capture/connections.py`, `warc/reader.py`,
`transfer/pages.extraction_titles`: a module and a name in it); it is looked for from the top of
the repository and from archiver/. A bare file name (`bagit.py`, a tool) is not checked.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md")])
SUBPACKAGES = sorted(path.name for path in (ROOT / "archiver").iterdir()
                     if (path / "__init__.py").is_file())
PYTHON_PATH = re.compile(r"(?<![\w./-])((?:[\w-]+/)+[\w-]+)\.py\b")
MODULE_NAME = re.compile(
    rf"(?<![\w./-])((?:archiver/)?(?:{'|'.join(SUBPACKAGES)})/[\w]+)\.[A-Za-z_]\w*")


def named_modules(text: str) -> set[str]:
    """Module paths (without .py) named in `text`.

    >>> sorted(named_modules("see `archiver/warc/reader.py`, warc/arc.has_arc_name, bagit.py"))
    ['archiver/warc/reader', 'warc/arc']
    """
    return set(PYTHON_PATH.findall(text)) | set(MODULE_NAME.findall(text))


def exists(module: str) -> bool:
    return any((base / f"{module}.py").is_file() or (base / module / "__init__.py").is_file()
               for base in (ROOT, ROOT / "archiver"))


@pytest.mark.parametrize("doc", DOCS, ids=lambda path: str(path.relative_to(ROOT)))
def test_every_module_a_doc_names_exists(doc: Path) -> None:
    missing = sorted(module for module in named_modules(doc.read_text(encoding="utf-8"))
                     if not exists(module))
    assert not missing, f"{doc.relative_to(ROOT)} names modules that are not there: {missing}"


def test_a_removed_module_is_found() -> None:
    assert not exists("archiver/capture/http")
    assert named_modules("`archiver/capture/http.py` owns the socket") == {
        "archiver/capture/http"}
