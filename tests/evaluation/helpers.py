"""Tenders with real sealed bids, opened by the real engine, for the evaluation tests.

Bids are sealed with the project's `seal()` and submitted through the bidding action before the
deadline; the tests then move the clock past the deadline and run the opening task's body.
"""

from datetime import timedelta

import time_machine
from django.utils import timezone

from bidding import opening
from bidding.actions import submit_bid
from bidding.models import Bid
from evaluation import actions
from tenders.models import AwardMethod, Criterion, EnvelopeMode, Tender
from tests.bidding import helpers


def weighted_fields(price_weight: int = 60) -> dict:
    return {"award_method": AwardMethod.WEIGHTED, "price_weight": price_weight}


def published(officer, deadline, *, criteria: list[tuple[str, int, int]] = (), **fields) -> Tender:
    tender = helpers.make_tender(officer, deadline=deadline, **fields)
    for position, (name, weight, max_score) in enumerate(criteria, start=1):
        Criterion.objects.create(tender=tender, position=position, name=name, weight=weight, max_score=max_score)
    return helpers.publish(tender, officer)


def bid(tender: Tender, user, organisation, prices: dict[int, str], *, lots: list[int] | None = None) -> Bid:
    sealed = helpers.seal_bid(tender, organisation, prices=prices)
    return submit_bid(user, organisation, tender, sealed, lots=lots if lots is not None else sorted(prices))


def open_at_deadline(tender: Tender) -> Tender:
    """Run the opening as the deadline task does (the clock must be past the deadline)."""
    opening.open_tender(tender.pk)
    tender.refresh_from_db()
    assert tender.status == Tender.Status.OPENED, tender.unsuccessful_reason
    return tender


def past(deadline, seconds: int = 1):
    return time_machine.travel(deadline + timedelta(seconds=seconds), tick=False)


def pass_all(tender: Tender) -> dict:
    from evaluation.standing import requirements

    return {key: (True, "Checked against the opened documents.") for key, _label in requirements(tender)}


def fail_documents(tender: Tender, reason: str = "The method statement is missing.") -> dict:
    return pass_all(tender) | {"documents": (False, reason)}


def declare_clear(*evaluators, tender: Tender) -> None:
    for evaluator in evaluators:
        actions.declare_interests(evaluator, tender)


def refresh(obj):
    obj.refresh_from_db()
    return obj


def now():
    return timezone.now()


__all__ = ["EnvelopeMode", "helpers"]
