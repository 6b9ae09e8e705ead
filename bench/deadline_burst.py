"""Deadline burst: 1,000 sealed bids of 100 KB from 200 concurrent clients in a tender's last
60 seconds, against daphne + PostgreSQL, beside the ceiling (a bare authenticated endpoint
storing 100 KB in one row) measured in the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/th_bench_burst .venv/bin/python -m bench.deadline_burst

Checks: every 201 has its row and a valid receipt (nothing lost), one live bid per firm and
no row without its 201 (nothing duplicated), no bid received at or after the deadline and
every late probe refused with 409 (nothing late). Runs the burst with the product's FOR SHARE
tender lock and, for comparison, with FOR UPDATE.
"""

import argparse
import hashlib
import json
import os
import resource
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/th_bench_burst"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ensure_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def server_environment(lock: str) -> dict[str, str]:
    return os.environ | {
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "BENCH_TENDER_LOCK": lock,
        # Django under ASGI opens a connection per request thread; persistent ones would leak.
        "DATABASE_CONN_MAX_AGE": "0",
        "STATIC_MANIFEST": "false",
        "LOG_LEVEL": "WARNING",
    }


def start_daphne(lock: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    command = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "bench.asgi:application"]
    process = subprocess.Popen(command, cwd=ROOT, env=server_environment(lock), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base + "/api/v1/signing-keys/", timeout=2):
                return process, base
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f"daphne did not start: {process.stderr.read().decode()[-2000:]}")


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU a running process has used (/proc/<pid>/stat, Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# The CPU the last run_load() took: daphne's and the load generator's, in seconds.
last_cpu: dict[str, float] = {}


def run_load(base: str, requests: list[dict], clients: int, rate: float | None = None) -> list[dict]:
    server = servers_by_base.get(base)
    daphne_before = process_cpu_seconds(server.pid) if server else 0.0
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    with tempfile.TemporaryDirectory() as folder:
        source, out = Path(folder, "requests.jsonl"), Path(folder, "results.jsonl")
        source.write_text("".join(json.dumps(r) + "\n" for r in requests))
        command = [
            sys.executable,
            "-m",
            "bench.load",
            "--base",
            base,
            "--requests",
            str(source),
            "--clients",
            str(clients),
            "--out",
            str(out),
        ]
        if rate:
            command += ["--rate", str(rate)]
        subprocess.run(command, cwd=ROOT, check=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        last_cpu["daphne"] = process_cpu_seconds(server.pid) - daphne_before if server else 0.0
        last_cpu["load"] = (after.ru_utime + after.ru_stime) - (children.ru_utime + children.ru_stime)
        return [json.loads(line) for line in out.read_text().splitlines()]


servers_by_base: dict[str, subprocess.Popen] = {}


def cpu_figures(requests: int) -> dict:
    """Of the last run_load(): CPU per request in daphne and in the load generator (ms)."""
    return {
        "daphne_cpu_ms_per_request": round(last_cpu["daphne"] * 1000 / requests, 1),
        "load_generator_cpu_ms_per_request": round(last_cpu["load"] * 1000 / requests, 1),
    }


def figures(results: list[dict]) -> dict:
    accepted = [r for r in results if r["status"] == 201]
    latencies = sorted(r["finished"] - r["started"] for r in accepted) or [0.0]
    duration = max(r["finished"] for r in results) - min(r["started"] for r in results)
    statuses: dict[str, int] = {}
    for r in results:
        statuses[str(r["status"])] = statuses.get(str(r["status"]), 0) + 1
    return {
        "sent": len(results),
        "accepted": len(accepted),
        "statuses": statuses,
        "seconds": round(duration, 2),
        "accepted_per_second": round(len(accepted) / duration, 1),
        "p50_ms": round(statistics.median(latencies) * 1000),
        "p99_ms": round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000),
    }


def envelope_of_size(tender, firm_id: int, target_bytes: int) -> str:
    from bidding import sealing
    from bidding.keys import public_envelopes

    [envelope] = public_envelopes(tender)
    # The compact JWE is ~4/3 of the plaintext, which is ~4/3 of the document plus ~300 bytes.
    document = secrets.token_bytes(int((target_bytes * 3 / 4 - 1000) * 3 / 4))
    content = sealing.plaintext(
        tender_id=tender.pk,
        envelope="bid",
        organisation_id=firm_id,
        prices={1: Decimal("1000.00") + firm_id},
        currency="EUR",
        documents=[sealing.Document("offer.bin", "application/octet-stream", document)],
    )
    return sealing.seal(content, envelope["jwk"], kid=envelope["kid"], organisation_id=firm_id, tender_id=tender.pk)


def verify_burst(tender, results: list[dict], sent: list[str], deadline: datetime, late: list[dict]) -> dict:
    from bidding.models import Bid
    from marketplace import signing
    from marketplace.models import AuditEvent

    bids = {str(b.id): b for b in Bid.objects.filter(tender=tender).prefetch_related("envelopes")}
    # Read before anything drains the journal (no worker runs here): only the requests' own drains.
    chained = set(AuditEvent.objects.filter(action="bid.submitted", payload__tender=tender.pk).values_list("object_id", flat=True))
    lost = not_in_chain = 0
    for result in results:
        if result["status"] != 201:
            continue
        body = json.loads(result["response"])
        bid = bids.get(body["id"])
        receipt = signing.verify(body["receipt"])
        expected = hashlib.sha256(sent[result["index"]].encode()).hexdigest()
        ok = (
            bid is not None
            and bid.receipt == body["receipt"]
            and receipt.valid
            and receipt.payload["envelopes"] == {"bid": expected}
            and [e.sha256 for e in bid.envelopes.all()] == [expected]
        )
        lost += not ok
        not_in_chain += body["id"] not in chained
    acknowledged = sum(r["status"] == 201 for r in results)
    firms = [b.organisation_id for b in bids.values() if b.status == Bid.Status.SUBMITTED]
    return {
        # An acknowledged bid whose audit event is not in the chain a second after the deadline is lost too.
        "lost": lost + not_in_chain,
        "not_in_chain": not_in_chain,
        "duplicated": (len(bids) - acknowledged) + (len(firms) - len(set(firms))),
        "late_accepted": sum(b.received_at >= deadline for b in bids.values()) + sum(r["status"] == 201 for r in late),
        "late_probes_refused_409": sum(r["status"] == 409 for r in late),
        "late_probes": len(late),
    }


def burst(agency, officer, credentials, args, base: str, label: str, rate: float | None, ceiling_rate: float) -> dict:
    """One tender, `args.bids` sealed bids in its last `args.window` seconds, then late probes."""
    from django.utils import timezone

    from bench import world
    from marketplace import journal

    size = args.kb * 1024
    firms = credentials[: args.bids + args.late_probes]
    deadline = (timezone.now() + timedelta(seconds=args.window + 45)).replace(microsecond=0)
    tender = world.published_tender(agency, officer, deadline, f"Deadline burst ({label})")
    sealed = [envelope_of_size(tender, firm, size) for firm, _ in firms]
    requests = [
        {"path": f"/api/v1/tenders/{tender.pk}/bids/", "token": key, "body": json.dumps({"envelopes": {"bid": sealed[n]}})}
        for n, (_, key) in enumerate(firms)
    ]
    time.sleep(max(0.0, (deadline - timedelta(seconds=args.window) - timezone.now()).total_seconds()))
    started = timezone.now()
    print(
        f"{label}: {args.bids} sealed bids of {len(sealed[0])} bytes, from {(deadline - started).total_seconds():.0f} s before the deadline…",
        flush=True,
    )
    results = run_load(base, requests[: args.bids], args.clients, rate)
    cpu = cpu_figures(args.bids)
    journal_after_burst = journal.pending()
    time.sleep(max(0.0, (deadline - timezone.now()).total_seconds() + 1))
    late = run_load(base, requests[args.bids :], args.clients)
    figures_ = figures(results) | cpu | verify_burst(tender, results, sealed, deadline, late)
    figures_["journal_rows_when_the_burst_ended"] = journal_after_burst
    figures_["started_before_deadline_s"] = round((deadline - started).total_seconds(), 1)
    figures_["ratio_to_ceiling"] = round(figures_["accepted_per_second"] / ceiling_rate, 2)
    print(json.dumps(figures_), flush=True)
    return figures_


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bids", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--kb", type=int, default=100)
    parser.add_argument("--window", type=int, default=60, help="seconds before the deadline the burst starts")
    parser.add_argument("--paced-seconds", type=float, default=55, help="the paced run spreads the bids over this many seconds")
    parser.add_argument("--late-probes", type=int, default=20)
    parser.add_argument(
        "--phases", default="saturated,paced", help="saturated (throughput and ratio), paced (latency at a steady arrival rate)"
    )
    parser.add_argument("--locks", default="share,update", help="the tender locks of the saturated bursts (share: the product's)")
    args = parser.parse_args()

    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE)
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command

    from bench import world

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)  # the throttles' cache, without REDIS_URL
    agency, officer = world.agency_and_officer()
    credentials = world.suppliers(args.bids + args.late_probes)
    size = args.kb * 1024
    rate = args.bids / args.paced_seconds
    report: dict = {"cores": os.cpu_count(), "bids": args.bids, "clients": args.clients, "kb": args.kb, "paced_rate_per_s": round(rate, 1)}
    rows: list[tuple[str, dict]] = []

    locks = args.locks.split(",")
    servers = {lock: start_daphne(lock) for lock in dict.fromkeys(("share", *locks))}
    servers_by_base.update({base: process for process, base in servers.values()})
    try:
        base = servers["share"][1]
        blob = secrets.token_urlsafe(size)[:size]
        ceiling_requests = [
            {"path": "/bench/blob/", "token": key, "body": json.dumps({"blob": blob})} for _, key in credentials[: args.bids]
        ]
        phases = args.phases.split(",")
        ceiling_rate = 1.0
        if "saturated" in phases:
            print(f"ceiling: {args.bids} × {args.kb} KB to the bare endpoint, {args.clients} clients…", flush=True)
            ceiling = figures(run_load(base, ceiling_requests, args.clients)) | cpu_figures(args.bids)
            print(json.dumps(ceiling), flush=True)
            ceiling_rate = ceiling["accepted_per_second"]
            rows.append(("ceiling: 100 KB in one row, saturated", ceiling | {"ratio_to_ceiling": 1.0}))
            share = burst(agency, officer, credentials, args, base, "share", None, ceiling_rate)
            rows.append(("sealed bids, tender FOR SHARE, saturated", share))
            if "update" in locks:
                update = burst(agency, officer, credentials, args, servers["update"][1], "update", None, ceiling_rate)
                rows.append(("sealed bids, tender FOR UPDATE, saturated", update))
        if "paced" in phases:
            print(f"ceiling, paced: {args.bids} over {args.paced_seconds:.0f} s…", flush=True)
            ceiling_paced = figures(run_load(base, ceiling_requests, args.clients, rate)) | cpu_figures(args.bids)
            print(json.dumps(ceiling_paced), flush=True)
            rows.append((f"ceiling, paced ({rate:.0f}/s)", ceiling_paced | {"ratio_to_ceiling": None}))
            paced = burst(agency, officer, credentials, args, base, "share, paced", rate, ceiling_rate)
            rows.append((f"sealed bids, FOR SHARE, paced ({rate:.0f}/s)", paced | {"ratio_to_ceiling": None}))
    finally:
        for process, _base in servers.values():
            process.terminate()
            process.wait(timeout=20)

    report["runs"] = dict(rows)
    out = ROOT / "var" / "bench" / f"deadline_burst-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2))
    print(f"\nwritten to {out}\n")
    print(
        "| run | accepted | accepted/s | p50 | p99 | ratio to ceiling | daphne CPU/request | load generator CPU/request | lost | duplicated | late accepted |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for label, row in rows:
        checks = (
            f"{row['lost']} | {row['duplicated']} | {row['late_accepted']} ({row['late_probes_refused_409']}/{row['late_probes']} late probes got 409)"
            if "lost" in row
            else "— | — | —"
        )
        ratio = "—" if row["ratio_to_ceiling"] is None else f"{row['ratio_to_ceiling']:.2f}"
        cpu = f"{row['daphne_cpu_ms_per_request']} ms | {row['load_generator_cpu_ms_per_request']} ms"
        print(
            f"| {label} | {row['accepted']}/{row['sent']} | {row['accepted_per_second']} | {row['p50_ms']} ms | {row['p99_ms']} ms | {ratio} | {cpu} | {checks} |"
        )


if __name__ == "__main__":
    main()
