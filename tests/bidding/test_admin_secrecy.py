"""Platform staff's audit list in the admin is the same whether or not a sealed bid exists.

Two worlds from the same state, each rolled back after it is looked at: in one the officer
amends the tender, in the other a firm bids first. Before, the bid's hidden event left a gap
in the row numbers before `tender.amended`.
"""

import re

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from bidding import actions
from tests.bidding import helpers
from tests.factories import make_user

pytestmark = pytest.mark.django_db

LIST = "/admin/marketplace/auditevent/"
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


def admin_answers(client, tender) -> list[tuple[int, str]]:
    pages = [LIST, f"{LIST}?action=tender.amended", f"{LIST}?q={tender.pk}", f"{LIST}?o=1", f"{LIST}1/change/", f"{LIST}2/change/"]
    return [(response.status_code, CSRF.sub("", response.text)) for response in map(client.get, pages)]


def test_the_audit_list_is_the_same_with_or_without_a_sealed_bid(tender, officer, supplier_a, supplier_org_a, supplier_record_a, client):
    client.force_login(make_user("staff@platform.test", is_staff=True, is_superuser=True))
    sealed = helpers.seal_bid(tender, supplier_org_a)
    answers = []
    with time_machine.travel(timezone.now(), tick=False):
        for bids in [False, True]:
            with transaction.atomic():
                if bids:
                    actions.submit_bid(supplier_a, supplier_org_a, tender, sealed)
                helpers.amend(tender, officer)
                answers.append(admin_answers(client, tender))
                transaction.set_rollback(True)
    without_bid, with_bid = answers
    assert without_bid[0][0] == 200 and "tender.amended" in without_bid[0][1]
    assert with_bid == without_bid
    assert [status for status, _ in without_bid[4:]] == [404, 404]  # no page per event: its address would number it
