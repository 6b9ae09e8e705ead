"""How fast the registry finds the firms to alert when a tender is published.

    .venv/bin/python bench/supplier_alerts.py [--firms 20000]

Builds a throw-away database (SQLite in a temporary folder, or DATABASE_URL if set) with
`--firms` verified firms, each following three random CPV categories, one in ten a buyer
and one in twenty a keyword search; then times `matching_followers()` for tenders in random
categories, against the obvious way (read every follow and test it in Python), in one run.
Also times CPV search by words and by code.
"""

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("TENDERHALL_DATA_DIR", tempfile.mkdtemp(prefix="tenderhall-bench-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from marketplace.models import Organisation  # noqa: E402
from suppliers import cpv  # noqa: E402
from suppliers.models import Follow, Supplier  # noqa: E402
from tenders.alerts import matching_followers, tender_categories  # noqa: E402
from tenders.models import Lot, Tender  # noqa: E402

WORDS = ["road", "bridge", "network", "software", "cleaning", "asphalt", "school", "water", "hospital", "fibre"]


def build(firms: int, rng: random.Random) -> list[Organisation]:
    codes = [c.code for c in cpv.vocabulary().values() if c.level <= 4]
    agencies = Organisation.objects.bulk_create([Organisation(kind="agency", name=f"Agency {i}", code=f"ag{i}") for i in range(50)])
    orgs = Organisation.objects.bulk_create([Organisation(kind="supplier", name=f"Firm {i}") for i in range(firms)])
    suppliers = Supplier.objects.bulk_create(
        [
            Supplier(organisation=o, legal_name=o.name, country="IE", registration_number=f"B{i}", address="-", contact_email="f@x.test")
            for i, o in enumerate(orgs)
        ]
    )
    Supplier.objects.update(status="verified")
    follows = []
    for supplier in suppliers:
        for code in rng.sample(codes, 3):
            follows.append(Follow(supplier=supplier, kind="category", category=code))
        if rng.random() < 0.1:
            follows.append(Follow(supplier=supplier, kind="buyer", buyer=rng.choice(agencies)))
        if rng.random() < 0.05:
            follows.append(Follow(supplier=supplier, kind="keywords", keywords=" ".join(rng.sample(WORDS, 2))))
    Follow.objects.bulk_create(follows, batch_size=5000)
    return agencies


def naive(tender) -> set[int]:
    categories = tender_categories(tender)
    text = f"{tender.title}\n{tender.description}".casefold()
    matched = set()
    for follow in Follow.objects.all():
        if (
            (follow.kind == "category" and any(cpv.is_within(c, follow.category) for c in categories))
            or (follow.kind == "buyer" and follow.buyer_id == tender.buyer_id)
            or (follow.kind == "keywords" and all(w in text for w in follow.keywords.split()))
        ):
            matched.add(follow.supplier_id)
    return matched


def timed(fn, *args) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--firms", type=int, default=20000)
    parser.add_argument("--tenders", type=int, default=20)
    args = parser.parse_args()
    rng = random.Random(7)
    call_command("migrate", verbosity=0)
    agencies = build(args.firms, rng)
    leaf_codes = [c.code for c in cpv.vocabulary().values() if c.level >= 4]
    ours, obvious, alerted = [], [], []
    for n in range(args.tenders):
        tender = Tender.objects.create(
            buyer=rng.choice(agencies), title=f"Works {n}: road and bridge", main_category=rng.choice(leaf_codes)
        )
        Lot.objects.create(tender=tender, number=1, title="Lot 1")
        t_ours, matches = timed(matching_followers, tender)
        t_naive, expected = timed(naive, tender)
        assert {s.pk for s in matches} == expected
        ours.append(t_ours)
        obvious.append(t_naive)
        alerted.append(len(matches))
    follows = Follow.objects.count()
    print(
        f"database: {connection.vendor}; {args.firms} firms, {follows} follows; {args.tenders} tenders, median {statistics.median(alerted):.0f} firms alerted"
    )
    print(f"matching_followers: median {statistics.median(ours) * 1000:.1f} ms")
    print(f"every follow in Python: median {statistics.median(obvious) * 1000:.1f} ms")
    print(f"ratio: {statistics.median(obvious) / statistics.median(ours):.1f}x")
    t_words = statistics.median(timed(cpv.search, q)[0] for q in ["road construction", "software", "hospital beds", "asphalt"])
    t_code = statistics.median(timed(cpv.search, q)[0] for q in ["4523", "72", "33100000"])
    print(f"CPV search: by words median {t_words * 1000:.2f} ms, by code median {t_code * 1000:.2f} ms")


if __name__ == "__main__":
    main()
