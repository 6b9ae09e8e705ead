"""Real platform processes (daphne, db_worker) for tests that cross process boundaries.

They share the test database, so tests using them must commit their data
(`django_db(transaction=True)`).
"""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_database_url() -> str:
    """The URL of the database this test run uses, for child processes."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def child_environment(redis_url: str | None = None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "DJANGO_"))}
    env.pop("REDIS_URL", None)
    env |= {
        "DATABASE_URL": test_database_url(),
        "SECRET_KEY": settings.SECRET_KEY,
        "STATIC_MANIFEST": "false",
        "LIVE_TAIL_INTERVAL_MS": "100",
        "WORKER_HEARTBEAT_SECONDS": "2",
        "EMAIL_BACKEND": "memory",
        "TENDERHALL_DATA_DIR": str(settings.VAR_DIR),
        "LOG_LEVEL": "WARNING",
    }
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env | extra


class Processes:
    """Starts daphne servers and db_workers; stops them all on exit."""

    def __init__(self, env: dict[str, str]):
        self.env = env
        self.started: list[subprocess.Popen] = []
        self.ports: list[int] = []

    def daphne(self) -> int:
        port = free_port()
        # The product's daphne (as `manage.py serve` starts it), with its prepared live frames.
        command = [sys.executable, "-m", "marketplace.server", "-b", "127.0.0.1", "-p", str(port), "marketplace.asgi:application"]
        self._start(command)
        self.ports.append(port)
        wait_for_http(f"http://127.0.0.1:{port}/api/v1/audit/head")
        return port

    def worker(self) -> None:
        self._start([sys.executable, "manage.py", "db_worker", "--no-reload", "--no-startup-delay", "--interval", "0.1", "-v", "0"])

    def _start(self, command: list[str]) -> subprocess.Popen:
        log = tempfile.NamedTemporaryFile(prefix="tenderhall-process-", suffix=".log", delete=False)  # noqa: SIM115
        process = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        process.log_path = log.name
        self.started.append(process)
        return process

    def logs(self) -> str:
        """What the processes printed, for a failing test's report."""
        return "\n".join(f"--- {' '.join(p.args[-3:])}\n{Path(p.log_path).read_text()[-4000:]}" for p in self.started)

    def stop(self) -> None:
        for process in self.started:
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
        for process in self.started:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def __enter__(self) -> "Processes":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.stop()
        if exc_type is not None:
            print(self.logs())  # pytest shows it with the failure
        for process in self.started:
            Path(process.log_path).unlink(missing_ok=True)


def wait_for_http(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer within {timeout} s")
