"""Run the whole platform in the foreground: daphne (HTTP + websockets, `marketplace.server`) and one db_worker."""

import signal
import subprocess
import sys
import time

from django.core.management import call_command
from django.core.management.base import BaseCommand

from marketplace import periodic
from marketplace.tasks import ensure_heartbeat


class Command(BaseCommand):
    help = "Start daphne and a background worker; stop both on Ctrl-C or when either exits."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=1, help="number of db_worker processes")
        parser.add_argument(
            "--prepare",
            action="store_true",
            help="first migrate, collect the static files, create the cache table and seed the demo, in this process",
        )

    def handle(self, *args, host: str, port: int, workers: int, prepare: bool, **options):
        if prepare:
            # One process for every step before serving: each `manage.py` started anew would load
            # Django and every app again, seconds each on a busy machine.
            call_command("migrate", interactive=False, stdout=self.stdout)
            call_command("collectstatic", interactive=False, verbosity=0)
            call_command("createcachetable", stdout=self.stdout)
            self.stdout.write("Loading the demo data…")
            call_command("seed_demo", stdout=self.stdout)
        # /healthz reports a live worker only after its first beat: queue one before it starts.
        ensure_heartbeat()
        periodic.ensure_all()
        python = sys.executable
        # daphne with the live fan-out's prepared frames (marketplace/server.py)
        commands = [[python, "-m", "marketplace.server", "-b", host, "-p", str(port), "marketplace.asgi:application"]]
        commands += [[python, "manage.py", "db_worker", "--no-reload", "--interval", "0.5"] for _ in range(workers)]
        processes = [subprocess.Popen(command) for command in commands]
        self.stdout.write(self.style.SUCCESS(f"Tenderhall is running on http://{host}:{port}/ — press Ctrl-C to stop."))

        stopping = False

        def stop(signum, frame):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            while not stopping and all(p.poll() is None for p in processes):
                time.sleep(0.2)
        finally:
            for process in processes:
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + 10
            for process in processes:
                try:
                    process.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    process.kill()
        failed = [p for p in processes if p.returncode not in (0, -signal.SIGTERM, -signal.SIGINT)]
        if failed and not stopping:
            sys.exit(1)
        self.stdout.write("Tenderhall stopped.")
