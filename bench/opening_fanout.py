"""Opening fan-out: 2,000 websocket clients watch one opening room (`tender.<id>`) through a
real daphne process and the Redis channel layer, while the opening commits its record lines.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/th_bench_fanout REDIS_URL=redis://127.0.0.1:6379/5 \\
        .venv/bin/python -m bench.opening_fanout        # --clients 2000 --bids 200 --layers pubsub,core --frames prepared

For each line: the time from its commit (the after-commit hook that hands it to the channel
layer, in the process running the opening) to its arrival at the last client; p50 and p99 over
the lines, and over every single delivery. Every client must get every line, in order.
"""

import argparse
import asyncio
import base64
import contextlib
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

import orjson

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


class RawWebsocket(asyncio.Protocol):
    """The least a websocket client must do (RFC 6455): the opening handshake, reading the
    server's unmasked frames, answering pings, closing. A load generator lighter than the
    `websockets` library, so that on two shared cores more of the machine is left to the server;
    `--client websockets` measures with the library instead."""

    def __init__(self, url: str, on_text, lost: asyncio.Future):
        host_port, path = url.removeprefix("ws://").split("/", 1)
        self.request = (
            f"GET /{path} HTTP/1.1\r\nHost: {host_port}\r\nOrigin: http://{host_port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
        self.on_text, self.lost = on_text, lost
        self.buffer = bytearray()
        self.open = False

    def connection_made(self, transport) -> None:
        self.transport = transport
        transport.write(self.request)

    def connection_lost(self, exc) -> None:
        if not self.lost.done():
            self.lost.set_exception(exc or ConnectionError("the server closed the connection"))

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer
        buffer += data
        at = 0
        if not self.open:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            if not buffer.startswith(b"HTTP/1.1 101"):
                raise ConnectionError(bytes(buffer[:end]).decode("latin-1"))
            self.open, at = True, end + 4
        while len(buffer) - at >= 2:
            first, length = buffer[at], buffer[at + 1] & 0x7F
            start = at + 2
            if length == 126:
                length, start = int.from_bytes(buffer[at + 2 : at + 4]), at + 4
            elif length == 127:
                length, start = int.from_bytes(buffer[at + 2 : at + 10]), at + 10
            if len(buffer) < start + length:
                break
            payload, at = bytes(buffer[start : start + length]), start + length
            opcode = first & 0x0F
            if not first & 0x80:
                raise ConnectionError("a fragmented frame: the server does not send them")
            if opcode == 1:
                self.on_text(payload)
            elif opcode == 9:  # ping: a pong with the same payload, masked (with a zero key)
                self.transport.write(bytes([0x8A, 0x80 | len(payload)]) + b"\0\0\0\0" + payload)
            elif opcode == 8:
                self.transport.close()
        del buffer[:at]

    async def close(self) -> None:
        if not self.transport.is_closing():
            self.transport.write(bytes([0x88, 0x82]) + b"\0\0\0\0" + (1000).to_bytes(2))
            self.transport.close()


async def watch(url: str, clients: int, ready_file: Path, out_file: Path, timeout: float, client: str) -> None:
    """Open `clients` websockets, say so, then record every event's arrival until the final one."""
    import websockets

    arrivals: list[list[tuple[int, str, float]]] = [[] for _ in range(clients)]
    failures: list[str] = []
    hello = asyncio.Semaphore(100)  # connect in waves, as a crowd arrives, not all in one instant
    sockets = []

    def record(n: int, message: dict) -> bool:
        """Note the arrival of a frame's events; true once the final one came."""
        at = time.time()
        batch = message["events"] if message.get("type") == "events" else [message] if message.get("type") == "event" else []
        arrivals[n].extend([(event["seq"], event["kind"], at) for event in batch])
        return any(event["kind"] == FINAL_KIND for event in batch)

    async def one_raw(n: int, opened: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        said_hello, finished = loop.create_future(), loop.create_future()

        def on_text(payload: bytes) -> None:
            message = orjson.loads(payload)  # the least a client can do: it shares the cores with the server
            if message.get("type") == "hello":
                said_hello.set_result(None)
            elif record(n, message) and not finished.done():
                finished.set_result(None)

        try:
            async with hello:
                host, port = url.removeprefix("ws://").split("/", 1)[0].split(":")
                _, socket = await loop.create_connection(lambda: RawWebsocket(url, on_text, finished), host, int(port))
                sockets.append(socket)
                await asyncio.wait_for(said_hello, 60)
            opened.set()
            await finished
        except Exception as exc:  # recorded: a client that missed lines shows in the figures
            failures.append(f"{exc.__class__.__name__}: {exc}")
            opened.set()

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
            while not record(n, json.loads(await socket.recv())):
                pass  # the socket stays open until every client is done: closing is not watching
        except Exception as exc:  # recorded: a client that missed lines shows in the figures
            failures.append(f"{exc.__class__.__name__}: {exc}")
            opened.set()

    events = [asyncio.Event() for _ in range(clients)]
    tasks = [asyncio.create_task((one_raw if client == "raw" else one)(n, events[n])) for n in range(clients)]
    await asyncio.gather(*(e.wait() for e in events))
    ready_file.write_text(json.dumps({"connected": clients - len(failures)}))
    _, pending = await asyncio.wait(tasks, timeout=timeout)
    for task in pending:
        task.cancel()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    # Written (whole, by a rename) before the sockets close, so the server's CPU can be read at
    # the last delivery, apart from the cost of the crowd leaving.
    partial = out_file.with_suffix(".partial")
    partial.write_text(
        json.dumps({"arrivals": arrivals, "failures": failures, "unfinished": len(pending), "cpu_s": usage.ru_utime + usage.ru_stime})
    )
    partial.rename(out_file)
    await asyncio.gather(*(socket.close() for socket in sockets), return_exceptions=True)


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


# How the server writes the hub's frames: "prepared", the product's daphne (`marketplace.server`,
# one frame framed once for all sockets); "asgi", plain daphne (one websocket.send per socket).
SERVERS = {"prepared": "marketplace.server", "asgi": "daphne"}


def start_daphne(env: dict[str, str], frames: str = "prepared") -> tuple[subprocess.Popen, int]:
    import urllib.request

    port = free_port()
    command = [sys.executable, "-m", SERVERS[frames], "-b", "127.0.0.1", "-p", str(port), "marketplace.asgi:application"]
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


def start_watchers(
    port: int, subject: str, clients: int, processes: int, folder: Path, timeout: float, batch: str, client: str
) -> list[tuple]:
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
        command += [
            "--clients",
            str(share),
            "--ready-file",
            str(ready),
            "--out-file",
            str(out),
            "--timeout",
            str(timeout),
            "--client",
            client,
        ]
        watchers.append((subprocess.Popen(command, cwd=ROOT), ready, out))
    deadline = time.monotonic() + 180
    while not all(ready.exists() for _, ready, _ in watchers):
        if time.monotonic() > deadline or any(p.poll() is not None for p, _, _ in watchers):
            raise SystemExit("the watching clients did not all connect")
        time.sleep(0.2)
    return watchers


def wait_for_file(path: Path, process: subprocess.Popen, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if process.poll() is not None and not path.exists():
            raise SystemExit(f"a watching process exited ({process.returncode}) without its results")
        if time.monotonic() > deadline:
            raise SystemExit("the watching clients did not finish")
        time.sleep(0.05)
    return path.read_text()


def runnable_wait_seconds(pid: int) -> float:
    """Time the process's threads spent ready to run but waiting for a core (Linux schedstat):
    on a shared machine, what the others' load cost this process."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):  # a thread that ended meanwhile
            total += int((task / "schedstat").read_text().split()[1])
    return total / 1e9


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
        # The events of one frame share their arrival time.
        "frames_received": sum(len({at for _, _, at in client}) for client in arrivals),
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


def one_run(layer: str, frames: str, args) -> dict:
    """One layer and server, in a process of its own: this process publishes through that layer too."""
    from marketplace.models import LiveEvent

    tender = tender_with_bids(args.bids)
    subject = f"tender.{tender.pk}"
    daphne, port = start_daphne(server_environment(layer, args.redis_url), frames)
    try:
        with tempfile.TemporaryDirectory() as folder:
            print(f"{layer}: {args.clients} clients connecting to daphne on :{port}, watching {subject}…", flush=True)
            watchers = start_watchers(
                port, subject, args.clients, args.client_processes, Path(folder), args.timeout, args.batch, args.client
            )
            committed = commit_probe()
            print(f"{layer}: opening {args.bids} bids…", flush=True)
            waits = [runnable_wait_seconds(p.pid) for p in [daphne] + [p for p, _, _ in watchers]]
            daphne_cpu = cpu_seconds(daphne.pid)
            clients_cpu = sum(cpu_seconds(p.pid) for p, _, _ in watchers)
            started = time.monotonic()
            run_opening(tender)
            results = [json.loads(wait_for_file(out, process, args.timeout + 30)) for process, _, out in watchers]
            # The window ends when the last client has its last line (before the clients close).
            clients_window_cpu = sum(cpu_seconds(p.pid) for p, _, _ in watchers) - clients_cpu
            daphne_cpu = cpu_seconds(daphne.pid) - daphne_cpu
            waits = [runnable_wait_seconds(p.pid) - w for p, w in zip([daphne] + [p for p, _, _ in watchers], waits, strict=True)]
            wall = time.monotonic() - started
            for process, _, _ in watchers:
                process.wait(timeout=args.timeout + 30)
    finally:
        daphne.terminate()
        try:
            daphne.wait(timeout=30)
        except subprocess.TimeoutExpired:  # thousands of connections can outlast its close timeout
            daphne.kill()
            daphne.wait()
    lines = list(LiveEvent.objects.filter(subject=subject, kind=LINE_KIND).order_by("seq").values_list("seq", flat=True))
    row = figures(committed, lines, results, args.clients)
    row["frames"] = frames
    # Seconds each side was ready to run but waited for a core, in the same window.
    row["daphne_waited_for_cpu_s"] = round(waits[0], 2)
    row["clients_waited_for_cpu_s"] = round(sum(waits[1:]), 2)
    row["clients_window_cpu_s"] = round(clients_window_cpu, 2)
    row["daphne_cpu_s"] = round(daphne_cpu, 2)
    row["daphne_cpu_us_per_delivery"] = round(daphne_cpu / max(1, row["delivered"]) * 1e6, 1)
    row["events_per_frame"] = round(row["delivered"] / max(1, row["frames_received"]), 1)
    row["daphne_cpu_us_per_frame"] = round(daphne_cpu / max(1, row["frames_received"]) * 1e6, 1)
    row["clients_cpu_s"] = round(sum(r["cpu_s"] for r in results), 2)
    row["clients_cpu_us_per_delivery"] = round(row["clients_window_cpu_s"] / max(1, row["delivered"]) * 1e6, 1)
    # Of the machine's CPU time while the opening ran and the clients read it: (wall × cores).
    wall = row["wall_s"] = round(wall, 2)
    row["daphne_machine_share"] = round(daphne_cpu / (wall * os.cpu_count()), 3)
    row["clients_machine_share"] = round(row["clients_window_cpu_s"] / (wall * os.cpu_count()), 3)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=2000)
    parser.add_argument("--bids", type=int, default=200, help="bids in the tender: one record line each")
    parser.add_argument("--layers", default="pubsub,core", help="REDIS_CHANNEL_LAYER values to compare, each run in turn")
    parser.add_argument("--client-processes", type=int, default=2)
    parser.add_argument("--batch", choices=["1", "0"], default="1", help="1: clients take several events per frame, as live.js does")
    parser.add_argument("--timeout", type=float, default=120, help="seconds the clients wait for the whole record")
    parser.add_argument(
        "--frames",
        default="prepared",
        help="servers to compare: prepared (the product's, marketplace.server), asgi (plain daphne); e.g. prepared,asgi",
    )
    parser.add_argument("--client", choices=["raw", "websockets"], default="raw", help="the watchers' websocket client (see RawWebsocket)")
    parser.add_argument("--layer", help=argparse.SUPPRESS)
    parser.add_argument("--watch", help=argparse.SUPPRESS)
    parser.add_argument("--ready-file", help=argparse.SUPPRESS)
    parser.add_argument("--out-file", help=argparse.SUPPRESS)
    args = parser.parse_args()
    raise_open_files_limit()
    if args.watch:
        asyncio.run(watch(args.watch, args.clients, Path(args.ready_file), Path(args.out_file), args.timeout, args.client))
        return
    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE)
    args.redis_url = os.environ.setdefault("REDIS_URL", DEFAULT_REDIS)
    if args.layer:
        os.environ |= server_environment(args.layer, args.redis_url)
        import django

        django.setup()
        Path(args.out_file).write_text(json.dumps(one_run(args.layer, args.frames, args)))
        return

    ensure_database(os.environ["DATABASE_URL"])
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, check=True)
    report = {"cores": os.cpu_count(), "clients": args.clients, "bids": args.bids, "batch": args.batch, "client": args.client, "runs": {}}
    with tempfile.TemporaryDirectory() as folder:
        for layer in args.layers.split(","):
            for frames in args.frames.split(","):
                if frames not in SERVERS:
                    parser.error(f"--frames: {frames!r} is not one of {', '.join(SERVERS)}")
                out = Path(folder, f"{layer}-{frames}.json")
                command = [sys.executable, "-m", "bench.opening_fanout", "--layer", layer, "--frames", frames, "--out-file", str(out)]
                command += ["--clients", str(args.clients), "--bids", str(args.bids), "--client-processes", str(args.client_processes)]
                command += ["--timeout", str(args.timeout), "--batch", args.batch, "--client", args.client]
                subprocess.run(command, cwd=ROOT, check=True)
                row = report["runs"][f"{layer}/{frames}"] = json.loads(out.read_text())
                print(json.dumps({k: v for k, v in row.items() if k != "commit_to_last_client_by_line_ms"}), flush=True)

    out = ROOT / "var" / "bench" / f"opening_fanout-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2))
    print(f"\nwritten to {out}\n")
    print(
        "| layer/frames | clients | delivered | every line, in order | commit → last client p50 | p99 "
        "| daphne CPU per delivery | clients' CPU per delivery | machine share: daphne | clients |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, row in report["runs"].items():
        print(
            f"| {name} | {row['connected']}/{row['clients']} | {row['delivered']}/{row['expected_deliveries']} "
            f"| {row['clients_with_every_line_in_order']} clients | {row['commit_to_last_client_p50_ms']} ms | {row['commit_to_last_client_p99_ms']} ms "
            f"| {row['daphne_cpu_us_per_delivery']} µs | {row['clients_cpu_us_per_delivery']} µs "
            f"| {row['daphne_machine_share']:.0%} | {row['clients_machine_share']:.0%} |"
        )


if __name__ == "__main__":
    main()
