"""Benchmark of the public tender search on PostgreSQL at 100,000 and 1,000,000 tenders.

    .venv/bin/python -m bench.search                      # 100k, then 1M (about 10 minutes)
    .venv/bin/python -m bench.search --sizes 20000 --requests 100   # a quick run

Creates its own database (`th_bench_search` on the local PostgreSQL, or BENCH_DATABASE_URL),
migrates it, seeds published tenders with realistic data by COPY (agencies, CPV categories,
lots and items, values, deadlines), and requests the filtered public search through the whole
Django stack (middleware, filters, pagination, serializer or template) with the test client:
page size 20, two filters (a category that matches its descendants, and a second one) and a
text query, drawn from fixed lists so that both sizes see the same requests. Reports p50 and
p95 latency and the SQL queries per page (at page sizes 20 and 100), then drops the database.
"""

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from urllib.parse import urlsplit, urlunsplit

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/th_bench_search"
LOCAL_CACHE = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

PLACES = [
    "Naas",
    "Kildare",
    "Athy",
    "Newbridge",
    "Maynooth",
    "Celbridge",
    "Leixlip",
    "Carlow",
    "Portlaoise",
    "Tullamore",
    "Mullingar",
    "Navan",
    "Drogheda",
    "Dundalk",
    "Wexford",
    "Kilkenny",
    "Waterford",
    "Clonmel",
    "Limerick",
    "Ennis",
    "Galway",
    "Athlone",
    "Sligo",
    "Letterkenny",
    "Castlebar",
    "Tralee",
    "Killarney",
    "Cork",
    "Mallow",
    "Bray",
]
AGENCY_KINDS = [
    ("County Council of {}", "cc"),
    ("City of {}", "ci"),
    ("{} Hospital Group", "hg"),
    ("{} Education and Training Board", "et"),
    ("{} Water Services", "ws"),
    ("{} Harbour Authority", "ha"),
    ("{} Institute of Technology", "it"),
]
# Divisions of the CPV, weighted as tenders spread in practice (works, supplies, services).
DIVISIONS = {
    "45": 18,
    "33": 9,
    "30": 6,
    "34": 5,
    "39": 5,
    "44": 5,
    "48": 4,
    "50": 6,
    "71": 7,
    "72": 6,
    "79": 6,
    "80": 3,
    "85": 3,
    "90": 6,
    "09": 2,
    "15": 3,
    "60": 2,
    "64": 1,
    "66": 1,
    "77": 2,
}
PURPOSES = [
    "for the {place} area",
    "for schools in {place}",
    "for the hospital at {place}",
    "for public buildings in {place}",
    "for the depot at {place}",
    "on regional roads near {place}",
    "for the offices in {place}",
    "for {place} and surrounding districts",
]
SENTENCES = [
    "The contract runs for {months} months with an option to extend for twelve months.",
    "Delivery and installation are included, with training for staff and a warranty of {years} years.",
    "Works must keep access open for residents and emergency services at all times.",
    "Call-outs must be answered within 24 hours, every day of the year.",
    "Recycled materials and low-emission vehicles are preferred.",
    "Bidders must hold the relevant safety certificates and insurance.",
    "The quantities in the bill are estimates; payment is by measured work.",
    "Night work is allowed only between 22:00 and 06:00.",
    "A site visit is recommended before bidding.",
    "Spare parts must remain available for {years} years after delivery.",
    "The service covers {sites} sites across the county.",
    "Prices are fixed for the first year and indexed afterwards.",
    "Deliveries are made to a central store, on weekdays.",
    "The successful bidder reports monthly on the service levels reached.",
    "Subcontracting is allowed up to forty percent of the value.",
    "Existing equipment is to be removed and disposed of lawfully.",
    "The documentation and user manuals must be provided in English and Irish.",
    "Accessibility requirements apply to every public-facing element.",
    "A pilot phase of {months} months precedes the full roll-out.",
    "Energy consumption over the life of the contract is part of the evaluation.",
    "Data must be stored within the European Union.",
    "The buyer may order further quantities at the same unit prices.",
    "Staff working on the premises must be vetted.",
    "Framework agreement with up to three operators, call-offs by mini-competition.",
]
CURRENCIES = [("EUR", 80), ("GBP", 8), ("USD", 6), ("CNY", 6)]
# What people type: things and places, not the words every notice carries ("supply", "services").
WORDS = [
    "road", "school", "hospital", "software", "cleaning", "vehicles", "water", "furniture", "medical", "repair",
    "computer", "heating", "lighting", "waste", "security", "bridge", "printing", "fuel", "maintenance", "training",
]  # fmt: skip
# Words in so many CPV names that nobody searches with them alone.
GENERIC = {"services", "service", "products", "equipment", "works", "other", "parts", "related", "supplies", "materials", "systems"}
SECOND_FILTERS = [{"method": "open"}, {"min_value": "50000"}, {"currency": "EUR"}, {"max_value": "1000000"}, {"status": "published"}]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--requests", type=int, default=300, help="timed requests per size and per interface")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--compare", action="store_true", help="also time the API with the recency slices off (every match read and sorted), side by side"
    )
    args = parser.parse_args()

    os.environ |= {
        "DATABASE_URL": args.database_url,
        "TENDERHALL_DATA_DIR": tempfile.mkdtemp(prefix="bench-search-"),
        "STATIC_MANIFEST": "false",
        "LOG_LEVEL": "WARNING",
        "DEBUG": "false",
    }
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings")
    recreate_database(args.database_url)
    try:
        import django

        django.setup()
        from django.core.management import call_command
        from django.test.utils import override_settings

        call_command("migrate", verbosity=0)
        seeder = Seeder(random.Random(2026))
        scenarios = make_scenarios(random.Random(4), args.requests)
        results = []
        # The API's throttle counts in a local-memory cache, as it counts in Redis in production
        # (not in SQL queries), with a rate above the benchmark's.
        with override_settings(CACHES=LOCAL_CACHE, API_ANONYMOUS_PER_MINUTE=10**9):
            for size in sorted(args.sizes):
                started = time.perf_counter()
                seeder.grow_to(size)
                seeded_in = time.perf_counter() - started
                print(f"seeded {size:,} tenders in {seeded_in:.0f} s", file=sys.stderr)
                results.append(measure(size, scenarios, compare=args.compare))
        report(results, args)
    finally:
        if not args.keep:
            from django.db import connections

            connections.close_all()
            drop_database(args.database_url)


