"""Opening fan-out: 2,000 websocket clients watch one opening room (`tender.<id>`) through a
real daphne process and the Redis channel layer, while the opening commits its record lines.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/th_bench_fanout REDIS_URL=redis://127.0.0.1:6379/5 \\
        .venv/bin/python -m bench.opening_fanout        # --clients 2000 --bids 200 --layers pubsub,core

For each line: the time from its commit (the after-commit hook that hands it to the channel
layer, in the process running the opening) to its arrival at the last client; p50 and p99 over
the lines, and over every single delivery. Every client must get every line, in order.
"""

import argparse
import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.deadline_burst import ensure_database, free_port

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/th_bench_fanout"
DEFAULT_REDIS = "redis://127.0.0.1:6379/5"
LINE_KIND = "opening.line"
FINAL_KIND = "opening.completed"


def raise_open_files_limit() -> int:
    """Each websocket is a file descriptor on both ends; children inherit the raised limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


# The watching clients (a separate process, `--watch`) ------------------------------------------


async def watch(url: str, clients: int, ready_file: Path, out_file: Path, timeout: float) -> None:
    """Open `clients` websockets, say so, then record every event's arrival until the final one."""
    import websockets

    arrivals: list[list[tuple[int, str, float]]] = [[] for _ in range(clients)]
    failures: list[str] = []
    hello = asyncio.Semaphore(100)  # connect in waves, as a crowd arrives, not all in one instant
    sockets = []

    async def one(n: int, opened: asyncio.Event) -> None:
        try:
            async with hello:
                socket = await websockets.connect(
                    url, additional_headers={"Origin": url.split("/ws/")[0].replace("ws", "http", 1)}, open_timeout=60, max_queue=None
                )
                sockets.append(socket)
                first = json.loads(await asyncio.wait_for(socket.recv(), 60))
                assert first["type"] == "hello", first
            opened.set()
            while True:
                message = json.loads(await socket.recv())
                at = time.time()
                batch = message["events"] if message.get("type") == "events" else [message] if message.get("type") == "event" else []
                for event in batch:
                    arrivals[n].append((event["seq"], event["kind"], at))
                if any(event["kind"] == FINAL_KIND for event in batch):
                    return  # the socket stays open until every client is done: closing is not watching
        except Exception as exc:  # recorded: a client that missed lines shows in the figures
            failures.append(f"{exc.__class__.__name__}: {exc}")
            opened.set()

    events = [asyncio.Event() for _ in range(clients)]
    tasks = [asyncio.create_task(one(n, events[n])) for n in range(clients)]
    await asyncio.gather(*(e.wait() for e in events))
    ready_file.write_text(json.dumps({"connected": clients - len(failures)}))
    _, pending = await asyncio.wait(tasks, timeout=timeout)
    for task in pending:
        task.cancel()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    await asyncio.gather(*(socket.close() for socket in sockets), return_exceptions=True)
    out_file.write_text(
        json.dumps({"arrivals": arrivals, "failures": failures, "unfinished": len(pending), "cpu_s": usage.ru_utime + usage.ru_stime})
    )


# The opening (this process) --------------------------------------------------------------------


def server_environment(layer: str, redis_url: str) -> dict[str, str]:
    return os.environ | {
        "DJANGO_SETTINGS_MODULE": "marketplace.settings",
        "REDIS_URL": redis_url,
        "REDIS_CHANNEL_LAYER": layer,
        "REDIS_PREFIX": "tenderhall-bench",
        "STATIC_MANIFEST": "false",
        "LOG_LEVEL": "WARNING",
    }


def start_daphne(env: dict[str, str]) -> tuple[subprocess.Popen, int]:
    import urllib.request

    port = free_port()
    command = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "marketplace.asgi:application"]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/audit/head", timeout=2):
                return process, port
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f"daphne did not start: {process.stderr.read().decode()[-2000:]}")


