"""The dependency rules of ARCHITECTURE.md, read from the source: one-way layers, no cycles, packs on the kit.

    core  ←  kit  ←  packs
    core  ←  control  ←  http  ←  the entry points (cli, live, check, pytest_plugin)
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

import mockingjob
import mockingjob.kit

ROOT = Path(mockingjob.__file__).parent

# What each layer may import of mockingjob (besides itself).
ALLOWED = {
    "core": {"core"},
    "kit": {"core", "kit"},
    "packs": {"kit"},
    "control": {"core", "control"},
    "http": {"core", "control", "http"},
    "option_types": {"core", "control", "option_types"},  # the command line's value types, for every command
    "recorder": {"core", "control", "option_types", "recorder"},  # `mockingjob record`: a proxy of its own
    "verify": {"core", "control", "option_types", "verify"},  # `mockingjob verify`: our specs against another server
    "entry": {"core", "control", "http", "kit", "option_types", "recorder", "verify", "entry"},
}


def _module(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and parts[1] in ALLOWED) else "entry"


def _same_pack(module: str, target: str) -> bool:
    """A pack's modules import each other freely; never another pack's."""
    module_parts, target_parts = module.split("."), target.split(".")
    return (_layer(module) == _layer(target) == "packs" and len(module_parts) > 2 and len(target_parts) > 2
            and module_parts[2] == target_parts[2])


def _imports(path: Path) -> Iterator[tuple[str, list[str]]]:
    """(module imported, names imported from it) for every import in `path`, relative ones made absolute."""
    module = _module(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, []
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            yield target, [alias.name for alias in node.names]


def _imports_of_file(path: Path) -> Iterator[tuple[str, list[str]]]:
    """Absolute imports of a file outside the package (relative ones are its own)."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and not node.level:
            yield node.module or "", [alias.name for alias in node.names]


def _own(target: str, names: list[str]) -> list[str]:
    """The mockingjob modules an import statement reaches (``from . import x`` reaches the module x)."""
    if not target.startswith("mockingjob"):
        return []
    found = [target]
    for name in names:
        candidate = f"{target}.{name}"
        if (ROOT.parent / candidate.replace(".", "/")).with_suffix(".py").exists() or \
                (ROOT.parent / candidate.replace(".", "/")).is_dir():
            found.append(candidate)
    return found


SOURCES = sorted(ROOT.rglob("*.py"))
GRAPH = {_module(p): {m for t, n in _imports(p) for m in _own(t, n)} - {_module(p)} for p in SOURCES}


def test_every_import_points_down_the_layers() -> None:
    upward = sorted(
        f"{module} imports {target}"
        for module, targets in GRAPH.items()
        for target in targets
        if _layer(target) not in ALLOWED[_layer(module)] and not _same_pack(module, target)
    )
    assert upward == []


def test_there_is_no_import_cycle() -> None:
    # A package's __init__ importing its own modules is not a cycle of concern; every other edge counts.
    edges = {m: {t for t in ts if t in GRAPH and not m.startswith(t + ".") and t != "mockingjob"}
             for m, ts in GRAPH.items()}
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for target in sorted(edges[node]):
            if state.get(target) == 1:
                cycles.append([*trail[trail.index(target):], target] if target in trail else [node, target])
            elif target not in state:
                visit(target, [*trail, target])
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node, [node])
    assert cycles == []


def test_only_the_http_layer_uses_the_connexion_adaptations() -> None:
    users = sorted(m for m, targets in GRAPH.items() if "mockingjob.http.connexion_adaptations" in targets)
    assert users and all(_layer(m) == "http" for m in users), users


# The statements the store runs from their compiled form ask the dialect only what SQLAlchemy asks it (the SQL it
# compiled, whether the driver gives an inserted row's id): the store's own machinery, with no SQL of its own.
STORE_MODULES = {"mockingjob.core.store", "mockingjob.core.compiled_statements"}


def test_no_module_but_the_store_writes_dialect_specific_sql() -> None:
    offenders = sorted(_module(p) for p in SOURCES
                       if _module(p) not in STORE_MODULES and ("dialect" in p.read_text()
                                                                      or "sa.text(" in p.read_text()))
    assert offenders == []


PACKS = sorted(p for p in (ROOT / "packs").iterdir() if (p / "__init__.py").exists())
# The pack that docs/writing-a-pack.md walks through, served from outside the source tree by a test.
EXAMPLE_PACK = ROOT.parents[1] / "docs" / "example-pack" / "taskrunner"


def _mockingjob_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    found |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and not node.level}
    return {name for name in found if name.startswith("mockingjob")}


def test_the_example_pack_uses_the_kit_alone() -> None:
    assert {name for path in EXAMPLE_PACK.rglob("*.py") for name in _mockingjob_imports(path)} == {"mockingjob.kit"}


def test_the_kit_exports_exactly_what_the_packs_use() -> None:
    sources = [path for pack in [*PACKS, EXAMPLE_PACK] for path in pack.rglob("*.py")]
    used = {name for path in sources for target, names in _imports_of_file(path)
            if target == "mockingjob.kit" for name in names}
    assert len(set(mockingjob.kit.__all__)) == len(mockingjob.kit.__all__)
    assert set(mockingjob.kit.__all__) == used
    for name in mockingjob.kit.__all__:
        assert hasattr(mockingjob.kit, name)


STANDARD_FILES = ["__init__.py", "documents.py", "errors.py", "handlers.py", "model.py", "queries.py",
                  "samples.py", "seed.py", "tables.py"]


@pytest.mark.parametrize("pack", PACKS, ids=lambda p: p.name)
def test_every_pack_has_the_same_files_for_the_same_concepts(pack: Path) -> None:
    assert [name for name in STANDARD_FILES if not (pack / name).exists()] == []


def test_public_names_are_exported_sorted_and_importable() -> None:
    assert mockingjob.__all__ == sorted(mockingjob.__all__)
    for name in mockingjob.__all__:
        assert getattr(mockingjob, name).__name__ == name
