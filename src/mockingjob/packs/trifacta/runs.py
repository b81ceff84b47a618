"""Running a recipe: the settings a run uses, and writing down its job group.

A run's settings come, each on its own, from the overrides of the request; for whatever they leave out, from
the recipe's output object; and for a recipe without one, from its last run. A recipe with neither must be
given all three the first time it runs.
"""

from __future__ import annotations

from typing import Any

from mockingjob.kit import Call

from .documents import WRITE_SETTING_DEFAULTS
from .errors import invalid
from .model import Settings, Started, plan_for_new_run, start_run
from .queries import chain, output_settings


def given_write_settings(overrides: dict[str, Any]) -> tuple[dict[str, Any], ...] | None:
    """The write settings the client gave, under either spelling, with the documented defaults filled in."""
    given = overrides.get("writeSettings", overrides.get("writesettings"))
    if given is None:
        return None
    return tuple({**WRITE_SETTING_DEFAULTS, **setting} for setting in given)


def settings_for(dataset_id: int, overrides: dict[str, Any], previous: Settings | None,
                 output: Settings | None) -> Settings:
    """This run's settings: the overrides, then the output object's, then the last run's."""
    write_settings = given_write_settings(overrides)
    base = output or previous
    if base is None:
        missing = [name for name, value in (("execution", overrides.get("execution")),
                                            ("profiler", overrides.get("profiler")),
                                            ("writeSettings", write_settings)) if value is None]
        if missing:
            names = ", ".join(f"overrides.{name}" for name in missing)
            raise invalid(f"wrangledDataset {dataset_id} has never been run: {names} required when running a job "
                          "for the first time", missing=[f"overrides.{name}" for name in missing])
        assert write_settings is not None
        return Settings(overrides["execution"], overrides["profiler"], write_settings)
    return Settings(
        overrides.get("execution", base.execution),
        overrides.get("profiler", base.profiler),
        write_settings if write_settings is not None else base.write_settings,
        # The output object's own write settings are used as they are; overrides and a last run's are the run's.
        base.write_setting_ids if write_settings is None else None,
        output.output_object_id if output is not None else None,
    )


def run_recipe(call: Call, target: Any, previous: Settings | None, overrides: dict[str, Any], *,
               ranfrom: str | None, run_parameters: Any, flow_run_id: int | None = None) -> Started:
    """Start a job group for recipe `target` (with its last run's settings, `previous`)."""
    settings = settings_for(target.id, overrides, previous, output_settings(call.conn, target.id))
    plan = plan_for_new_run(chain(call.conn, target), settings, call.effect)
    return start_run(call.conn, target.id, plan, settings, call.now, ranfrom=ranfrom, run_parameters=run_parameters,
                     flow_run_id=flow_run_id)