def start_watchers(port: int, subject: str, clients: int, processes: int, folder: Path, timeout: float, batch: str) -> list[tuple]:
    watchers = []
    for n in range(processes):
        share = clients // processes + (n < clients % processes)
        ready, out = folder / f"ready-{n}.json", folder / f"out-{n}.json"
        command = [
            sys.executable,
            "-m",
            "bench.opening_fanout",
            "--watch",
            f"ws://127.0.0.1:{port}/ws/live/?subject={subject}&batch={batch}",
        ]
        command += ["--clients", str(share), "--ready-file", str(ready), "--out-file", str(out), "--timeout", str(timeout)]
        watchers.append((subprocess.Popen(command, cwd=ROOT), ready, out))
    deadline = time.monotonic() + 180
    while not all(ready.exists() for _, ready, _ in watchers):
        if time.monotonic() > deadline or any(p.poll() is not None for p, _, _ in watchers):
            raise SystemExit("the watching clients did not all connect")
        time.sleep(0.2)
    return watchers


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a running process has used so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def commit_probe() -> dict[int, float]:
    """Record when each live event's transaction committed: live.publish hands it to `broadcast`
    from its after-commit hook, so the moment `broadcast` is called is the commit time."""
    from marketplace import live

    committed: dict[int, float] = {}
    original = live.broadcast

    def timed(message: dict) -> None:
        committed[message["seq"]] = time.time()
        original(message)

    live.broadcast = timed
    return committed


def tender_with_bids(bids: int):
    """A published tender whose deadline has just passed, with `bids` small sealed bids."""
    from django.utils import timezone

    from bench import opening_world, world

    agency, officer = world.agency_and_officer()
    firms = world.suppliers(bids)
    deadline = timezone.now() + timedelta(seconds=2)
    tender = world.published_tender(agency, officer, deadline, "Opening fan-out")
    opening_world.insert_sealed_bids(tender, [firm for firm, _ in firms], envelope_bytes=4_000)
    time.sleep(max(0.0, (deadline - timezone.now()).total_seconds() + 0.5))
    return tender


def run_opening(tender) -> None:
    """The opening engine, as the deadline task runs it: platform custody, line by line."""
    from bidding.opening import open_tender

    open_tender(tender.pk)


def figures(committed: dict[int, float], lines: list[int], results: list[dict], clients: int) -> dict:
    arrivals = [client for result in results for client in result["arrivals"]]
    failures = [f for result in results for f in result["failures"]]
    expected = lines
    in_order = complete = 0
    last_arrival: dict[int, float] = {}
    deliveries: list[float] = []
    for client in arrivals:
        seqs = [seq for seq, kind, _ in client if kind == LINE_KIND]
        in_order += seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
        complete += seqs == expected
        for seq, kind, at in client:
            if kind == LINE_KIND and seq in committed:
                deliveries.append(at - committed[seq])
                last_arrival[seq] = max(last_arrival.get(seq, 0.0), at)
    to_last = sorted(last_arrival[seq] - committed[seq] for seq in expected if seq in last_arrival) or [float("nan")]
    deliveries.sort()

    def pct(values: list[float], q: float) -> int:
        return round(values[min(len(values) - 1, int(len(values) * q))] * 1000) if values else -1

    return {
        "clients": clients,
        "connected": len(arrivals) - len(failures),
        "lines": len(expected),
        "delivered": len(deliveries),
        "expected_deliveries": len(expected) * clients,
        "clients_with_every_line_in_order": complete,
        "clients_in_order": in_order,
        "failures": failures[:5],
        "commit_to_last_client_p50_ms": round(statistics.median(to_last) * 1000),
        "commit_to_last_client_p99_ms": pct(to_last, 0.99),
        "commit_to_last_client_max_ms": round(to_last[-1] * 1000),
        "each_delivery_p50_ms": pct(deliveries, 0.5),
        "each_delivery_p99_ms": pct(deliveries, 0.99),
        "opening_seconds": round(max(committed.values()) - min(committed.values()), 2) if committed else 0,
        "commit_to_last_client_by_line_ms": [round((last_arrival[seq] - committed[seq]) * 1000) for seq in expected if seq in last_arrival],
    }


