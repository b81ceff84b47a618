"""Which packs exist: the packages under ``mockingjob.packs``, and any installed package's ``mockingjob.packs``
entry points. Adding a pack touches neither this module nor any other engine module."""

from __future__ import annotations

import importlib
import pkgutil
from importlib.metadata import entry_points
from typing import TYPE_CHECKING

from .errors import PackError

if TYPE_CHECKING:
    from .pack import Pack

__all__ = ["available", "load"]

_PACKS_PACKAGE = "mockingjob.packs"


def _builtin() -> dict[str, str]:
    """The packs shipped inside mockingjob, by import string: every sub-package of ``mockingjob.packs``.

    Found by listing the folder, not by the (slow) scan of installed packages' entry points, and imported
    only when asked for.
    """
    package = importlib.import_module(_PACKS_PACKAGE)
    order: tuple[str, ...] = getattr(package, "ORDER", ())
    names = sorted((info.name for info in pkgutil.iter_modules(package.__path__) if info.ispkg),
                   key=lambda name: (order.index(name) if name in order else len(order), name))
    return {name: f"{_PACKS_PACKAGE}.{name}:pack" for name in names}


def _targets() -> dict[str, str]:
    targets = _builtin()
    for entry in entry_points(group="mockingjob.packs"):
        targets.setdefault(entry.name, entry.value)
    return targets


def available() -> list[str]:
    """Names of every pack that can be served, in a stable order: built-ins first (in `mockingjob.packs.ORDER`,
    then by name), then the others by name."""
    builtin = _builtin()
    return list(builtin) + sorted(set(_targets()) - set(builtin))


def load(name: str) -> Pack:
    from .pack import Pack  # imports SQLAlchemy and Starlette, which listing the packs' names does not need

    # A built-in name wins over any entry point, so only other names need the scan of installed packages.
    target = _builtin().get(name) or _targets().get(name)
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
