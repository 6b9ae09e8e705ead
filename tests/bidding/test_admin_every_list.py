"""No page of the Django admin differs with the existence of a sealed bid before the deadline.

Every model the admin lists, its list page, as a superuser: two worlds from the same state at a
frozen instant, each rolled back after it is looked at. In one a firm bids, in the other it does
not; then the officer amends the tender in both, and what each queues after commit is queued. Any difference (a row, a count, an id, a time)
would let platform staff learn that a bid exists.
"""

import re

import pytest
import time_machine
from django.contrib import admin
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from bidding import actions
from tests.bidding import helpers
from tests.factories import make_user

pytestmark = pytest.mark.django_db

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


def admin_lists() -> list[str]:
    return ["/admin/"] + [reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist") for model in admin.site._registry]


def answers(client) -> dict[str, tuple[int, str]]:
    return {path: (response.status_code, CSRF.sub("", response.text)) for path, response in ((p, client.get(p)) for p in admin_lists())}


def test_no_admin_list_differs_with_a_sealed_bid(
    tender, officer, supplier_a, supplier_org_a, supplier_record_a, client, django_capture_on_commit_callbacks
):
    client.force_login(make_user("staff@platform.test", is_staff=True, is_superuser=True))
    sealed = helpers.seal_bid(tender, supplier_org_a)
    worlds = []
    with time_machine.travel(timezone.now(), tick=False):
        for bids in [False, True]:
            with transaction.atomic():
                # What would run after commit runs here, inside the world: the tasks it queues
                # (e-mails, notifications) are rows the admin could list.
                with django_capture_on_commit_callbacks(execute=True):
                    if bids:
                        actions.submit_bid(supplier_a, supplier_org_a, tender, sealed)
                    helpers.amend(tender, officer)
                worlds.append(answers(client))
                transaction.set_rollback(True)
    without_bid, with_bid = worlds
    assert all(status == 200 for status, _ in without_bid.values()), {p: s for p, (s, _) in without_bid.items() if s != 200}
    differing = [path for path in without_bid if with_bid[path] != without_bid[path]]
    assert differing == []
