"""No import cycles in archiver: not between modules, not between subpackages.

Every module under archiver/ is parsed (never imported) and every import in it counts: at the
top, inside a function (a lazy import runs too, only later), and `importlib.import_module`
with a literal name. Importing archiver.a.b also runs archiver/a/__init__.py, so it counts as
importing the package archiver.a as well, unless the importer is inside archiver.a already.

Left out, on purpose: imports under `if TYPE_CHECKING:`. They never run, so they cannot make
an import cycle; they let a module name a type of a higher layer in an annotation
(archiver/errors.py's VerificationFailed carries verification's `Problem`s, and the facade,
archiver/__init__.py, names everything it offers while loading each name on first use).

In the subpackage graph each subpackage (archiver/capture/, archiver/warc/...) is one node,
and so is each module at the top of archiver/ (archiver/errors.py...) and the facade.
docs/decisions.md ("Layers, and no import cycles") says which layer may import which.
"""

from __future__ import annotations

import ast
import itertools
from collections.abc import Iterator
from pathlib import Path

import archiver

PACKAGE_DIR = Path(archiver.__file__).resolve().parent

Graph = dict[str, dict[str, list[str]]]
"""module -> module it imports -> where ("path:line" of each import)."""


def module_files(package_dir: Path) -> dict[str, Path]:
    """Every module of the package at `package_dir`, by dotted name."""
    root = package_dir.parent
    modules = {}
    for path in sorted(package_dir.rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def _type_checking_only(tree: ast.Module) -> set[int]:
    """The ids of every node under an `if TYPE_CHECKING:` (or `if typing.TYPE_CHECKING:`)."""
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) in ("TYPE_CHECKING",
                                                                    "typing.TYPE_CHECKING"):
            for child in node.body:
                skipped.update(id(inner) for inner in ast.walk(child))
    return skipped


def _imported_names(tree: ast.Module, module: str, is_package: bool
                    ) -> Iterator[tuple[str, int]]:
    """(dotted name, line) of everything the module imports that might be a module."""
    skipped = _type_checking_only(tree)
    here = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here.split(".")[: len(here.split(".")) - (node.level - 1)]
                origin = ".".join(base + ([node.module] if node.module else []))
            else:
                origin = node.module or ""
            yield origin, node.lineno
            for alias in node.names:  # `from archiver.x import y` may import module x.y
                yield f"{origin}.{alias.name}", node.lineno
        elif (isinstance(node, ast.Call) and ast.unparse(node.func).endswith("import_module")
              and node.args and isinstance(node.args[0], ast.Constant)
              and isinstance(node.args[0].value, str)):
            yield node.args[0].value, node.lineno


def import_graph(package_dir: Path) -> Graph:
    modules = module_files(package_dir)
    graph: Graph = {}
    for module, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        is_package = path.name == "__init__.py"
        edges: dict[str, list[str]] = {}
        where_from = path.relative_to(package_dir.parent)
        for name, line in _imported_names(tree, module, is_package):
            if name not in modules:
                continue  # not ours, or a name inside a module (that module is counted)
            # The module, and each package above it that the importer is not inside.
            parts = name.split(".")
            for end in range(2, len(parts) + 1):
                target = ".".join(parts[:end])
                inside = module == target or module.startswith(target + ".")
                if target != module and target in modules and not inside:
                    edges.setdefault(target, []).append(f"{where_from}:{line}")
        graph[module] = edges
    return graph


def layer_of(module: str) -> str:
    """A module's node in the subpackage graph: its subpackage, or itself at the top."""
    parts = module.split(".")
    return ".".join(parts[:2])


def subpackage_graph(graph: Graph) -> Graph:
    layers: Graph = {}
    for module, edges in graph.items():
        node = layers.setdefault(layer_of(module), {})
        for target, places in edges.items():
            if layer_of(target) != layer_of(module):
                node.setdefault(layer_of(target), []).extend(
                    f"{place} ({module} -> {target})" for place in places)
    return layers