# The database -------------------------------------------------------------------------------------
def _admin_url(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/postgres")), parts.path.lstrip("/")


def recreate_database(url: str) -> None:
    import psycopg

    admin, name = _admin_url(url)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def drop_database(url: str) -> None:
    import psycopg

    admin, name = _admin_url(url)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    print(f"dropped database {name}", file=sys.stderr)


# Realistic tenders, by COPY -----------------------------------------------------------------------
class Seeder:
    def __init__(self, rng: random.Random):
        from suppliers import cpv

        self.rng = rng
        self.count = 0
        self.lot_id = 0
        self.item_id = 0
        self.now = datetime.now(UTC)
        codes = [c for c in cpv.vocabulary().values() if c.code[:2] in DIVISIONS and c.level >= 3]
        self.by_division = {d: [c for c in codes if c.code[:2] == d] for d in DIVISIONS}
        self.divisions = list(DIVISIONS)
        self.division_weights = list(DIVISIONS.values())
        self.agencies = self._agencies()
        self.sequences = dict.fromkeys((a[0] for a in self.agencies), 0)

    def _agencies(self) -> list[tuple[int, str]]:
        from marketplace.models import Organisation

        rows = [
            Organisation(kind="agency", name=kind.format(place), code=f"{code}{number:02d}", country="IE")
            for kind, code in AGENCY_KINDS
            for number, place in enumerate(PLACES, start=1)
        ]
        Organisation.objects.bulk_create(rows)
        return [(o.pk, o.code) for o in Organisation.objects.filter(kind="agency")]

    def grow_to(self, size: int) -> None:
        from django.db import connection

        with connection.cursor() as cursor:
            indexes = self._drop_indexes(cursor)
            batch = 50_000
            while self.count < size:
                self._copy(cursor, min(batch, size - self.count))
            for statement in indexes:
                cursor.execute(statement)
            for table in ("tenders_tender", "tenders_lot", "tenders_item"):
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")  # noqa: S608 (fixed names)
            cursor.execute("VACUUM ANALYZE tenders_tender")
            cursor.execute("VACUUM ANALYZE tenders_lot")
            cursor.execute("VACUUM ANALYZE tenders_item")

    def _drop_indexes(self, cursor) -> list[str]:
        """Indexes are rebuilt after loading, which is much faster than keeping them up to date."""
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN ('tenders_tender', 'tenders_lot', 'tenders_item') "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint)"
        )
        found = cursor.fetchall()
        for name, _definition in found:
            cursor.execute(f'DROP INDEX "{name}"')
        return [definition for _name, definition in found]

    def _copy(self, cursor, count: int) -> None:
        tenders, lots, items = [], [], []
        for _ in range(count):
            self._tender(tenders, lots, items)
        raw = cursor.connection
        with raw.cursor() as pg:
            with pg.copy(f"COPY tenders_tender ({', '.join(TENDER_COLUMNS)}) FROM STDIN") as copy:
                for row in tenders:
                    copy.write_row(row)
            # Lots and items reference rows loaded just above: skip the per-row foreign-key triggers.
            pg.execute("SET session_replication_role = replica")
            with pg.copy(f"COPY tenders_lot ({', '.join(LOT_COLUMNS)}) FROM STDIN") as copy:
                for row in lots:
                    copy.write_row(row)
            with pg.copy(f"COPY tenders_item ({', '.join(ITEM_COLUMNS)}) FROM STDIN") as copy:
                for row in items:
                    copy.write_row(row)
            pg.execute("SET session_replication_role = DEFAULT")

    def _tender(self, tenders: list, lots: list, items: list) -> None:
        rng = self.rng
        self.count += 1
        tender_id = self.count
        division = rng.choices(self.divisions, self.division_weights)[0]
        main = rng.choice(self.by_division[division])
        related = [c for c in self.by_division[division] if c.code[:3] == main.code[:3]] or [main]
        buyer_id, code = rng.choice(self.agencies)
        self.sequences[buyer_id] += 1
        place = rng.choice(PLACES)
        verb = "Works:" if division == "45" else ("Supply of" if division < "50" else "Services:")
        title = f"{verb} {main.name.lower()} {rng.choice(PURPOSES).format(place=place)}"
        description = " ".join(
            s.format(months=rng.choice((6, 12, 24, 36)), years=rng.choice((2, 3, 5)), sites=rng.randint(2, 40))
            for s in rng.sample(SENTENCES, rng.randint(2, 3))
        )
        rfq = rng.random() < 0.15
        value = Decimal(round(rng.lognormvariate(11 if rfq else 12.5, 1.1), -2) or 1000).quantize(Decimal("0.01"))
        divided = not rfq and rng.random() < 0.15
        published = self.now - timedelta(seconds=rng.randint(0, 50 * 86400))
        deadline = (self.now + timedelta(days=rng.randint(1, 60))).replace(minute=0, second=0, microsecond=0)
        lot_count = rng.randint(2, 5) if divided else 1
        codes = {main.code}
        for number in range(1, lot_count + 1):
            self.lot_id += 1
            share = (value / lot_count).quantize(Decimal("0.01"))
            lot_title = f"Lot {number}: {rng.choice(related).name}" if divided else title
            lots.append((self.lot_id, tender_id, number, lot_title, "", share, divided and rng.random() < 0.2))
            for position in range(1, rng.randint(1, 3) + 1):
                self.item_id += 1
                category = rng.choice(related)
                codes.add(category.code)
                items.append(
                    (
                        self.item_id,
                        tender_id,
                        self.lot_id,
                        position,
                        category.name[:500],
                        Decimal(rng.randint(1, 500)),
                        "unit",
                        category.code,
                    )
                )
        row = {
            "id": tender_id,
            "reference": f"{code.upper()}-{published.year}-{self.sequences[buyer_id]:04d}",
            "title": title,
            "description": description,
            "method": "rfq" if rfq else "open",
            "main_category": main.code,
            "estimated_value": value,
            "currency": rng.choices([c for c, _ in CURRENCIES], [w for _, w in CURRENCIES])[0],
            "divided_into_lots": divided,
            "clarification_deadline": deadline - timedelta(days=1),
            "submission_deadline": deadline,
            "created_at": published - timedelta(days=2),
            "updated_at": published,
            "published_at": published,
            "buyer_id": buyer_id,
            "category_codes": " ".join(sorted(codes)),
        }
        tenders.append(tuple(row.get(column, TENDER_DEFAULTS.get(column)) for column in TENDER_COLUMNS))