def one_run(layer: str, args) -> dict:
    """One layer, in a process of its own: this process publishes through that layer too."""
    from marketplace.models import LiveEvent

    tender = tender_with_bids(args.bids)
    subject = f"tender.{tender.pk}"
    daphne, port = start_daphne(server_environment(layer, args.redis_url))
    try:
        with tempfile.TemporaryDirectory() as folder:
            print(f"{layer}: {args.clients} clients connecting to daphne on :{port}, watching {subject}…", flush=True)
            watchers = start_watchers(port, subject, args.clients, args.client_processes, Path(folder), args.timeout, args.batch)
            committed = commit_probe()
            print(f"{layer}: opening {args.bids} bids…", flush=True)
            daphne_cpu = cpu_seconds(daphne.pid)
            run_opening(tender)
            for process, _, _ in watchers:
                process.wait(timeout=args.timeout + 30)
            daphne_cpu = cpu_seconds(daphne.pid) - daphne_cpu
            results = [json.loads(out.read_text()) for _, _, out in watchers]
    finally:
        daphne.terminate()
        try:
            daphne.wait(timeout=30)
        except subprocess.TimeoutExpired:  # thousands of connections can outlast its close timeout
            daphne.kill()
            daphne.wait()
    lines = list(LiveEvent.objects.filter(subject=subject, kind=LINE_KIND).order_by("seq").values_list("seq", flat=True))
    row = figures(committed, lines, results, args.clients)
    row["daphne_cpu_s"] = round(daphne_cpu, 2)
    row["daphne_cpu_us_per_delivery"] = round(daphne_cpu / max(1, row["delivered"]) * 1e6)
    row["clients_cpu_s"] = round(sum(r["cpu_s"] for r in results), 2)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=2000)
    parser.add_argument("--bids", type=int, default=200, help="bids in the tender: one record line each")
    parser.add_argument("--layers", default="pubsub,core", help="REDIS_CHANNEL_LAYER values to compare, each run in turn")
    parser.add_argument("--client-processes", type=int, default=2)
    parser.add_argument("--batch", choices=["1", "0"], default="1", help="1: clients take several events per frame, as live.js does")
    parser.add_argument("--timeout", type=float, default=120, help="seconds the clients wait for the whole record")
    parser.add_argument("--layer", help=argparse.SUPPRESS)
    parser.add_argument("--watch", help=argparse.SUPPRESS)
    parser.add_argument("--ready-file", help=argparse.SUPPRESS)
    parser.add_argument("--out-file", help=argparse.SUPPRESS)
    args = parser.parse_args()
    raise_open_files_limit()
    if args.watch:
        asyncio.run(watch(args.watch, args.clients, Path(args.ready_file), Path(args.out_file), args.timeout))
        return
    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE)
    args.redis_url = os.environ.setdefault("REDIS_URL", DEFAULT_REDIS)
    if args.layer:
        os.environ |= server_environment(args.layer, args.redis_url)
        import django

        django.setup()
        Path(args.out_file).write_text(json.dumps(one_run(args.layer, args)))
        return

    ensure_database(os.environ["DATABASE_URL"])
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, check=True)
    report = {"cores": os.cpu_count(), "clients": args.clients, "bids": args.bids, "batch": args.batch, "runs": {}}
    with tempfile.TemporaryDirectory() as folder:
        for layer in args.layers.split(","):
            out = Path(folder, f"{layer}.json")
            command = [sys.executable, "-m", "bench.opening_fanout", "--layer", layer, "--out-file", str(out)]
            command += ["--clients", str(args.clients), "--bids", str(args.bids), "--client-processes", str(args.client_processes)]
            command += ["--timeout", str(args.timeout), "--batch", args.batch]
            subprocess.run(command, cwd=ROOT, check=True)
            report["runs"][layer] = json.loads(out.read_text())
            print(json.dumps(report["runs"][layer]), flush=True)

    out = ROOT / "var" / "bench" / f"opening_fanout-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2))
    print(f"\nwritten to {out}\n")
    print(
        "| channel layer | clients | lines | delivered | every line, in order | commit → last client p50 | p99 | each delivery p50 | p99 |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for layer, row in report["runs"].items():
        print(
            f"| {layer} | {row['connected']}/{row['clients']} | {row['lines']} | {row['delivered']}/{row['expected_deliveries']} "
            f"| {row['clients_with_every_line_in_order']} clients | {row['commit_to_last_client_p50_ms']} ms | {row['commit_to_last_client_p99_ms']} ms "
            f"| {row['each_delivery_p50_ms']} ms | {row['each_delivery_p99_ms']} ms |"
        )


if __name__ == "__main__":
    main()
