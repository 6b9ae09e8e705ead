"""Concurrent submissions at the deadline edge: none is admitted after it.

Real threads, each with its own database connection, keep submitting and replacing bids
while the clock (moved by time_machine, ticking) crosses the deadline, and a closer takes
the tender row FOR UPDATE the moment the deadline passes, as the closing task does.
"""

import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from bidding import actions
from bidding.models import Bid
from marketplace import signing
from marketplace.errors import Conflict
from marketplace.models import Role
from tests.bidding import helpers
from tests.factories import make_member, make_supplier_organisation

pytestmark = pytest.mark.django_db(transaction=True)

FIRMS = 8


def keep_bidding(person, firm, tender, outcomes: list, start: threading.Barrier) -> None:
    start.wait()
    bid = None
    try:
        while True:
            envelopes = helpers.seal_bid(tender, firm)
            try:
                bid = actions.submit_bid(person, firm, tender, envelopes, replacing=bid)
                outcomes.append((firm.pk, "accepted", bid.received_at))
            except Conflict as refusal:
                outcomes.append((firm.pk, refusal.problems[0].code, timezone.now()))
                return
    finally:
        connection.close()


def close_at_deadline(tender, closed: list, start: threading.Barrier) -> None:
    start.wait()
    try:
        while timezone.now() < tender.submission_deadline:
            threading.Event().wait(0.002)  # polling the (travelling) clock, as a scheduler would
        closed.append(helpers.close(tender))
    finally:
        connection.close()


def test_no_bid_is_admitted_after_the_deadline_under_concurrency(officer):
    deadline = (timezone.now() + timedelta(days=1)).replace(microsecond=0)
    tender = helpers.publish(helpers.make_tender(officer, deadline=deadline), officer)
    firms = [make_supplier_organisation(name=f"Racer {n}", code=f"racer{n}") for n in range(FIRMS)]
    people = [make_member(firm, Role.BIDDER, f"bidder@racer{n}.test") for n, firm in enumerate(firms)]
    for firm in firms:
        helpers.make_supplier(firm)
    outcomes: list = []
    closed: list = []
    start = threading.Barrier(FIRMS + 1)
    with time_machine.travel(deadline - timedelta(milliseconds=400), tick=True):
        threads = [threading.Thread(target=keep_bidding, args=(p, f, tender, outcomes, start)) for p, f in zip(people, firms, strict=True)]
        threads.append(threading.Thread(target=close_at_deadline, args=(tender, closed, start)))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)

    accepted = [moment for _firm, kind, moment in outcomes if kind == "accepted"]
    refusals = [kind for _firm, kind, _moment in outcomes if kind != "accepted"]
    firms_in = sorted({firm for firm, kind, _moment in outcomes if kind == "accepted"})
    assert accepted and all(moment < deadline for moment in accepted)
    assert len(refusals) == FIRMS and set(refusals) <= {"deadline_passed", "not_open"}
    assert all(bid.received_at < deadline for bid in Bid.objects.all())
    assert Bid.objects.count() == len(accepted)
    live = Bid.objects.live()
    assert sorted(live.values_list("organisation_id", flat=True)) == firms_in  # one live bid per firm that got in
    assert all(signing.verify(bid.receipt).valid for bid in live)
    assert closed and closed[0].closed_at >= deadline


def test_concurrent_withdrawals_and_submissions_do_not_deadlock(officer):
    """Each holds the tender FOR SHARE; none may escalate it, or two would wait for each other."""
    tender = helpers.publish(helpers.make_tender(officer), officer)
    firms = [make_supplier_organisation(name=f"Quitter {n}", code=f"quitter{n}") for n in range(FIRMS)]
    people = [make_member(firm, Role.BIDDER, f"bidder@quitter{n}.test") for n, firm in enumerate(firms)]
    for firm in firms:
        helpers.make_supplier(firm)
    bids = [actions.submit_bid(p, f, tender, helpers.seal_bid(tender, f)) for p, f in zip(people, firms, strict=True)]
    errors: list = []
    start = threading.Barrier(FIRMS * 2)

    def withdraw_then_bid_again(person, firm, bid) -> None:
        start.wait()
        try:
            actions.withdraw_bid(person, bid)
            actions.submit_bid(person, firm, tender, helpers.seal_bid(tender, firm))
        except Exception as error:  # any failure is the test's finding
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=withdraw_then_bid_again, args=args) for args in zip(people, firms, bids, strict=True)]
    threads += [threading.Thread(target=withdraw_then_bid_again, args=args) for args in zip(people, firms, bids, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert all(isinstance(e, Conflict) and e.problems[0].code in {"not_live", "already_submitted", "duplicate"} for e in errors), errors
    assert Bid.objects.filter(tender=tender).live().count() == FIRMS