TENDER_DEFAULTS = {
    "envelope_mode": "single",
    "award_method": "lowest_price",
    "abnormally_low_percent": 80,
    "evaluation_committee_required": False,
    "min_bids": 1,
    "max_envelope_bytes": 25 * 1024 * 1024,
    "deposit_waived_for_sme": False,
    "deposit_guarantee_accepted": True,
    "bid_validity_days": 90,
    "min_response_days": 0,
    "standstill_days": 10,
    "challenge_answer_days": 5,
    "custody": "platform",
    "opening_quorum_hours": 2,
    "status": "published",
    "cancellation_reason": "",
    "unsuccessful_reason": "",
}
TENDER_COLUMNS = [
    "id", "reference", "title", "description", "method", "main_category", "estimated_value", "currency", "divided_into_lots",
    "envelope_mode", "award_method", "abnormally_low_percent", "evaluation_committee_required", "min_bids", "max_envelope_bytes",
    "deposit_waived_for_sme", "deposit_guarantee_accepted", "bid_validity_days", "min_response_days", "clarification_deadline", "submission_deadline", "standstill_days",
    "challenge_answer_days", "custody", "opening_quorum_hours", "status", "created_at", "updated_at", "published_at",
    "cancellation_reason", "unsuccessful_reason", "buyer_id", "category_codes",
]  # fmt: skip
LOT_COLUMNS = ["id", "tender_id", "number", "title", "description", "estimated_value", "sme_reserved"]
ITEM_COLUMNS = ["id", "tender_id", "lot_id", "position", "description", "quantity", "unit", "cpv"]


