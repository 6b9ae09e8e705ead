"""Open data at scale: following the change feed through 100,000 releases, and streaming the bulk
export of their records, each against its floor — the same rows read from the database and
serialised to JSON with nothing else (no package, no links; for the export, no merging into
compiled releases and no gzip).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/th_bench_feed .venv/bin/python -m bench.opendata_feed
        # --releases 100000 --per-tender 5 --runs 3

The releases are synthetic but shaped as the platform writes them (a tender release, an
amendment, the closing, the award, the contract: about 1.6 KB of JSON each), inserted in bulk
(setup, not measured). Each measurement runs in a fresh process, reading through the Django
test client (the whole view: query, package, JSON rendering), so its peak resident memory
(VmHWM) is its own; the three runs of each are interleaved, feed and floor side by side.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from bench.deadline_burst import ensure_database

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/th_bench_feed"
PAGE = 1000


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def django_setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings")
    import django

    django.setup()


# Setup ---------------------------------------------------------------------------------------


def release_data(ocid: str, n: int, event: str, when: datetime, tender_id: int) -> dict:
    """A release shaped like the platform's: the tender part each time, more as the process goes on."""
    data = {
        "ocid": ocid,
        "id": f"{ocid}-{event}",
        "date": when.isoformat().replace("+00:00", "Z"),
        "tag": {"tender": ["tender"], "amendment-1": ["tenderAmendment"], "closed": ["tenderUpdate"]}.get(event, [event]),
        "initiationType": "tender",
        "language": "en",
        "parties": [{"id": "TH-ORG-1", "name": "Ministry of Public Works", "roles": ["buyer", "procuringEntity"]}],
        "buyer": {"id": "TH-ORG-1", "name": "Ministry of Public Works"},
        "tender": {
            "id": f"MPW-2026-{tender_id:05d}",
            "title": f"Resurfacing of regional road R{tender_id % 900 + 100}",
            "description": "Milling, base repair and a new wearing course over the whole section, with road markings. " * 3,
            "status": "active",
            "value": {"amount": 250000.0 + n, "currency": "EUR"},
            "procurementMethod": "open",
            "mainProcurementCategory": "works",
            "tenderPeriod": {"startDate": data_date(when, -30), "endDate": data_date(when, 0)},
            "items": [
                {
                    "id": f"{tender_id}-{i}",
                    "description": f"Works of section {i}",
                    "classification": {"scheme": "CPV", "id": "45233140", "description": "Roadworks"},
                    "quantity": 1.0,
                    "unit": {"name": "lot"},
                    "relatedLot": "1",
                }
                for i in range(1, 4)
            ],
            "lots": [{"id": "1", "title": "The whole section", "status": "active"}],
        },
    }
    if event in ("award", "contract"):
        data["awards"] = [{"id": str(tender_id), "status": "active", "value": {"amount": 231000.0, "currency": "EUR"}}]
    if event == "contract":
        data["contracts"] = [
            {"id": str(tender_id), "awardID": str(tender_id), "status": "active", "value": {"amount": 231000.0, "currency": "EUR"}}
        ]
    return data


def data_date(when: datetime, days: int) -> str:
    return (when + timedelta(days=days)).isoformat().replace("+00:00", "Z")


EVENTS = ["tender", "amendment-1", "closed", "award", "contract"]


def setup(releases: int, per_tender: int) -> None:
    from django.core.management import call_command
    from django.db import connection

    from marketplace.models import Organisation
    from opendata.models import Release
    from tenders.models import Tender

    call_command("migrate", verbosity=0, interactive=False)
    call_command("createcachetable", verbosity=0)
    if Release.objects.count() == releases:
        print(f"setup: {releases} releases already there")
        return
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE opendata_release")
    Tender.objects.filter(title__startswith="Bench feed ").delete()
    agency, _ = Organisation.objects.get_or_create(code="bench", defaults={"name": "Bench agency", "kind": Organisation.Kind.AGENCY})
    started = time.perf_counter()
    deadline = datetime(2027, 1, 1, tzinfo=UTC)
    count = releases // per_tender
    tenders = Tender.objects.bulk_create(
        [
            Tender(
                buyer=agency,
                title=f"Bench feed {n}",
                description="Synthetic tender for the feed benchmark.",
                currency="EUR",
                estimated_value=Decimal("250000.00"),
                main_category="45233140",
                submission_deadline=deadline,
                clarification_deadline=deadline - timedelta(days=5),
                reference=f"BFD-2026-{n:06d}",
            )
            for n in range(count)
        ],
        batch_size=2000,
    )
    position = 0
    batch = []
    for tender in tenders:
        ocid = f"ocds-000000-{tender.pk}"
        for n, event in enumerate(EVENTS[:per_tender]):
            position += 1
            when = deadline + timedelta(days=n, seconds=position)
            batch.append(
                Release(
                    position=position,
                    ocid=ocid,
                    release_id=f"{ocid}-{event}",
                    tender=tender,
                    tags=release_data(ocid, n, event, when, tender.pk)["tag"],
                    date=when,
                    data=release_data(ocid, n, event, when, tender.pk),
                )
            )
        if len(batch) >= 5000:
            Release.objects.bulk_create(batch)
            batch = []
    Release.objects.bulk_create(batch)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE opendata_release")
    size = Release.objects.count()
    print(f"setup: {size} releases of {count} tenders in {time.perf_counter() - started:.0f} s")


