"""The engine never depends on a pack: adding an API must not touch it."""

from __future__ import annotations

import ast
from pathlib import Path

import mockingjob

ENGINE = Path(mockingjob.__file__).parent


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            names.add(("." * node.level) + (node.module or ""))
    return names


def test_engine_modules_do_not_import_packs() -> None:
    offenders = {
        path.name: sorted(n for n in _imports(path) if "packs" in n)
        for path in ENGINE.glob("*.py")
    }
    assert {name: found for name, found in offenders.items() if found} == {}


def test_packs_use_only_the_public_engine_modules() -> None:
    private = [
        (path.relative_to(ENGINE).as_posix(), name)
        for path in (ENGINE / "packs").rglob("*.py")
        for name in _imports(path)
        if name.startswith("mockingjob.") and name.split(".")[1] in {"app", "cli", "check", "rendering", "validation"}
    ]
    assert private == []


def test_public_names_are_exported_sorted_and_importable() -> None:
    assert mockingjob.__all__ == sorted(mockingjob.__all__)
    for name in mockingjob.__all__:
        assert getattr(mockingjob, name).__name__ == name
