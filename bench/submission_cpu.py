"""The CPU one sealed-bid submission costs, beside the bare 100 KB write, in one process.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/th_bench_burst .venv/bin/python -m bench.submission_cpu
    #   --bids 200 --kb 100 [--profile 40]   (--profile N: cProfile's N heaviest functions)

Django's test client posts to the product's API (`bench.settings`, as daphne runs it in the
deadline burst) against PostgreSQL: every submission a different firm with its own token, on a
tender whose deadline is an hour away, the envelopes sealed in advance. It reports the process
CPU and the SQL statements per request for the bid submission and for the ceiling's bare
authenticated write, so that what a submission adds in Python is measured apart from the load
(the machine is shared; CPU time, unlike wall time, barely moves with it).
"""

import argparse
import cProfile
import io
import json
import os
import pstats
import secrets
import statistics
import time
from datetime import timedelta


def cpu_per_request(client, requests: list[dict]) -> tuple[list[float], list[int]]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    cpu, statements = [], []
    for request in requests:
        with CaptureQueriesContext(connection) as queries:
            started = time.process_time()
            response = client.post(
                request["path"], request["body"], content_type="application/json", HTTP_AUTHORIZATION=f"Token {request['token']}"
            )
            cpu.append(time.process_time() - started)
        if response.status_code != 201:
            raise SystemExit(f"{request['path']}: {response.status_code} {response.content[:400]!r}")
        statements.append(len(queries))
    return cpu, statements


def summary(cpu: list[float], statements: list[int]) -> dict:
    ms = sorted(c * 1000 for c in cpu)
    return {
        "requests": len(ms),
        "cpu_ms_median": round(statistics.median(ms), 2),
        "cpu_ms_p10": round(ms[len(ms) // 10], 2),
        "cpu_ms_p90": round(ms[len(ms) * 9 // 10], 2),
        "statements_median": statistics.median(statements),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bids", type=int, default=200)
    parser.add_argument("--kb", type=int, default=100)
    parser.add_argument("--profile", type=int, default=0, help="print cProfile's N heaviest functions of the bid submissions")
    parser.add_argument("--sql", action="store_true", help="print the statements of one submission")
    args = parser.parse_args()

    from bench.deadline_burst import DEFAULT_DATABASE, ensure_database, envelope_of_size

    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE)
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client
    from django.utils import timezone

    from bench import world

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    agency, officer = world.agency_and_officer()
    warm = 10
    credentials = world.suppliers(args.bids + warm + 1)
    tender = world.published_tender(agency, officer, timezone.now() + timedelta(hours=1), "Submission CPU")
    size = args.kb * 1024
    bids = [
        {
            "path": f"/api/v1/tenders/{tender.pk}/bids/",
            "token": key,
            "body": json.dumps({"envelopes": {"bid": envelope_of_size(tender, firm, size)}}),
        }
        for firm, key in credentials
    ]
    blob = secrets.token_urlsafe(size)[:size]
    blobs = [{"path": "/bench/blob/", "token": key, "body": json.dumps({"blob": blob})} for _firm, key in credentials]

    client = Client(HTTP_HOST="127.0.0.1")
    cpu_per_request(client, blobs[:warm] + bids[:warm])  # imports, first queries, connection
    blob_cpu, blob_statements = cpu_per_request(client, blobs[warm:-1])
    # CPU time, not wall time: a statement's wait for PostgreSQL is not Python's work.
    profiler = cProfile.Profile(time.process_time) if args.profile else None
    if profiler:
        profiler.enable()
    bid_cpu, bid_statements = cpu_per_request(client, bids[warm:-1])
    if profiler:
        profiler.disable()
    if args.sql:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            cpu_per_request(client, bids[-1:])
        for query in queries:
            print(query["sql"][:300])
    report = {"bare_write": summary(blob_cpu, blob_statements), "sealed_bid": summary(bid_cpu, bid_statements)}
    report["bid_over_bare_write"] = round(report["sealed_bid"]["cpu_ms_median"] / report["bare_write"]["cpu_ms_median"], 2)
    print(json.dumps(report, indent=2))
    if profiler:
        for order in ("tottime", "cumulative"):
            text = io.StringIO()
            pstats.Stats(profiler, stream=text).sort_stats(order).print_stats(args.profile)
            print(text.getvalue())


if __name__ == "__main__":
    main()
