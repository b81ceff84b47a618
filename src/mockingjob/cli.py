"""The ``mockingjob`` command: ``serve``, ``check`` and ``init``. It only parses options and calls the Python API;
the settings file (`project`) gives the defaults of ``serve`` and ``check``."""

from __future__ import annotations

import contextlib
import gc
import os
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from click.core import ParameterSource

from .core import registry
from .core.config import Config
from .core.errors import FixtureError, LoadError, UsageError
from .option_types import ApiName, ByteSize, Latency, Origin
from .project import ProjectConfig

if TYPE_CHECKING:
    from .reloading import Watch

__all__ = ["main", "read_settings"]

# connexion imports Starlette's test client at start-up, which warns about its httpx backend: noise for users.
warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient` is deprecated")


# Tokens given this way stay out of `ps`; they are taken out of the environment once read, so that no process
# started later (a worker) inherits them.
_TOKEN_VARIABLES = ("MOCKINGJOB_TOKEN", "MOCKINGJOB_SERVE_TOKEN", "MOCKINGJOB_SERVE_TOKENS",
                    "MOCKINGJOB_ADMIN_TOKEN", "MOCKINGJOB_SERVE_ADMIN_TOKEN")


class _OneLineUsageError(click.ClickException):
    """A usage error told in one line (``Error: …``), without the usage text, with a usage error's status."""

    exit_code = 2


class _FixtureProblems(click.ClickException):
    """What is wrong with the fixtures: one ``Error: …`` line per problem, with a usage error's status."""

    exit_code = 2

    def show(self, file: object = None) -> None:
        for line in self.message.splitlines():
            click.echo(f"Error: {line}", err=True)


_FIXTURES_HELP = ("A folder of your own fixtures, one sub-folder per API in the layout of the built-in ones "
                  "(DIR/scale/jobs.yaml): they extend the built-in records, or replace them where "
                  "DIR/<api>/_fixtures.yaml says 'mode: replace'. Repeatable, applied in order.")


def _fixtures_option(command: click.decorators.FC) -> click.decorators.FC:
    return click.option("--fixtures", "fixtures", multiple=True, metavar="DIR",
                        type=click.Path(exists=True, file_okay=False), help=_FIXTURES_HELP)(command)


def _config_file_option(command: click.decorators.FC) -> click.decorators.FC:
    return click.option("--config", "config_file", metavar="FILE", is_eager=True, expose_value=False,
                        envvar="MOCKINGJOB_CONFIG", type=click.Path(dir_okay=False), callback=_read_config_file,
                        help="Settings file (TOML) to read instead of the nearest mockingjob.toml or pyproject.toml "
                        "[tool.mockingjob] from the working directory up. The command line and MOCKINGJOB_* "
                        "variables win over it.")(command)


def _setting_names(command: click.Command) -> dict[str, click.Parameter]:
    """A command's parameters by the name a settings file gives them: the long option (``error-rate``), or
    ``apis``."""
    names: dict[str, click.Parameter] = {}
    for param in command.params:
        if not param.expose_value or param.name is None or param.name in _NOT_SETTINGS:
            continue
        longs = [opt for opt in param.opts if opt.startswith("--")]
        names[longs[0][2:] if longs else param.name] = param
    return names


_NOT_SETTINGS = frozenset({"print_config"})


def _read_config_file(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    """Make the settings file the defaults of every option (click's order then gives: command line, then
    environment, then this file, then the built-in default)."""
    from .project import find_config_file, read_config_file

    path = Path(value) if value else find_config_file(Path.cwd())
    if path is None:
        return
    if not path.is_file():
        raise _OneLineUsageError(f"--config {value}: no such file")
    settings = _setting_names(_serve_command())
    try:
        project = read_config_file(path, settings)
    except UsageError as exc:
        raise _OneLineUsageError(str(exc)) from exc
    try:
        defaults = _cast_settings(ctx, project)
    except UsageError as exc:
        raise _OneLineUsageError(str(exc)) from exc
    ctx.default_map = {**(ctx.default_map or {}), **defaults}
    ctx.meta["mockingjob.config"] = project


def _cast_settings(ctx: click.Context, project: ProjectConfig) -> dict[str, Any]:
    """The values of a settings file as the options of `ctx`'s command take them (by parameter name), checked
    as the command line checks them; the settings the command has no use for are left out (``check`` reads
    only ``apis`` and ``fixtures``). UsageError names the file and the setting."""
    own = _setting_names(ctx.command)
    values: dict[str, Any] = {}
    for name, setting in project.values.items():
        param = own.get(name)
        if param is None or param.name is None:
            continue
        many = param.multiple or param.nargs == -1
        try:
            values[param.name] = param.type_cast_value(ctx, [setting] if many and not isinstance(setting, list)
                                                       else setting)
        except click.BadParameter as exc:
            raise UsageError(f"{project.label}: {name}: {exc.message}") from exc
    return values


def read_settings(path: Path) -> dict[str, Any]:
    """The `Config` fields a settings file sets, as ``serve`` would read them (the pytest plugin's start).
    UsageError names the file and the setting."""
    from .project import read_config_file

    values = _cast_settings(click.Context(serve), read_config_file(path, _setting_names(serve)))
    return {name: list(value) if isinstance(value, tuple) else value for name, value in values.items()
            if name in Config.__dataclass_fields__}


def _apis(names: tuple[str, ...]) -> list[str]:
    known = registry.available()
    unknown = [n for n in names if n not in known]
    if unknown:
        raise click.BadParameter(f"unknown API(s) {', '.join(unknown)}; choose from {', '.join(known)}",
                                 param_hint="API")
    return list(dict.fromkeys(names))


@click.group(context_settings={"auto_envvar_prefix": "MOCKINGJOB", "help_option_names": ["-h", "--help"]})
@click.version_option(package_name="mockingjob")
def main() -> None:
    """Stateful, time-aware stand-ins for job-run APIs."""


@main.command()
@click.argument("apis", nargs=-1, metavar="[API]...", type=ApiName(), envvar="MOCKINGJOB_APIS")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535), help="Port to bind.")
@_fixtures_option
@click.option("--state", metavar="FILE|URL", help="Keep state in this SQLite file (or database URL) instead of "
              "memory: it survives restarts and is shared by workers.")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Worker processes (more than one needs --state).")
@click.option("--speed", type=click.FloatRange(min=0), help="Clock speed: 1 is real time, 60 makes a minute "
              "pass each second, 0 stops the clock. Default: 1 (or the stored clock's speed).")
@click.option("--token", "tokens", multiple=True, metavar="TOKEN",
              envvar=["MOCKINGJOB_TOKEN", "MOCKINGJOB_SERVE_TOKEN", "MOCKINGJOB_SERVE_TOKENS"],
              help="Accept only this API token (repeatable; or MOCKINGJOB_TOKEN, space-separated, which keeps "
              "it out of `ps`). Default: any non-empty token.")
@click.option("--validate-responses", is_flag=True, help="Check every response against the spec (slower).")
@click.option("--mount", type=click.Choice(["auto", "prefix", "root"]), default="auto", show_default=True,
              help="prefix: every API under /<api>; root: one API at its real paths (several would collide there: "
              "refused); auto: root for one API.")
@click.option("--latency", metavar="MS|LOW..HIGH", type=Latency(),
              help="Delay every API request: milliseconds (150) or a uniform range (100..300).")
@click.option("--error-rate", type=click.FloatRange(0, 1), metavar="RATE",
              help="Answer this share of API requests (0-1) with --error-status, in each API's own error shape.")
@click.option("--error-status", default=503, show_default=True, type=click.IntRange(400, 599),
              help="The status --error-rate answers with.")
@click.option("--scenarios", "scenarios_file", type=click.Path(exists=True, dir_okay=False), metavar="FILE",
              help="YAML/JSON file of scenarios and faults to start with (and return to on reset).")
@click.option("--admin-token", metavar="TOKEN", envvar=["MOCKINGJOB_ADMIN_TOKEN", "MOCKINGJOB_SERVE_ADMIN_TOKEN"],
              help="Open the admin API (/_mockingjob/) to clients presenting this bearer token, from anywhere (or "
              "MOCKINGJOB_ADMIN_TOKEN). Default: loopback clients only, no token.")
@click.option("--admin-loopback/--no-admin-loopback", default=True, show_default=True,
              help="Without an admin token, let loopback clients use the admin API. --no-admin-loopback where a "
              "proxy or port forwarder can make any client look local (a container's published port, a service "
              "mesh): serve then refuses to start without --admin-token (the container image sets it).")
@click.option("--journal-size", default=1000, show_default=True, type=click.IntRange(1, 1_000_000),
              help="How many recent API requests the journal keeps.")
@click.option("--access-log/--no-access-log", default=True, show_default=True,
              help="Log a line for every request (uvicorn's access log).")
@click.option("--answer-memo/--no-answer-memo", default=True, show_default=True,
              help="Answer a GET asked again with the bytes of last time while nothing it depends on changed (no "
              "write, no clock move, no run due to change state); faults, lint and the journal still see it.")
@click.option("--loop", type=click.Choice(["asyncio", "uvloop", "auto"]), default="asyncio", show_default=True,
              help="Event loop. Under load, uvloop kept some requests waiting ten times longer than the rest.")
@click.option("--strict", is_flag=True, help="Refuse, with each API's own 400, what the real service accepts only "
              "leniently (ignored fields, coerced values…); by default it is accepted and reported in the "
              "Mockingjob-Lint header and the journal.")
@click.option("--max-body", default="5MB", show_default=True, type=ByteSize(), metavar="SIZE",
              help="Largest request body (1048576, 512KB, 5MB); a larger one is answered 413 before it is read.")
@click.option("--header-timeout", default=10.0, show_default=True, type=click.FloatRange(min=0), metavar="SECONDS",
              help="Close a connection whose request headers take longer than this to arrive, or whose body "
              "then stops for as long (0: never).")
@click.option("--keep-alive", default=20.0, show_default=True, type=click.FloatRange(min=0, min_open=True),
              metavar="SECONDS", help="Keep an idle connection open this long; above the pools of common "
              "clients (httpx 5 s, aiohttp 15 s), so that the client, not the server, closes it.")
@click.option("--cors", "cors", multiple=True, type=Origin(), metavar="ORIGIN",
              help="Let web pages from this origin (http://localhost:3000; * for any) call the mocked APIs: "
              "preflights are answered and answers carry the CORS headers (repeatable; the admin API takes part "
              "only with --admin-token).")
@click.option("--reload", is_flag=True, help="Watch the fixture folders, the scenarios file and the settings file: "
              "a change reloads that API's data (as a reset would); a broken change keeps the data served.")
@_config_file_option
@click.option("--print-config", is_flag=True, help="Print the settings in effect, with where each came from "
              "(secrets masked), and exit.")
@click.pass_context
def serve(ctx: click.Context, apis: tuple[str, ...], host: str, port: int, fixtures: tuple[str, ...],
          state: str | None, workers: int, speed: float | None, tokens: tuple[str, ...], validate_responses: bool,
          mount: str, latency: str | None, error_rate: float | None, error_status: int, scenarios_file: str | None,
          admin_token: str | None, admin_loopback: bool, journal_size: int, access_log: bool,
          answer_memo: bool, loop: str, strict: bool, max_body: int, header_timeout: float, keep_alive: float,
          cors: tuple[str, ...], reload: bool, print_config: bool) -> None:
    """Serve the named APIs (all of them when none is named).

    One API is served at its real paths (/v6/jobs/ for scale); several are mounted under /<api>/.
    Swagger UI is at <prefix>/ui/ and the spec at <prefix>/openapi.json. The admin API (reset, clock,
    scenarios, faults, journal) is at /_mockingjob/, with its Swagger UI at /_mockingjob/ui/.
    """
    for option, values in (("--token", tokens), ("--admin-token", (admin_token,) if admin_token is not None else ())):
        if any(not value.strip() for value in values):
            # An unset shell variable, say: serving would then refuse every write, or every admin request.
            raise _OneLineUsageError(f"{option} must not be empty (an unset shell variable?)")
    if not admin_loopback and admin_token is None and not print_config:
        # A container's published port, say, where a forwarder may make every client look local.
        raise _OneLineUsageError("the admin API needs a token: set MOCKINGJOB_ADMIN_TOKEN (or --admin-token); "
                                 "loopback clients may not use it without one (--no-admin-loopback, "
                                 "MOCKINGJOB_ADMIN_LOOPBACK=false)")
    if print_config:
        from .settings_report import settings_report

        click.echo(settings_report(ctx, _setting_names(ctx.command), ctx.meta.get("mockingjob.config")), nl=False)
        return
    if reload and workers > 1:
        raise _OneLineUsageError("--reload serves with one worker: it reloads the data that one process serves")
    for variable in _TOKEN_VARIABLES:
        os.environ.pop(variable, None)
    config = _config(ctx.params)
    watch = _watch(ctx, config) if reload else None
    try:
        run(config, watch)
    except FixtureError as exc:
        raise _FixtureProblems(str(exc)) from exc
    except LoadError as exc:
        from .http.app import MountCollision  # imported by `run` already

        if isinstance(exc, MountCollision):
            raise _OneLineUsageError(str(exc)) from exc
        raise click.ClickException(str(exc)) from exc


def _config(values: dict[str, Any]) -> Config:
    """The Config of `serve`'s parameter values (those left out keep their defaults, which are the options')."""
    given = {name: values[name] for name in Config.__dataclass_fields__ if name in values}
    return Config(**{**given, "apis": _apis(tuple(values.get("apis", ()))),
                     "fixtures": list(values.get("fixtures", ())), "tokens": list(values.get("tokens", ())),
                     "cors": list(values.get("cors", ()))})


def _serve_command() -> click.Command:
    return serve


def _watch(ctx: click.Context, config: Config) -> Watch:
    """What ``--reload`` watches, and how it reads the settings file again: the command line and the environment
    still win over it, and a setting it no longer names returns to its default."""
    from .project import read_config_file
    from .reloading import Watch

    project: ProjectConfig | None = ctx.meta.get("mockingjob.config")
    if project is None:
        return Watch(config)
    settings = _setting_names(ctx.command)
    fixed = {name: value for name, value in ctx.params.items()
             if ctx.get_parameter_source(name) in (ParameterSource.COMMANDLINE, ParameterSource.ENVIRONMENT)}

    def reread() -> Config:
        return _config({**_cast_settings(ctx, read_config_file(project.path, settings)), **fixed})

    return Watch(config, project.path, reread)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while the server starts, and freeze what start-up made.

    Start-up (the libraries' imports, the specs, the tables, the seeding) makes some 170,000 objects that nearly
    all live as long as the server: collecting again and again over them took about a seventh of the start-up
    time, to find some 2,000 objects (under 0.5 MB) of garbage. `gc.freeze` keeps them out of every later
    collection; it comes before the collector runs again, whose first pass would otherwise walk them all.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
        gc.freeze()
    finally:
        if enabled:
            gc.enable()


def run(config: Config, watch: Watch | None = None) -> None:
    """Prepare the store and serve `config` with uvicorn until interrupted; with a `reloading.Watch`, reload
    the data as its files change."""
    if config.workers > 1 and not config.state:
        raise UsageError("--workers needs --state: workers share their state through it")
    with _collector_paused():
        import uvicorn
        from sqlalchemy.exc import SQLAlchemyError

        from .banner import announcing, describe
        from .http.app import MockApp, WorkerApp
        from .http.server import (
            raise_open_files_limit,
            serve_watching,
            serve_workers,
            stop_gracefully_on_hangup,
            uvicorn_options,
        )

        try:
            mock = MockApp(config)  # creates and seeds the store once, before any worker starts
        except (SQLAlchemyError, ImportError) as exc:
            cause = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
            raise UsageError(f"cannot open the state store {_shown(config.state)}: {cause}") from exc
        banner = describe(mock)
    raise_open_files_limit()
    options = uvicorn_options(config.loop, config.access_log, header_timeout=config.header_timeout,
                              keep_alive=config.keep_alive)
    # Said once uvicorn says it listens, by the process that bound the port (the parent of several workers).
    options["log_config"] = announcing(options["log_config"], banner)
    try:
        if config.workers == 1 and watch is not None:
            from .reloading import Reloader

            stop_gracefully_on_hangup()
            serve_watching(uvicorn.Config(mock.asgi, host=config.host, port=config.port, **options),
                           Reloader(mock, watch).run)
            return
        if config.workers == 1:
            stop_gracefully_on_hangup()
            uvicorn.run(mock.asgi, host=config.host, port=config.port, **options)
            return
        mock.close()
        worker_config = Config(**{**config.__dict__, "speed": None})  # the clock is already set; don't re-anchor
        serve_workers(uvicorn.Config(WorkerApp(worker_config), factory=True, host=config.host, port=config.port,
                                     workers=config.workers, **options))
    finally:
        gc.unfreeze()  # the server has stopped: a caller in the same process gets its collector back as it was


def _shown(state: str | None) -> str:
    """A state location fit for a message: database passwords are masked."""
    from sqlalchemy import make_url

    if not state:
        return "in memory"
    return make_url(state).render_as_string(hide_password=True) if "://" in state else state


@main.command()
@click.argument("apis", nargs=-1, metavar="[API]...", type=ApiName(), envvar="MOCKINGJOB_APIS")
@_fixtures_option
@_config_file_option
def check(apis: tuple[str, ...], fixtures: tuple[str, ...]) -> None:
    """Validate every spec (OpenAPI 3.0), every handler and every fixture against its spec (with --fixtures,
    the built-in fixtures merged with yours)."""
    from .check import run_checks

    names = _apis(apis) or registry.available()
    lines = [line for problem in run_checks(_apis(apis), fixtures) for line in _one_per_line(str(problem))]
    for line in lines:
        click.echo(f"FAIL {line}", err=True)
    if lines:
        click.echo(f"{len(lines)} problem(s) found", err=True)
        sys.exit(1)
    admin = "" if apis else " (and the admin API's)"
    own = f" (built-in, then {', then '.join(fixtures)})" if fixtures else ""
    click.echo(f"OK: {', '.join(names)}: specs, handlers and fixtures{own} are valid{admin}")


@main.command()
@click.argument("folder", default=".", type=click.Path(file_okay=False), metavar="[DIR]")
@click.option("--api", "apis", multiple=True, metavar="API", help="Start with this API's data only (repeatable; "
              "default: every API).")
@click.option("--force", is_flag=True, help="Overwrite files that are already there.")
def init(folder: str, apis: tuple[str, ...], force: bool) -> None:
    """Start a project in DIR (default: here): a settings file (mockingjob.toml) and a fixtures folder holding a
    small, commented copy of each API's data, with the JSON Schemas editors check the files against."""
    from .starter import write_project

    root = Path(folder)
    try:
        written = write_project(root, _apis(apis), force=force)
    except UsageError as exc:
        raise _OneLineUsageError(str(exc)) from exc
    settings = root / "mockingjob.toml"
    fixtures = sorted({path.parent for path in written.files if path.parent.parent == root / "fixtures"
                       and path.parent.name != "_schemas"})
    click.echo(f"Wrote {settings}")
    for path in fixtures:
        click.echo(f"Wrote {path}/ ({sum(1 for f in written.files if f.parent == path)} files)")
    for name in written.without_starter:
        click.echo(f"{name} has no starter data: its built-in records are served as they are")
    where = "" if root.resolve() == Path.cwd().resolve() else f"cd {folder} && "
    click.echo(f"Next: {where}mockingjob check   (then: mockingjob serve --reload, and edit the files)")


def _one_per_line(problem: str) -> list[str]:
    """A problem of several lines (a fixture folder's, one per record) as lines that each name their API."""
    first, *rest = problem.splitlines() or [""]
    api = first.split(": ", 1)[0]
    return [first, *(f"{api}: {line}" for line in rest)]


def _environment_variables(command: click.Command) -> None:
    """Every option of `command` can also be set as ``MOCKINGJOB_<OPTION>`` (``MOCKINGJOB_ERROR_RATE``), or as
    ``MOCKINGJOB_SERVE_<OPTION>``, as earlier versions read it. Options naming variables of their own keep
    them."""
    for param in command.params:
        if isinstance(param, click.Option) and param.envvar is None and param.name:
            option = next(opt for opt in param.opts if opt.startswith("--"))[2:].replace("-", "_").upper()
            param.envvar = [f"MOCKINGJOB_{option}", f"MOCKINGJOB_{(command.name or '').upper()}_{param.name.upper()}"]


for _command in (serve, check):
    _environment_variables(_command)

from .verify.command import verify as _verify  # noqa: E402  (a module of its own, cheap to import)

main.add_command(_verify)

from .recorder.command import record as _record  # noqa: E402  (its heavy imports wait until it runs)

main.add_command(_record)
