"""Opening speed: 1,000 sealed bids of 1 MB opened by the engine (`bidding.opening.open_tender`,
platform custody), against the floor — a plain loop that reads the same JWEs from the database
and decrypts them with jwcrypto in one process — and the same loop reading only (one row a
round trip), about what reading the envelopes from the database costs. Peak memory of the
opening process for 250 and 1,000 bids shows it does not grow with the number of bids.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/th_bench_opening .venv/bin/python -m bench.opening_speed
        # --bids 250,1000 --mb 1 --reuse

With `--reuse`, a tender sealed by an earlier run with the same size is opened again: its
opening is undone first (lines, documents, round; bids and tender back to submitted and closed;
the audit and live events it wrote stay, as they would on any platform), so a run at 1,000 bids
does not seal for minutes before measuring.

Each measurement runs in a fresh process (`--measure engine|floor|read --tender <id>`), so its peak
resident memory (VmHWM) is its own and not the setup's. The bids are sealed with
`bidding.sealing.seal` and inserted in bulk (setup, not measured).
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.deadline_burst import ensure_database

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/th_bench_opening"


def peak_rss_mb() -> float:
    """This process's peak resident memory. Not getrusage's ru_maxrss: Linux keeps that across
    exec, so a child would report its parent's peak at fork."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def rss_mb() -> float:
    return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


# Measurements (each in its own process) ---------------------------------------------------------


def measure_floor(tender_id: int, decrypt: bool = True) -> dict:
    """Read each envelope and decrypt it with jwcrypto: nothing else. Without `decrypt`, only
    read it: about what reading the envelopes from the database costs."""
    from django.utils import timezone

    from bidding import keys, sealing
    from bidding.models import Envelope, EnvelopeKey

    key = keys.unwrap_platform_key(EnvelopeKey.objects.get(tender=tender_id, name="bid"), now=timezone.now())
    started = time.perf_counter()
    count = size = 0
    for jwe in Envelope.objects.filter(bid__tender=tender_id).order_by("pk").values_list("jwe", flat=True).iterator(chunk_size=1):
        size += len(sealing.open_envelope(jwe, key)) if decrypt else len(jwe)
        count += 1
    return {"seconds": time.perf_counter() - started, "envelopes": count, "plaintext_mb": round(size / 2**20)}


def measure_engine(tender_id: int, trace_memory: bool = False) -> dict:
    """The deadline task's body: close, open, read every bid, sign the record.

    With `trace_memory`, Python's own allocations are traced (tracemalloc, which slows the run):
    the peak, and what is still held once the record is complete."""
    import tracemalloc

    from bidding.models import Opening
    from bidding.opening import open_tender

    if trace_memory:
        tracemalloc.start()
    started = time.perf_counter()
    opening = open_tender(tender_id)
    seconds = time.perf_counter() - started
    row = {}
    if trace_memory:
        held, peak = tracemalloc.get_traced_memory()
        row = {"traced_peak_mb": round(peak / 2**20, 1), "traced_held_after_mb": round(held / 2**20, 1)}
        tracemalloc.stop()
    opening = Opening.objects.get(pk=opening.pk)
    return row | {"seconds": seconds, "status": opening.status, "valid": opening.record["valid"], "rejected": opening.record["rejected"]}


def run_measurement(kind: str, tender_id: int, data_dir: Path) -> dict:
    env = os.environ | {"TENDERHALL_DATA_DIR": str(data_dir), "LOG_LEVEL": "WARNING"}
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        command = [sys.executable, "-m", "bench.opening_speed", "--measure", kind, "--tender", str(tender_id), "--out", out.name]
        subprocess.run(command, cwd=ROOT, env=env, check=True)
        return json.loads(Path(out.name).read_text())


# Setup -------------------------------------------------------------------------------------------


def tender_with_sealed_bids(bids: int, envelope_bytes: int, label: str):
    from django.utils import timezone

    from bench import opening_world, world

    agency, officer = world.agency_and_officer()
    firms = world.suppliers(bids)
    deadline = timezone.now() + timedelta(days=1)
    tender = world.published_tender(agency, officer, deadline, f"Opening speed ({label})")
    started = time.perf_counter()
    opening_world.insert_sealed_bids(tender, [firm for firm, _ in firms[:bids]], envelope_bytes=envelope_bytes)
    print(f"  {bids} bids sealed and stored in {time.perf_counter() - started:.0f} s", flush=True)
    # The bids were received before the deadline; the deadline is now behind us, and the tender
    # is closed as at the deadline (the floor needs that to unwrap the key; the engine does it too).
    from tenders.actions import close_tender

    type(tender).objects.filter(pk=tender.pk).update(submission_deadline=timezone.now() - timedelta(seconds=1))
    close_tender(tender.pk)
    return tender


