"""daphne's application during the benchmark: the product's, with in-flight HTTP requests capped.

Under ASGI every request runs its view in a thread with its own database connection, so 200
simultaneous uploads would ask PostgreSQL for 200 connections (the default server allows 100).
Requests beyond `BENCH_MAX_IN_FLIGHT` wait in daphne, for both endpoints alike.
"""

import asyncio
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

from marketplace.asgi import application as product_application

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
