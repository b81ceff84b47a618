"""``mockingjob record`` run as a user runs it: a child process on a free port, stopped with Ctrl-C."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.support.processes import free_port

__all__ = ["Recorder"]


class Recorder:
    """``python -m mockingjob record API --upstream URL --out DIR --port <free>``, up once its port accepts."""

    def __init__(self, api: str, upstream: str, out: Path, *args: str, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.stdout = tempfile.TemporaryFile()  # noqa: SIM115 - closed in stop()
        self.stderr = tempfile.TemporaryFile()  # noqa: SIM115 - closed in stop()
        command = [sys.executable, "-m", "mockingjob", "record", api, "--upstream", upstream, "--out", str(out),
                   "--port", str(self.port), *args]
        self.process = subprocess.Popen(command, stdout=self.stdout, stderr=self.stderr,
                                        env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})})
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"the recorder did not start: {self.out}{self.err}")

    out = ""
    """What it wrote on stdout (once stopped)."""
    err = ""

    def stop(self, sig: signal.Signals = signal.SIGINT) -> int:
        """Stop it as a user would (Ctrl-C by default); answer its exit status. What it said stays readable."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if not self.stdout.closed:
            self.out, self.err = self._read(self.stdout), self._read(self.stderr)
            self.stdout.close()
            self.stderr.close()
        return self.process.returncode

    @staticmethod
    def _read(file: Any) -> str:
        file.seek(0)
        return file.read().decode(errors="replace")
