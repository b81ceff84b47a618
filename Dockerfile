# mockingjob in a container: every API on 0.0.0.0:8080, the admin API only for holders of a token.
# How to build and run it: docs/container.md. tests/engine/test_container.py runs this file's entry point,
# environment and health check outside a container, and lints this file with hadolint when it is installed.

# Build stage: the wheel (specs and fixtures inside), then a virtual environment holding it, its dependencies
# and the `postgres` extra, made from wheels only. Nothing of this stage but that environment reaches the image.
FROM python:3.11-slim AS build

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1

WORKDIR /src
COPY pyproject.toml README.md ./
COPY specs/ specs/
COPY fixtures/ fixtures/
COPY src/ src/

# `pip wheel` builds mockingjob's wheel and collects the wheels of what it needs with the postgres extra; the
# environment is then made from exactly those files, without an index.
RUN pip wheel --wheel-dir /wheels ".[postgres]" \
 && python -m venv --without-pip /opt/mockingjob \
 && pip --python /opt/mockingjob/bin/python install --no-index /wheels/*.whl

# The image: Python, the environment, a user of its own. No compiler, no pip run, no token.
FROM python:3.11-slim

LABEL org.opencontainers.image.title="mockingjob" \
      org.opencontainers.image.description="Stand-in server for the job-run APIs of Scale v6, Marquez, Coalesce and Trifacta v4" \
      org.opencontainers.image.licenses="Apache-2.0"

RUN groupadd --system --gid 10001 mockingjob \
 && useradd --system --uid 10001 --gid mockingjob --no-log-init --create-home --home-dir /home/mockingjob \
        --shell /usr/sbin/nologin mockingjob \
 && mkdir /project /data \
 && chown mockingjob:mockingjob /data

COPY --from=build /opt/mockingjob /opt/mockingjob

# Every serve option is also a MOCKINGJOB_<OPTION> variable (docker run -e MOCKINGJOB_SPEED=60 …), read by
# mockingjob itself. What relays connections inside a container (a mesh's sidecar, a proxy in the pod) may make
# any client look local, so loopback clients get no admin API without a token: the server starts only with
# `-e MOCKINGJOB_ADMIN_TOKEN=…` (docs/container.md).
# HOME is set for the build's RUN too (some builders give RUN a HOME of /): the parse cache is made there.
ENV PATH=/opt/mockingjob/bin:$PATH \
    HOME=/home/mockingjob \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    MOCKINGJOB_HOST=0.0.0.0 \
    MOCKINGJOB_PORT=8080 \
    MOCKINGJOB_ADMIN_LOOPBACK=false

USER 10001:10001
# A project mounted here (-v "$PWD":/project) is served: its mockingjob.toml is found from the working folder.
WORKDIR /project

# Checks the installed specs, handlers and fixtures, and keeps their parsed form in ~/.cache/mockingjob, so that
# the server starts without parsing them.
RUN mockingjob check

EXPOSE 8080

# The landing page: it touches neither the store nor the journal, and no fault or error rate applies to it.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/' % os.environ.get('MOCKINGJOB_PORT', '8080'), timeout=4)"]

# Exec form: mockingjob is process 1 and gets SIGTERM itself (docker stop), answering what is in flight first.
# Arguments after the image name replace `serve`: `docker run … IMAGE serve scale --speed 10`, `… IMAGE check`.
ENTRYPOINT ["mockingjob"]
CMD ["serve"]
