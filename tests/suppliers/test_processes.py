"""The alert path across real processes: publication in this process, the alert run by a
db_worker, the live event delivered by a daphne to a member's websocket."""

import threading

import pytest
from django.db import connection, transaction

from marketplace.models import Membership, Notification, Role
from suppliers.actions import add_follow, remove_member
from tests.conftest import redis_url
from tests.live import SocketListener
from tests.processes import Processes, child_environment
from tests.suppliers.factories import make_tender, publish

pytestmark = [pytest.mark.processes, pytest.mark.django_db(transaction=True)]


def test_a_published_tender_reaches_a_following_firm_live(client, agency, firm_a, supplier_a, bidder_a):
    add_follow(supplier_a, firm_a, kind="category", category="45000000")
    client.force_login(bidder_a)
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    with Processes(child_environment(redis_url=redis_url() or None)) as platform:
        port = platform.daphne()
        platform.worker()
        listener = SocketListener(port, f"org.{firm_a.organisation_id}", cookie=cookie).start()
        publish(make_tender(agency, title="Bridge deck repairs"))
        [event] = listener.events()
    assert event["kind"] == "tender.alert" and event["payload"]["title"] == "Bridge deck repairs"
    assert set(Notification.objects.filter(kind="tender.alert").values_list("user__email", flat=True)) == {
        "admin@alpha.test",
        "bidder@alpha.test",
    }


def test_two_admins_removing_each_other_at_once_leave_one_admin(firm_a, supplier_a, bidder_a):
    """Each removal locks the firm's organisation row first: PostgreSQL makes the second wait and refuse."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL (SQLite serialises every writer): it runs in CI")
    from marketplace.actions import grant_role

    grant_role(None, bidder_a, firm_a.organisation, Role.SUPPLIER_ADMIN)
    barrier, outcomes = threading.Barrier(2), []

    def remove(actor, member):
        try:
            barrier.wait()
            with transaction.atomic():
                remove_member(actor, firm_a.organisation, member)
            outcomes.append("removed")
        except Exception as exc:
            outcomes.append(getattr(exc, "problems", [exc])[0].code if hasattr(exc, "problems") else repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=remove, args=pair) for pair in [(supplier_a, bidder_a), (bidder_a, supplier_a)]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes) == ["last_admin", "removed"]
    assert Membership.objects.filter(organisation=firm_a.organisation, role=Role.SUPPLIER_ADMIN).count() == 1
