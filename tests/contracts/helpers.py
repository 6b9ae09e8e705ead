"""A confirmed award on a real tender with real sealed bids, for the contract tests."""

from datetime import date, timedelta

import time_machine

from evaluation import actions
from tests.evaluation import helpers as h


def confirm_award(officer, evaluator, deadline, firms, *, prices=("900.00", "1000.00")):
    """Two bids opened and qualified; the lowest wins and is confirmed after the standstill.
    Returns (tender, award, travel, clock): time stands one second after the standstill until
    `travel.stop()`; `clock.move_to` moves it."""
    tender = h.published(officer, deadline, standstill_days=10)
    bids = [h.bid(tender, user, org, {1: price}) for (user, org), price in zip(firms, prices, strict=False)]
    clock = h.past(deadline)
    clock.start()
    h.open_at_deadline(tender)
    actions.start_evaluation(officer, tender, [evaluator])
    h.declare_clear(evaluator, tender=tender)
    for bid in bids:
        actions.qualify_bid(officer, tender, bid, h.pass_all(tender))
    actions.approve_report(officer, tender)
    notice = actions.award_tender(officer, tender)
    clock.stop()
    travel = time_machine.travel(notice.standstill_ends_at + timedelta(seconds=1), tick=False)
    clock = travel.start()
    [award] = actions.confirm_awards(officer, tender)
    return h.refresh(tender), award, travel, clock


PERIOD = {"period_start": date(2027, 1, 4), "period_end": date(2027, 6, 30)}
