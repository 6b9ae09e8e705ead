"""The platform as separate processes: daphne servers, db_workers, and this test process."""

import threading
import time
import urllib.request

import pytest
from django.db import connection
from django_tasks_db.models import DBTaskResult

from marketplace.models import Notification
from marketplace.notify import deliver_notifications
from tests.conftest import redis_url
from tests.live import SocketListener
from tests.processes import Processes, child_environment

pytestmark = [pytest.mark.processes, pytest.mark.django_db(transaction=True)]


def cookie_for(client, user) -> str:
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}"


def test_event_committed_by_a_worker_reaches_a_client_of_daphne_without_redis(client, supplier_a):
    """The embedded default: in-memory layer, each daphne tails the stored events."""
    with Processes(child_environment(redis_url=None)) as platform:
        port = platform.daphne()
        platform.worker()
        listener = SocketListener(port, f"user.{supplier_a.pk}", cookie=cookie_for(client, supplier_a)).start()
        deliver_notifications.enqueue([supplier_a.pk], "alert", "New tender in your category")
        [event] = listener.events()
    assert event["kind"] == "notification" and event["payload"]["title"] == "New tender in your category"
    assert Notification.objects.filter(user=supplier_a).count() == 1


def test_scale_out_two_daphnes_and_two_workers(client, supplier_a, token_for):
    if connection.vendor != "postgresql" or not redis_url():
        pytest.skip("the scale-out test needs PostgreSQL and Redis (DATABASE_URL, REDIS_URL): it runs in CI")
    with Processes(child_environment(redis_url=redis_url(), REDIS_PREFIX="tenderhall-scaleout")) as platform:
        port_a, port_b = platform.daphne(), platform.daphne()
        platform.worker()
        platform.worker()

        # An event committed through daphne A reaches a client of daphne B (through Redis).
        listener = SocketListener(port_b, f"user.{supplier_a.pk}", cookie=cookie_for(client, supplier_a)).start()
        request = urllib.request.Request(
            f"http://127.0.0.1:{port_a}/api/v1/notifications/read/",
            data=b"{}",
            method="POST",
            headers={"Authorization": f"Token {token_for(supplier_a)}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200
        assert [e["kind"] for e in listener.events()] == ["notifications.read"]

        # A task enqueued many times at once runs exactly once per enqueue across both workers.
        enqueues = 120
        barrier = threading.Barrier(6)

        def enqueue_some(start: int) -> None:
            barrier.wait()
            for n in range(start, enqueues, 6):
                deliver_notifications.enqueue([supplier_a.pk], "run", f"run-{n}")
            connection.close()

        threads = [threading.Thread(target=enqueue_some, args=(s,)) for s in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wait_until(
            lambda: not DBTaskResult.objects.filter(status__in=["READY", "RUNNING"], task_path=deliver_notifications.module_path).exists()
        )
    titles = list(Notification.objects.filter(user=supplier_a, kind="run").values_list("title", flat=True))
    assert sorted(titles) == sorted(f"run-{n}" for n in range(enqueues))
    runs = DBTaskResult.objects.filter(task_path=deliver_notifications.module_path)
    assert runs.count() == enqueues
    assert all(r.status == "SUCCESSFUL" and len(r.worker_ids) == 1 for r in runs)


def wait_until(predicate, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)