# Measurements (each in its own process) ------------------------------------------------------------


def measure(kind: str) -> dict:
    from django.db import connection
    from django.test import Client

    from opendata.models import Release

    client = Client(HTTP_HOST="127.0.0.1")
    started = time.perf_counter()
    count = size = 0
    if kind == "feed":
        url = f"/api/v1/ocds/releases/?after=0&limit={PAGE}"
        while True:
            response = client.get(url)
            assert response.status_code == 200, response.status_code
            size += len(response.content)
            body = json.loads(response.content)
            if not body["releases"]:
                break
            count += len(body["releases"])
            url = body["links"]["next"].replace("http://127.0.0.1", "")
    elif kind == "feed-floor":
        after = 0
        while True:
            rows = list(Release.objects.filter(position__gt=after).order_by("position").values_list("position", "data")[:PAGE])
            if not rows:
                break
            size += len(json.dumps([data for _, data in rows]).encode())
            count += len(rows)
            after = rows[-1][0]
    elif kind == "export":
        response = client.get("/api/v1/ocds/records.jsonl.gz")
        assert response.status_code == 200, response.status_code
        import zlib

        inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
        for piece in response.streaming_content:
            size += len(piece)
            count += inflate.decompress(piece).count(b"\n")
        count += inflate.flush().count(b"\n")
    elif kind == "export-floor":
        for data in Release.objects.order_by("tender_id", "position").values_list("data", flat=True).iterator(chunk_size=500):
            size += len(json.dumps(data).encode())
            count += 1
    else:
        raise SystemExit(f"unknown measurement {kind}")
    seconds = time.perf_counter() - started
    connection.close()
    return {"kind": kind, "seconds": seconds, "items": count, "mb": size / 2**20, "peak_rss_mb": peak_rss_mb()}


def run_measure(kind: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "bench.opendata_feed", "--measure", kind],
        cwd=ROOT,
        env=os.environ | {"LOG_LEVEL": "WARNING"},
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--releases", type=int, default=100_000)
    parser.add_argument("--per-tender", type=int, default=5)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE)
    if arguments.measure:
        django_setup()
        print(json.dumps(measure(arguments.measure)))
        return
    ensure_database(os.environ["DATABASE_URL"])
    django_setup()
    setup(arguments.releases, arguments.per_tender)
    results: dict[str, list[dict]] = {}
    for run in range(1, arguments.runs + 1):
        for kind in ("feed", "feed-floor", "export", "export-floor"):
            row = run_measure(kind)
            results.setdefault(kind, []).append(row)
            unit = "records" if kind == "export" else "releases"
            print(
                f"run {run} {kind:13} {row['items']:>7} {unit} in {row['seconds']:7.1f} s, {row['mb']:8.2f} MB out,"
                f" peak RSS {row['peak_rss_mb']:.0f} MB"
            )
    print()
    for kind, rows in results.items():
        seconds = [r["seconds"] for r in rows]
        rss = [r["peak_rss_mb"] for r in rows]
        print(
            f"{kind:13} median {statistics.median(seconds):6.1f} s (spread {min(seconds):.1f}–{max(seconds):.1f}),"
            f" {rows[0]['items'] / statistics.median(seconds):8.0f} {'records' if kind == 'export' else 'releases'}/s, peak RSS median {statistics.median(rss):.0f} MB"
            f" (spread {min(rss):.0f}–{max(rss):.0f})"
        )
    for kind in ("feed", "export"):
        ratios = [a["seconds"] / b["seconds"] for a, b in zip(results[kind], results[f"{kind}-floor"], strict=True)]
        print(
            f"{kind} / floor: median {statistics.median(ratios):.1f}× (spread {min(ratios):.1f}–{max(ratios):.1f}×), each run side by side"
        )


if __name__ == "__main__":
    main()
