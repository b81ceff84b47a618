"""``mockingjob serve --print-config``: the settings in effect, each with where it came from, secrets masked.

It is printed as TOML, so that a line can be copied into ``mockingjob.toml`` as it is; a setting left unset is
a comment.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

import click
from click.core import ParameterSource

from .project import ProjectConfig

__all__ = ["MASK", "settings_report"]

MASK = "********"
SECRET_SETTINGS = frozenset({"token", "admin-token"})


def settings_report(ctx: click.Context, settings: Mapping[str, click.Parameter],
                    project: ProjectConfig | None) -> str:
    """The report of the settings of `ctx` (a parsed ``serve``), named as a settings file names them."""
    origin = project.label if project is not None else "no settings file"
    lines = [
        "# The settings of `mockingjob serve`: the command line wins over MOCKINGJOB_* variables, which win over",
        f"# the settings file ({origin}), which wins over the defaults.",
    ]
    rows: list[tuple[str, str]] = []
    for name, param in settings.items():
        assert param.name is not None
        value = ctx.params.get(param.name)
        source = _source(ctx, param, project)
        shown = _toml(_masked(name, value))
        rows.append((f"{name} = {shown}" if shown is not None else f"# {name} =", source))
    width = max(len(text) for text, _ in rows)
    lines += [f"{text.ljust(width)}  # {source}" for text, source in rows]
    return "\n".join(lines) + "\n"


def _source(ctx: click.Context, param: click.Parameter, project: ProjectConfig | None) -> str:
    assert param.name is not None
    source = ctx.get_parameter_source(param.name)
    if source is ParameterSource.COMMANDLINE:
        return "command line"
    if source is ParameterSource.ENVIRONMENT:
        names = [param.envvar] if isinstance(param.envvar, str) else list(param.envvar or ())
        variable = next((name for name in names if os.environ.get(name)), None)
        return f"environment: {variable}" if variable else "environment"
    if source is ParameterSource.DEFAULT_MAP and project is not None:
        return project.label
    value = ctx.params.get(param.name)
    if value not in (None, (), []):
        return "default"
    meaning = UNSET_MEANS.get(param.name)
    return f"default: not set ({meaning})" if meaning else "default: not set"


UNSET_MEANS = {
    "apis": "every API", "state": "in memory", "speed": "1, or the speed of the clock a state file kept",
    "tokens": "any non-empty token", "admin_token": "loopback clients only", "fixtures": "the built-in ones",
}
"""What a setting left unset means, where that is not plain "none"."""


def _masked(name: str, value: Any) -> Any:
    if name in SECRET_SETTINGS and value:
        return [MASK for _ in value] if isinstance(value, list | tuple) else MASK
    if name == "state" and isinstance(value, str) and "://" in value:
        from sqlalchemy import make_url

        try:
            return make_url(value).render_as_string(hide_password=True)
        except Exception:  # not a URL SQLAlchemy reads: shown without what could be a password
            return value.split("://", 1)[0] + "://" + MASK
    return value


def _toml(value: Any) -> str | None:
    """`value` as a TOML value; None for no value (TOML has no null)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml(item) or '""' for item in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)  # a JSON string is a TOML basic string
