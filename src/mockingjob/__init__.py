"""mockingjob: stateful, time-aware, spec-validated stand-ins for job-run APIs.

The public names are imported on first use, so that ``mockingjob check`` and pack modules do not pay for
connexion's start-up when they do not need it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = ["ApiError", "Call", "Clock", "Config", "MockApp", "MockError", "Pack", "Reply", "RequestInvalid"]

_HOMES = {
    "MockApp": "http.app",
    "Clock": "core.clock",
    "Config": "core.config",
    "ApiError": "core.errors",
    "MockError": "core.errors",
    "RequestInvalid": "core.errors",
    "Call": "kit",
    "Pack": "kit",
    "Reply": "kit",
}

if TYPE_CHECKING:
    from .core.clock import Clock
    from .core.config import Config
    from .core.errors import ApiError, MockError, RequestInvalid
    from .http.app import MockApp
    from .kit import Call, Pack, Reply


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'mockingjob' has no attribute {name!r}")
    return getattr(importlib.import_module(f".{home}", __name__), name)
