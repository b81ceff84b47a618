"""Which packs exist: the built-in ones, and any other installed package's ``mockingjob.packs`` entry points."""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points
from typing import TYPE_CHECKING

from .errors import PackError

if TYPE_CHECKING:
    from .pack import Pack

__all__ = ["available", "load"]

# Built-in packs by import string, so the engine never imports a pack module until it is asked for.
_BUILTIN: dict[str, str] = {
    "scale": "mockingjob.packs.scale:pack",
    "marquez": "mockingjob.packs.marquez:pack",
    "coalesce": "mockingjob.packs.coalesce:pack",
    "trifacta": "mockingjob.packs.trifacta:pack",
}


def _targets() -> dict[str, str]:
    targets = dict(_BUILTIN)
    for entry in entry_points(group="mockingjob.packs"):
        targets.setdefault(entry.name, entry.value)
    return targets


def available() -> list[str]:
    """Names of every pack that can be served, in a stable order (built-ins first)."""
    targets = _targets()
    return [name for name in _BUILTIN if name in targets] + sorted(set(targets) - set(_BUILTIN))


def load(name: str) -> Pack:
    from .pack import Pack  # imports SQLAlchemy and Starlette, which listing the packs' names does not need

    # A built-in name wins over any entry point, so only other names need the (slow) scan of installed packages.
    target = _BUILTIN.get(name) or _targets().get(name)
    if target is None:
        raise PackError(f"unknown API {name!r}; available: {', '.join(available())}")
    module_name, _, attribute = target.partition(":")
    try:
        pack = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as exc:
        raise PackError(f"cannot load pack {name!r} from {target!r}: {exc}") from exc
    if not isinstance(pack, Pack):
        raise PackError(f"{target!r} is not a mockingjob Pack")
    return pack
