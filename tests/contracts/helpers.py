"""A confirmed award on a real tender with real sealed bids, for the contract tests."""

from datetime import date, timedelta
from decimal import Decimal

import time_machine

from contracts import actions as contract_actions
from contracts import document
from evaluation import actions
from tests.evaluation import helpers as h
from tests.factories import PASSWORD


def confirm_award(officer, evaluator, deadline, firms, *, prices=("900.00", "1000.00")):
    """Two bids opened and qualified; the lowest wins and is confirmed after the standstill.
    Returns (tender, award, travel, clock): time stands one second after the standstill until
    `travel.stop()`; `clock.move_to` moves it."""
    tender, [award], travel, clock = confirm_awards_of_lots(officer, evaluator, deadline, firms, prices=prices)
    return tender, award, travel, clock


def confirm_awards_of_lots(officer, evaluator, deadline, firms, *, prices=("900.00", "1000.00"), lots: int = 1):
    """As `confirm_award`, on a tender of `lots` lots, each firm bidding its price for every lot:
    returns (tender, awards, travel, clock), one confirmed award per lot."""
    tender = h.published(officer, deadline, standstill_days=10, lots=lots)
    bids = [h.bid(tender, user, org, {lot: price for lot in range(1, lots + 1)}) for (user, org), price in zip(firms, prices, strict=False)]
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
    awards = actions.confirm_awards(officer, tender)
    return h.refresh(tender), awards, travel, clock


PERIOD = {"period_start": date(2027, 1, 4), "period_end": date(2027, 6, 30)}


def milestone_plans(*amounts: str, due=(date(2027, 3, 1), date(2027, 6, 30))) -> list[document.Milestone]:
    """Milestones of these amounts, the first due on 1 March 2027 and the others at the period end."""
    return [
        document.Milestone(f"Stage {n}", due[min(n - 1, len(due) - 1)], Decimal(amount), f"Deliverables of stage {n}")
        for n, amount in enumerate(amounts, start=1)
    ]


def signed_by_both(contract, officer, supplier_admin, *, milestones=()):
    """The draft prepared (period, milestones), sent, and signed by both parties: active."""
    contract_actions.edit_draft(officer, contract, PERIOD)
    if milestones:
        contract_actions.set_milestones(officer, contract, list(milestones))
    contract_actions.send_for_signature(officer, contract)
    contract_actions.sign_contract(supplier_admin, contract, password=PASSWORD)
    return contract_actions.sign_contract(officer, contract, password=PASSWORD)


def paid(milestone, supplier_user, finance_user, *, number: str | None = None):
    """The accepted milestone invoiced by the supplier, approved by the buyer's finance officer and
    settled by the treasury transfer that officer records: the milestone is `paid`."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone

    from payments import actions as payment_actions
    from payments import invoices
    from tenders.demo import pdf

    invoice = invoices.submit_invoice(
        supplier_user,
        milestone,
        number=number or f"INV-{milestone.contract_id}-{milestone.number}",
        issued_on=timezone.localdate(),
        amount=milestone.amount,
        document=SimpleUploadedFile("invoice.pdf", pdf(["Invoice"]), content_type="application/pdf"),
    )
    invoice = invoices.approve_invoice(finance_user, invoice)
    payment_actions.confirm_offline_payment(finance_user, invoice.payment, bank_reference="TREASURY-1", received=invoice.payment.money)
    milestone.refresh_from_db()
    return milestone
