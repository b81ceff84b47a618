"""Apache Airflow's own GoogleDataprepHook, for the tests, without installing Airflow.

The provider wheels (apache-airflow-providers-google and -common-compat) and tenacity are pip-installed
once, --no-deps, into a cache folder beside the venv (never into site-packages). Airflow itself is replaced by
a stand-in of the two things the hook uses from it: ``airflow.__version__`` (the providers' import-time version
check) and ``airflow.sdk.BaseHook`` (``get_connection`` from an ``AIRFLOW_CONN_<ID>`` JSON variable, like
Airflow's environment-variable secrets backend, and ``log``). Everything the hook sends is its own code:
URLs, headers, bodies, retries. A failed install fails the tests that use it; nothing is skipped.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

GOOGLE_PROVIDER = "apache-airflow-providers-google==22.8.0"
COMMON_COMPAT = "apache-airflow-providers-common-compat==1.23.0"
TENACITY = "tenacity>=8.3,<10"
REQUIREMENTS = (GOOGLE_PROVIDER, COMMON_COMPAT, TENACITY)
CONN_ENV = "AIRFLOW_CONN_GOOGLE_CLOUD_DATAPREP_DEFAULT"

# The stand-in for Airflow: only what the provider imports. Claims an Airflow 3 version so that
# airflow.providers.common.compat.sdk takes its Airflow 3 path (``from airflow.sdk import BaseHook``).
_AIRFLOW_INIT = '''"""Stand-in for Apache Airflow (tests only): just enough for the providers' hooks."""
__version__ = "3.3.2"
'''
_AIRFLOW_SDK_INIT = '''"""Stand-in for airflow.sdk (tests only): BaseHook with get_connection and log."""
from __future__ import annotations

import json
import logging
import os
from typing import Any


class AirflowNotFoundException(Exception):
    pass


class Connection:
    def __init__(self, conn_id: str, conn_type: str | None = None, host: str | None = None,
                 login: str | None = None, password: str | None = None, schema: str | None = None,
                 port: int | None = None, extra: dict[str, Any] | str | None = None) -> None:
        self.conn_id, self.conn_type, self.host, self.login = conn_id, conn_type, host, login
        self.password, self.schema, self.port = password, schema, port
        self.extra = extra if isinstance(extra, str) or extra is None else json.dumps(extra)

    @property
    def extra_dejson(self) -> dict[str, Any]:
        return json.loads(self.extra) if self.extra else {}


class BaseHook:
    def __init__(self, logger_name: str | None = None) -> None:
        self._logger_name = logger_name

    @property
    def log(self) -> logging.Logger:
        cls = type(self)
        return logging.getLogger(self._logger_name or f"airflow.task.hooks.{cls.__module__}.{cls.__qualname__}")

    @classmethod
    def get_connection(cls, conn_id: str) -> Connection:
        # Airflow's environment-variable backend, JSON form only.
        value = os.environ.get(f"AIRFLOW_CONN_{conn_id.upper()}")
        if value is None:
            raise AirflowNotFoundException(f"The conn_id `{conn_id}` isn't defined")
        fields = json.loads(value)
        return Connection(conn_id=conn_id, **fields)
'''


def _cache_dir() -> Path:
    key = "-".join(r.replace("==", "-").replace(">=", "ge").replace("<", "lt").replace(",", "_") for r in REQUIREMENTS)
    return Path(os.environ.get("MOCKINGJOB_AIRFLOW_HOOKS_DIR") or Path(sys.prefix) / "airflow-hooks") / key


def _install(target: Path) -> None:
    """pip-installs REQUIREMENTS --no-deps into target (atomically: into a sibling, then renamed)."""
    if (target / ".complete").exists():
        return
    staging = target.with_name(target.name + f".tmp{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
               "--no-deps", "--no-compile", "--target", str(staging), *REQUIREMENTS]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    if done.returncode != 0:
        pytest.fail(f"could not install Airflow's Dataprep hook ({' '.join(command)}):\n{done.stderr[-3000:]}",
                    pytrace=False)
    (staging / "airflow" / "__init__.py").write_text(_AIRFLOW_INIT)
    (staging / "airflow" / "sdk").mkdir()
    (staging / "airflow" / "sdk" / "__init__.py").write_text(_AIRFLOW_SDK_INIT)
    (staging / ".complete").write_text("\n".join(REQUIREMENTS) + "\n")
    try:
        staging.rename(target)
    except OSError:  # another session got there first
        shutil.rmtree(staging, ignore_errors=True)
        if not (target / ".complete").exists():
            raise


@pytest.fixture(scope="session")
def dataprep_hook_class() -> type:
    """The class airflow.providers.google.cloud.hooks.dataprep.GoogleDataprepHook (installed on first use)."""
    target = _cache_dir()
    target.parent.mkdir(parents=True, exist_ok=True)
    _install(target)
    real = sys.modules.get("airflow")
    if real is not None and not str(getattr(real, "__file__", "")).startswith(str(target)):
        pytest.fail(f"a different `airflow` is already imported ({real!r}); the stand-in cannot be used", pytrace=False)
    sys.path.insert(0, str(target))
    module = importlib.import_module("airflow.providers.google.cloud.hooks.dataprep")
    assert module.__file__ is not None and module.__file__.startswith(str(target)), module.__file__
    return module.GoogleDataprepHook


@pytest.fixture
def dataprep_hook(dataprep_hook_class: type, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Any]:
    """Factory: dataprep_hook(base_url, token=..., retries="fast"|"real"|"none") -> a GoogleDataprepHook.

    retries="fast" (default) keeps the hook's 5 attempts but without the exponential wait (up to 1+2+4+8 s);
    "none" makes one attempt and re-raises the HTTPError itself instead of tenacity's RetryError;
    "real" leaves the decorators as they are.
    """
    import tenacity

    def make(base_url: str, token: str = "test-token", retries: str = "fast") -> Any:
        monkeypatch.setenv(CONN_ENV, json.dumps({"conn_type": "dataprep",
                                                  "extra": {"token": token, "base_url": base_url}}))
        for name in dir(dataprep_hook_class):
            controller = getattr(getattr(dataprep_hook_class, name), "retry", None)
            if not isinstance(controller, tenacity.BaseRetrying):
                continue
            if retries in ("fast", "none"):
                monkeypatch.setattr(controller, "wait", tenacity.wait_none())
            if retries == "none":
                monkeypatch.setattr(controller, "stop", tenacity.stop_after_attempt(1))
                monkeypatch.setattr(controller, "reraise", True)
        return dataprep_hook_class()

    return make


@pytest.fixture
def dataprep_log(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """The hook's own log records (it logs the API's ``exception`` field on an HTTP error)."""
    with caplog.at_level(logging.ERROR, logger="airflow.task.hooks"):
        yield caplog