def reusable_tender(bids: int, envelope_bytes: int):
    """A tender of `bids` sealed bids of this size left by an earlier run, its opening undone;
    None if there is none."""
    from django.db import transaction

    from bidding.models import Bid, Envelope, OpenedDocument, Opening, OpeningLine
    from tenders.models import Tender

    label = f"Opening speed ({bids} bids)"
    for tender in Tender.objects.filter(title__endswith=label).order_by("-pk"):
        sizes = Envelope.objects.filter(bid__tender=tender).values_list("size", flat=True)
        if len(sizes) != bids or not all(abs(size - envelope_bytes) < envelope_bytes * 0.05 for size in sizes):
            continue
        with transaction.atomic():
            OpenedDocument.objects.filter(bid__tender=tender).delete()
            OpeningLine.objects.filter(opening__tender=tender).delete()
            Opening.objects.filter(tender=tender).delete()
            Bid.objects.filter(tender=tender).update(status=Bid.Status.SUBMITTED, status_reason="")
            Tender.objects.filter(pk=tender.pk).update(status=Tender.Status.CLOSED)
        return Tender.objects.get(pk=tender.pk)
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bids", default="250,1000", help="tender sizes, comma-separated; the last is the speed comparison")
    parser.add_argument("--mb", type=float, default=1.0, help="size of each sealed envelope (compact JWE), MB")
    parser.add_argument("--reuse", action="store_true", help="open again a tender sealed by an earlier run, if there is one")
    parser.add_argument("--trace-memory", action="store_true", help="trace the engine's Python allocations (slower: not for timing)")
    parser.add_argument("--measure", choices=["engine", "engine-traced", "floor", "read"], help=argparse.SUPPRESS)
    parser.add_argument("--tender", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE)
    os.environ["DJANGO_SETTINGS_MODULE"] = "marketplace.settings"

    if args.measure:
        import django

        django.setup()
        before = rss_mb()
        if args.measure in ("floor", "read"):
            row = measure_floor(args.tender, decrypt=args.measure == "floor")
        else:
            row = measure_engine(args.tender, args.measure == "engine-traced")
        row |= {"rss_after_setup_mb": round(before), "peak_rss_mb": round(peak_rss_mb())}
        Path(args.out).write_text(json.dumps(row))
        return

    ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    envelope_bytes = int(args.mb * 2**20)
    report: dict = {"cores": os.cpu_count(), "envelope_bytes": envelope_bytes, "trace_memory": args.trace_memory, "runs": {}}
    data_dir = Path(tempfile.mkdtemp(prefix="tenderhall-opening-bench-"))
    for name in ("sealing_kek", "signing_key", "secret_key"):  # the same keys as this process
        if (ROOT / "var" / name).exists():
            shutil.copy(ROOT / "var" / name, data_dir / name)
    try:
        for bids in [int(n) for n in args.bids.split(",")]:
            tender = reusable_tender(bids, envelope_bytes) if args.reuse else None
            if tender is None:
                print(f"{bids} bids of {envelope_bytes / 2**20:.1f} MB: sealing…", flush=True)
                tender = tender_with_sealed_bids(bids, envelope_bytes, f"{bids} bids")
            else:
                print(f"{bids} bids of {envelope_bytes / 2**20:.1f} MB: tender {tender.pk} sealed earlier, opened again", flush=True)
            floor = run_measurement("floor", tender.pk, data_dir)
            print(f"  floor (read + jwcrypto decrypt): {json.dumps(floor)}", flush=True)
            read = run_measurement("read", tender.pk, data_dir)
            print(f"  read only: {json.dumps(read)}", flush=True)
            engine = run_measurement("engine-traced" if args.trace_memory else "engine", tender.pk, data_dir)
            print(f"  engine (open_tender): {json.dumps(engine)}", flush=True)
            report["runs"][bids] = {
                "floor": floor,
                "read": read,
                "engine": engine,
                "ratio": round(engine["seconds"] / floor["seconds"], 2),
                "ratio_to_read": round(engine["seconds"] / read["seconds"], 2),
            }
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)

    out = ROOT / "var" / "bench" / f"opening_speed-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2))
    print(f"\nwritten to {out}\n")
    print(
        "| bids | floor: read + decrypt | read only | engine: open_tender | ratio to the floor | ratio to the read "
        "| floor peak memory | engine peak memory | engine, Python allocations: peak / held after |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for bids, run in report["runs"].items():
        floor, read, engine = run["floor"], run["read"], run["engine"]
        print(
            f"| {bids} | {floor['seconds']:.2f} s | {read['seconds']:.2f} s "
            f"| {engine['seconds']:.2f} s ({engine['valid']} opened, {engine['rejected']} rejected) "
            f"| {run['ratio']:.2f} | {run['ratio_to_read']:.2f} | {floor['peak_rss_mb']} MB | {engine['peak_rss_mb']} MB "
            f"| {engine.get('traced_peak_mb', '—')} / {engine.get('traced_held_after_mb', '—')} MB |"
        )


if __name__ == "__main__":
    main()
