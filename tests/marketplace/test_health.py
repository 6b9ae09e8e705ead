from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from marketplace.models import WorkerHeartbeat
from marketplace.tasks import heartbeat

pytestmark = pytest.mark.django_db


def run_pending_heartbeat(worker_id: str = "worker-1") -> None:
    """Run the queued heartbeat the way db_worker does: claim it, then run it."""
    from django_tasks_db.management.commands.db_worker import Worker

    task = DBTaskResult.objects.ready().get(task_path=heartbeat.module_path)
    task.claim(worker_id)
    Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=1,
        worker_id=worker_id,
        excluded_queue_names=[],
    ).run_task(task)


def test_healthz_is_503_until_a_worker_beats(client):
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["database"]["status"] == "ok" and body["channel_layer"]["status"] == "ok"
    assert body["worker"]["status"] == "error"
    # The check queued a heartbeat for the next worker to pick up.
    assert DBTaskResult.objects.ready().filter(task_path=heartbeat.module_path).count() == 1


def test_healthz_is_200_with_a_live_worker(client):
    client.get("/healthz")
    run_pending_heartbeat()
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["worker"]["workers"][0]["id"] == "worker-1"


def test_heartbeat_queues_exactly_one_successor(client, settings):
    client.get("/healthz")
    run_pending_heartbeat()
    [successor] = DBTaskResult.objects.filter(task_path=heartbeat.module_path, status="READY")
    assert successor.run_after > timezone.now() + timedelta(seconds=settings.WORKER_HEARTBEAT_SECONDS - 2)


def test_a_silent_worker_turns_healthz_red(client):
    client.get("/healthz")
    run_pending_heartbeat()
    beat = WorkerHeartbeat.objects.get()
    with time_machine.travel(beat.beat_at + timedelta(seconds=31), tick=False):
        assert client.get("/healthz").status_code == 503
    with time_machine.travel(beat.beat_at + timedelta(seconds=29), tick=False):
        assert client.get("/healthz").status_code == 200


def test_the_heartbeat_requeues_a_recurring_chain_whose_worker_died(client):
    """A sweep whose worker was killed mid-run never queues its successor; the next heartbeat does."""
    from marketplace import periodic
    from tenders.tasks import sweep_deadlines

    assert {"tenders.closing_sweep", "evaluation.award_sweep", "bidding.opening_sweep", "suppliers.registry_upkeep"} <= set(
        periodic.registered()
    )
    sweep_deadlines.enqueue()
    killed = DBTaskResult.objects.ready().get(task_path=sweep_deadlines.module_path)
    killed.claim("worker-that-dies")  # RUNNING for ever: it will never queue the next sweep
    client.get("/healthz")
    run_pending_heartbeat()
    waiting = DBTaskResult.objects.ready().filter(task_path=sweep_deadlines.module_path)
    assert waiting.count() == 1
    # Further beats keep exactly one chain.
    with time_machine.travel(timezone.now() + timedelta(minutes=1), tick=False):
        run_pending_heartbeat()
    assert waiting.count() == 1
