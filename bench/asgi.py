"""daphne's application during the benchmark: the product's, with in-flight HTTP requests capped.

Under ASGI every request runs its view in a thread with its own database connection, so 200
simultaneous uploads would ask PostgreSQL for 200 connections (the default server allows 100).
Requests beyond `BENCH_MAX_IN_FLIGHT` wait in daphne, for both endpoints alike.

With `BENCH_TENDER_LOCK=update` the submission locks the tender FOR UPDATE instead of the
product's FOR SHARE, for comparison: this process swaps the lock function, the product has no
such switch.
"""

import asyncio
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

from marketplace.asgi import application as product_application

if os.environ.get("BENCH_TENDER_LOCK", "share") == "update":
    from bidding import actions
    from tenders.models import Tender

    def lock_tender_for_update(tender_id: int) -> Tender:
        return Tender.objects.select_for_update().get(pk=tender_id)

    actions.lock_tender_for_bidding = lock_tender_for_update
elif os.environ.get("BENCH_TENDER_LOCK", "share") != "share":
    raise SystemExit("BENCH_TENDER_LOCK is share or update")

LIMIT = int(os.environ.get("BENCH_MAX_IN_FLIGHT", "24"))
_slots: asyncio.Semaphore | None = None


async def application(scope, receive, send):
    global _slots
    if scope["type"] != "http":
        return await product_application(scope, receive, send)
    if _slots is None:
        _slots = asyncio.Semaphore(LIMIT)
    async with _slots:
        return await product_application(scope, receive, send)