# Measuring ----------------------------------------------------------------------------------------
def make_scenarios(rng: random.Random, count: int) -> list[dict]:
    """Page size 20, a category (a CPV group: it matches its descendants), a second filter, and a
    word: mostly one from the names of that group's categories (what someone looking in the
    group types), sometimes a word of any kind."""
    from suppliers import cpv

    groups = [c.code for c in cpv.vocabulary().values() if c.level == 2 and c.code[:2] in DIVISIONS]
    scenarios = []
    for _ in range(count):
        group = rng.choice(groups)
        names = [c.name for c in cpv.vocabulary().values() if cpv.is_within(c.code, group) and c.code != group]
        words = [w for name in names for w in (w.strip(",()").lower() for w in name.split()) if len(w) >= 5 and w not in GENERIC]
        word = rng.choice(words) if words and rng.random() < 0.7 else rng.choice(WORDS)
        scenarios.append({"category": group, **rng.choice(SECOND_FILTERS), "q": word, "page_size": "20"})
    return scenarios


def measure(size: int, scenarios: list[dict], compare: bool = False) -> dict:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from tenders import paging

    client = Client(HTTP_HOST="127.0.0.1")
    result = {"size": size}
    counts = [client.get("/api/v1/tenders/", params).json()["count"] for params in scenarios]
    interfaces = [("api", "/api/v1/tenders/"), ("html", "/tenders/")] + ([("api-plain", "/api/v1/tenders/")] if compare else [])
    for name, path in interfaces:
        slices_on = paging.search_order.is_marked
        if name == "api-plain":  # the search as it was: every match read, then sorted
            paging.search_order.is_marked = lambda queryset: False
        try:
            timings = time_requests(client, path, scenarios)
        finally:
            paging.search_order.is_marked = slices_on

        if name == "api-plain":
            result[name] = {"p50": statistics.median(timings), "p95": statistics.quantiles(timings, n=20)[18]}
            print(f"{size:,} {name}: p50 {result[name]['p50']:.1f} ms, p95 {result[name]['p95']:.1f} ms", file=sys.stderr)
            continue
        # Queries per page, counted on the first request with more than 100 matches, at two page sizes.
        broad = next(p for p, n in zip(scenarios, counts, strict=True) if n > 100)
        queries = {}
        for page_size in ("20", "100"):
            with CaptureQueriesContext(connection) as captured:
                client.get(path, broad | {"page_size": page_size})
            queries[page_size] = len(captured)
        result[name] = {
            "p50": statistics.median(timings),
            "p95": statistics.quantiles(timings, n=20)[18],
            "queries": queries,
            "matches": statistics.median(counts),
        }
        print(f"{size:,} {name}: p50 {result[name]['p50']:.1f} ms, p95 {result[name]['p95']:.1f} ms, queries {queries}", file=sys.stderr)
    return result


def time_requests(client, path: str, scenarios: list[dict]) -> list[float]:
    for params in scenarios[:20]:  # warm the caches and the connection
        client.get(path, params)
    timings = []
    for params in scenarios:
        started = time.perf_counter()
        response = client.get(path, params)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (response.status_code, params)
    return timings


def report(results: list[dict], args) -> None:
    command = "python -m bench.search " + " ".join(f"--sizes {' '.join(map(str, args.sizes))}".split()) + f" --requests {args.requests}"
    command += " --compare" if args.compare else ""
    print(f"\nCommand: `{command}` ({datetime.now(UTC):%Y-%m-%d}, PostgreSQL, in-process test client, {args.requests} requests each)\n")
    print("| tenders | interface | p50 | p95 | SQL queries per page (20 / 100 results) | median matches |")
    print("|---|---|---|---|---|---|")
    for result in results:
        for name in ("api", "html"):
            r = result[name]
            matches = f"{r['matches']:,.0f}"
            print(
                f"| {result['size']:,} | {name.upper()} | {r['p50']:.1f} ms | {r['p95']:.1f} ms | {r['queries']['20']} / {r['queries']['100']} | {matches} |"
            )
    if args.compare:
        print("\n| tenders | API, slices off: p50 | p95 |\n|---|---|---|")
        for result in results:
            print(f"| {result['size']:,} | {result['api-plain']['p50']:.1f} ms | {result['api-plain']['p95']:.1f} ms |")
    if len(results) >= 2:
        first, last = results[0], results[-1]
        for name in ("api", "html", *(["api-plain"] if args.compare else [])):
            print(
                f"\np95 {name.upper()} at {last['size']:,} ÷ p95 at {first['size']:,}: {last[name]['p95'] / first[name]['p95']:.2f}×",
                end="",
            )
        print()


if __name__ == "__main__":
    main()
