"""From a fresh clone to the first page: `make run` in a new clone of this repository, with empty
package caches, timed until the home page answers 200.

    .venv/bin/python -m bench.first_page --runs 3      (or: make bench-first-page)

Each run clones the repository's committed `HEAD` into a temporary folder, gives pip and uv
caches of their own (empty) and no local wheel folder, starts `make run` on a free port with its
own data folder, polls `/` every 0.2 s and stops the platform with Ctrl-C once it answers. It
reports each run's seconds to the first page, and the seconds spent before the demo seeding
starts (installation and migrations) as read from the output, then the median and spread.
"""

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIMIT_SECONDS = 900


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def one_run(python: str) -> dict:
    with tempfile.TemporaryDirectory(prefix="th-first-page-") as folder:
        folder = Path(folder)
        clone = folder / "clone"
        subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
        port = free_port()
        env = {key: value for key, value in os.environ.items() if key not in {"PIP_FIND_LINKS", "DATABASE_URL", "REDIS_URL"}}
        env |= {
            "PIP_CONFIG_FILE": "/dev/null",
            "PIP_CACHE_DIR": str(folder / "pip-cache"),
            "UV_CACHE_DIR": str(folder / "uv-cache"),
            "TENDERHALL_DATA_DIR": str(folder / "data"),
            "PYTHONUNBUFFERED": "1",
        }
        log = (folder / "run.log").open("w+")
        started = time.monotonic()
        process = subprocess.Popen(
            ["make", "run", f"PORT={port}", f"PYTHON={python}"],
            cwd=clone,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        seeding_at = None
        try:
            while not answers(f"http://127.0.0.1:{port}/"):
                if process.poll() is not None:
                    log.seek(0)
                    sys.exit(f"make run stopped before serving a page:\n{log.read()[-3000:]}")
                if time.monotonic() - started > LIMIT_SECONDS:
                    sys.exit(f"no page after {LIMIT_SECONDS} s")
                if seeding_at is None and "Loading the demo data" in Path(log.name).read_text(errors="replace"):
                    seeding_at = time.monotonic() - started
                time.sleep(0.2)
            first_page = time.monotonic() - started
        finally:
            os.killpg(process.pid, signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
            log.close()
    return {"first_page": first_page, "before_seeding": seeding_at}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--python", default="python3", help="the interpreter `make run` creates .venv with")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    runs = []
    for number in range(1, args.runs + 1):
        run = one_run(args.python)
        runs.append(run)
        before = f"{run['before_seeding']:.1f} s" if run["before_seeding"] is not None else "?"
        print(f"run {number}: first page after {run['first_page']:.1f} s (install and migrate: {before})", flush=True)
    times = sorted(run["first_page"] for run in runs)
    print(
        f"first page: median {statistics.median(times):.1f} s, spread {times[0]:.1f}–{times[-1]:.1f} s over {len(times)} runs"
        f" (load average {load:.1f} at the start, {os.getloadavg()[0]:.1f} at the end)"
    )


if __name__ == "__main__":
    main()