def find_cycle(graph: Graph) -> list[str] | None:
    """One cycle of `graph` as [a, b, ..., a], or None; found without recursion."""
    done: set[str] = set()
    for start in sorted(graph):
        if start in done:
            continue
        path = [start]
        on_path = {start}
        pending = [iter(sorted(graph.get(start, {})))]
        while pending:
            target = next(pending[-1], None)
            if target is None:
                pending.pop()
                done.add(path[-1])
                on_path.discard(path.pop())
                continue
            if target in on_path:
                return [*path[path.index(target):], target]
            if target not in done:
                path.append(target)
                on_path.add(target)
                pending.append(iter(sorted(graph.get(target, {}))))
    return None


def describe(cycle: list[str], graph: Graph) -> str:
    lines = [" -> ".join(cycle)]
    for source, target in itertools.pairwise(cycle):
        lines.append(f"  {source} -> {target}: " + "; ".join(graph[source][target][:3]))
    return "\n".join(lines)


def test_no_import_cycle_between_modules() -> None:
    graph = import_graph(PACKAGE_DIR)
    cycle = find_cycle(graph)
    assert cycle is None, "modules import each other:\n" + describe(cycle, graph)


def test_no_import_cycle_between_subpackages() -> None:
    graph = subpackage_graph(import_graph(PACKAGE_DIR))
    cycle = find_cycle(graph)
    assert cycle is None, "subpackages import each other:\n" + describe(cycle, graph)


def test_the_warc_layer_uses_only_self_contained_helpers() -> None:
    """archiver/warc/ reads and writes WARC files and knows nothing of capture, packages or
    verification: outside warc/ it may use only modules that import nothing of archiver's."""
    graph = import_graph(PACKAGE_DIR)
    outside = {(module, target) for module, edges in graph.items()
               if layer_of(module) == "archiver.warc" for target in edges
               if layer_of(target) != "archiver.warc" and graph[target]}
    assert not outside


# -- the checker itself: it finds what it is meant to find ------------------------------------

def _package(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / "pkg" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root / "pkg"


def test_a_lazy_import_makes_a_cycle(tmp_path: Path) -> None:
    package = _package(tmp_path, {
        "__init__.py": "",
        "a.py": "def f():\n    from pkg.b import g\n    return g\n",
        "b.py": "from . import a\n",
    })
    graph = import_graph(package)
    cycle = find_cycle(graph)
    assert cycle is not None and set(cycle) == {"pkg.a", "pkg.b"}
    assert "pkg/a.py:2" in describe(cycle, graph)


def test_type_checking_imports_are_left_out(tmp_path: Path) -> None:
    package = _package(tmp_path, {
        "__init__.py": "",
        "a.py": "import pkg.b\n",
        "b.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg import a\n",
    })
    assert find_cycle(import_graph(package)) is None


def test_subpackages_that_import_each_other_are_a_cycle(tmp_path: Path) -> None:
    """No two modules import each other, but x/ uses y/ and y/ uses x/."""
    package = _package(tmp_path, {
        "__init__.py": "",
        "x/__init__.py": "",
        "x/low.py": "",
        "x/high.py": "from pkg.y.middle import m\n",
        "y/__init__.py": "",
        "y/middle.py": "import importlib\nimportlib.import_module('pkg.x.low')\n",
    })
    graph = import_graph(package)
    assert find_cycle(graph) is None
    cycle = find_cycle(subpackage_graph(graph))
    assert cycle is not None and set(cycle) == {"pkg.x", "pkg.y"}


def test_importing_a_module_runs_its_package(tmp_path: Path) -> None:
    """y/__init__.py imports a module of x/, which imports y's other module: running x/a.py
    first runs y/__init__.py, which needs x/a.py half-loaded."""
    package = _package(tmp_path, {
        "__init__.py": "",
        "x/__init__.py": "",
        "x/a.py": "from pkg.y.other import thing\n",
        "y/__init__.py": "from pkg.x.a import thing\n",
        "y/other.py": "thing = 1\n",
    })
    cycle = find_cycle(import_graph(package))
    assert cycle is not None and set(cycle) == {"pkg.x.a", "pkg.y"}
