"""Two proposals at once on one contract: the contract's row lock lets one in; the other sees it
pending, so two increases can never pass the limit together."""

import threading
from decimal import Decimal

import pytest
from django.db import connection

from contracts import amendments
from contracts.models import Contract
from marketplace.errors import ActionError
from tests.contracts.helpers import confirm_award, milestone_plans, signed_by_both
from tests.factories import PASSWORD

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("quick_documents")]


@pytest.fixture
def active(officer, evaluator, deadline, firms, supplier_a):
    _tender, award, travel, _clock = confirm_award(officer, evaluator, deadline, firms)
    yield signed_by_both(Contract.objects.get(award=award), officer, supplier_a, milestones=milestone_plans("600.00", "300.00"))
    travel.stop()


def test_concurrent_proposals_let_one_in(active, officer):
    start = threading.Barrier(2)
    proposed, refused = [], []

    def propose():
        start.wait()
        try:
            amendment = amendments.propose_amendment(
                officer, active, rationale="itemPriceVariation", new_value=Decimal("954.00"), password=PASSWORD
            )
            proposed.append(amendment.number)
        except ActionError as error:
            refused.append(error.problems[0].code)
        finally:
            connection.close()

    threads = [threading.Thread(target=propose) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert (proposed, refused) == ([1], ["amendment_pending"])
    assert active.amendments.count() == 1
