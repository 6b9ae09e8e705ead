"""`GET /healthz`: database, channel layer and background worker, as JSON (200 or 503)."""

import asyncio
import uuid

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache

from marketplace.tasks import ensure_heartbeat, live_workers


def check_database() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        return {"status": "error", "error": exc.__class__.__name__}
    return {"status": "ok", "vendor": connection.vendor}


async def _round_trip() -> None:
    layer = get_channel_layer()
    channel = await layer.new_channel("healthz.")
    token = uuid.uuid4().hex
    await layer.send(channel, {"type": "healthz", "token": token})
    message = await asyncio.wait_for(layer.receive(channel), timeout=3)
    if message.get("token") != token:
        raise RuntimeError("channel layer returned another message")


def check_channel_layer() -> dict:
    layer = get_channel_layer()
    try:
        async_to_sync(_round_trip)()
    except Exception as exc:
        return {"status": "error", "backend": layer.__class__.__name__, "error": exc.__class__.__name__}
    return {"status": "ok", "backend": layer.__class__.__name__}


def check_worker() -> dict:
    try:
        ensure_heartbeat()
        workers = live_workers()
    except Exception as exc:
        return {"status": "error", "error": exc.__class__.__name__}
    if not workers:
        return {"status": "error", "error": "no worker heartbeat recently", "workers": []}
    return {
        "status": "ok",
        "workers": [{"id": w.worker_id, "last_heartbeat": w.beat_at.isoformat()} for w in workers],
    }


@never_cache
def healthz(request):
    report = {"database": check_database()}
    if report["database"]["status"] == "ok":
        report["worker"] = check_worker()
    else:
        report["worker"] = {"status": "error", "error": "database unavailable"}
    report["channel_layer"] = check_channel_layer()
    healthy = all(part["status"] == "ok" for part in report.values())
    report["status"] = "ok" if healthy else "error"
    return JsonResponse(report, status=200 if healthy else 503)
