"""Bid security from the tender to the refund: deposits paid by bank transfer, bank guarantees,
the refunds the rules make due, the forfeit of a winner that refuses to sign, and the pages."""

from datetime import datetime, timedelta
from decimal import Decimal
from io import BytesIO

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from bidding.actions import eligibility_problems, withdraw_bid
from contracts import actions as contract_actions
from contracts.models import Contract
from evaluation import actions as evaluation
from marketplace.errors import ActionError, Conflict, Forbidden
from marketplace.models import Notification, Role
from payments import actions, deposits, ledger, tasks
from payments.models import Account, Guarantee, Payment, Refund
from payments.money import Money
from tenders.actions import cancel_tender, publish_tender
from tenders.demo import pdf
from tenders.models import Tender
from tests import factories
from tests.bidding import helpers as bidding_helpers
from tests.contracts.helpers import PERIOD
from tests.evaluation import helpers as h
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db
DEPOSIT = Money(Decimal("2500.00"), "EUR")
PDF = pdf(["Bid guarantee BG-1", "Bank of Leinster", "EUR 2,500.00"])  # a real PDF, as a bank sends it


@pytest.fixture
def tender(officer, deadline):
    return h.published(officer, deadline, deposit_amount=DEPOSIT.amount, standstill_days=10)


def pay_by_transfer(user, organisation, tender, finance_officer) -> Payment:
    start = deposits.start_deposit(user, organisation, tender, gateway="offline")
    return actions.confirm_offline_payment(finance_officer, start.payment, bank_reference=f"BANK-{organisation.pk}", received=DEPOSIT)


def problem_codes(organisation, tender) -> list[str]:
    return [p.code for p in eligibility_problems(organisation, tender, timezone.now())]


def award_lowest(officer, evaluator, tender, bids, deadline):
    """Open at the deadline, qualify every bid, award the lowest: returns the notice (the clock stays moved until `.stop()`)."""
    clock = h.past(deadline)
    clock.start()
    h.open_at_deadline(tender)
    evaluation.start_evaluation(officer, tender, [evaluator])
    h.declare_clear(evaluator, tender=tender)
    for bid in bids:
        evaluation.qualify_bid(officer, tender, bid, h.pass_all(tender))
    evaluation.approve_report(officer, tender)
    return evaluation.award_tender(officer, tender), clock


def held(organisation) -> int:
    return ledger.balances(account=Account.DEPOSITS_HELD, organisation=organisation).get((Account.DEPOSITS_HELD, "EUR"), 0)


# Paying -------------------------------------------------------------------------------------


def test_a_firm_bids_once_the_buyer_confirms_its_bank_transfer(tender, firms, finance_officer):
    (user, firm), *_ = firms
    assert problem_codes(firm, tender) == ["deposit_required"]
    start = deposits.start_deposit(user, firm, tender, gateway="offline")
    assert start.payment.status == Payment.Status.PENDING and start.reference.startswith("RF")
    [waiting] = eligibility_problems(firm, tender, timezone.now())
    assert start.reference in waiting.message and waiting.url.startswith(f"/payments/deposits/{tender.pk}/")
    with pytest.raises(ActionError) as refused:
        h.bid(tender, user, firm, {1: "900.00"})
    assert refused.value.problems[0].code == "deposit_required"

    actions.confirm_offline_payment(finance_officer, start.payment, bank_reference="BANK-77", received=DEPOSIT)
    assert problem_codes(firm, tender) == []
    assert h.bid(tender, user, firm, {1: "900.00"}).is_live
    assert held(firm) == -250000


def test_paying_twice_is_refused_and_nothing_more_is_recorded(tender, firms, finance_officer):
    (user, firm), *_ = firms
    pay_by_transfer(user, firm, tender, finance_officer)
    with pytest.raises(Conflict) as twice:
        deposits.start_deposit(user, firm, tender, gateway="offline")
    assert twice.value.problems[0].code == "already_paid"
    assert Payment.objects.filter(tender=tender, payer=firm).count() == 1


def test_asking_again_returns_the_transfer_under_way(tender, firms):
    (user, firm), *_ = firms
    first = deposits.start_deposit(user, firm, tender, gateway="offline")
    again = deposits.start_deposit(user, firm, tender, gateway="offline")
    assert again.payment.pk == first.payment.pk and again.reference == first.reference


def test_a_transfer_of_the_wrong_amount_is_not_confirmed_and_the_ledger_is_unchanged(tender, firms, finance_officer):
    (user, firm), *_ = firms
    start = deposits.start_deposit(user, firm, tender, gateway="offline")
    for wrong in (Money(Decimal("250.00"), "EUR"), Money(Decimal("2500.00"), "USD")):
        with pytest.raises(ActionError) as refused:
            actions.confirm_offline_payment(finance_officer, start.payment, bank_reference="BANK-1", received=wrong)
        assert refused.value.problems[0].code == "amount_mismatch"
    assert ledger.balances() == {} and Payment.objects.get(pk=start.payment.pk).status == Payment.Status.PENDING


def test_only_the_buyers_finance_officers_confirm_its_transfers(tender, firms, officer, other_agency):
    (user, firm), *_ = firms
    start = deposits.start_deposit(user, firm, tender, gateway="offline")
    elsewhere = factories.make_member(other_agency, Role.FINANCE_OFFICER, "finance@elsewhere.test")
    for outsider in (officer, elsewhere):
        with pytest.raises(Forbidden):
            actions.confirm_offline_payment(outsider, start.payment, bank_reference="BANK-1", received=DEPOSIT)
    assert ledger.balances() == {}


def test_no_deposit_is_taken_once_the_deadline_passed(tender, firms, deadline):
    (user, firm), *_ = firms
    with time_machine.travel(deadline - timedelta(seconds=1), tick=False):
        assert deposits.start_deposit(user, firm, tender, gateway="offline").payment.status == Payment.Status.PENDING
    Payment.objects.all().delete()
    with time_machine.travel(deadline, tick=False), pytest.raises(Conflict) as late:
        deposits.start_deposit(user, firm, tender, gateway="offline")
    assert late.value.problems[0].code == "not_accepting" and not Payment.objects.exists()


def test_a_firm_cancels_its_transfer_to_pay_another_way(tender, firms):
    (user, firm), *_ = firms
    start = deposits.start_deposit(user, firm, tender, gateway="offline")
    assert deposits.cancel_deposit(user, start.payment).status == Payment.Status.CANCELLED
    assert deposits.start_deposit(user, firm, tender, gateway="offline").payment.pk != start.payment.pk


def test_a_deposit_over_the_ceiling_stops_publication(officer, deadline, settings):
    draft = bidding_helpers.make_tender(officer, deadline=deadline, estimated_value=Decimal("100000.00"), deposit_amount=Decimal("2000.01"))
    with pytest.raises(ActionError) as refused:
        publish_tender(officer, draft)
    assert "deposit_too_high" in [p.code for p in refused.value.problems]
    assert Tender.objects.get(pk=draft.pk).status == Tender.Status.DRAFT
    settings.DEPOSIT_MAX_PERCENT = 3
    assert publish_tender(officer, draft).status == Tender.Status.PUBLISHED


def test_a_deposit_without_an_estimated_value_stops_publication(officer, deadline):
    draft = bidding_helpers.make_tender(officer, deadline=deadline, estimated_value=None, deposit_amount=Decimal("100.00"))
    with pytest.raises(ActionError) as refused:
        publish_tender(officer, draft)
    assert "deposit_needs_estimate" in [p.code for p in refused.value.problems]


# Returning -----------------------------------------------------------------------------------


def test_losers_get_the_deposit_back_after_the_award_and_the_winner_after_signing(
    tender, firms, finance_officer, officer, evaluator, deadline
):
    (user_a, firm_a), (user_b, firm_b), _ = firms
    bids = []
    for (user, firm), price in zip(firms[:2], ("900.00", "1000.00"), strict=True):
        pay_by_transfer(user, firm, tender, finance_officer)
        bids.append(h.bid(tender, user, firm, {1: price}))
    assert tasks.return_deposits.call(tender.pk)["refunds"] == 0  # bound until the award

    notice, clock = award_lowest(officer, evaluator, tender, bids, deadline)
    assert tasks.return_deposits.call(tender.pk) == {"refunds": 1, "released": 0, "gateway_errors": 0}
    [refund] = Refund.objects.all()
    assert refund.payment.payer == firm_b and refund.status == Refund.Status.PENDING
    assert refund.due_at == deposits.add_working_days(notice.published_at, 5)
    assert Notification.objects.filter(user=user_b, kind="refund.requested").exists()
    assert tasks.return_deposits.call(tender.pk)["refunds"] == 0  # asked once
    actions.confirm_offline_refund(finance_officer, refund, bank_reference="BANK-BACK-1")
    assert Payment.objects.get(pk=refund.payment_id).status == Payment.Status.REFUNDED
    assert held(firm_b) == 0 and held(firm_a) == -250000

    clock.stop()
    with time_machine.travel(notice.standstill_ends_at + timedelta(seconds=1), tick=False):
        [award] = evaluation.confirm_awards(officer, tender)
        contract = Contract.objects.get(award=award)
        contract_actions.edit_draft(officer, contract, PERIOD)
        contract_actions.send_for_signature(officer, contract)
        contract_actions.sign_contract(user_a, contract, password=PASSWORD)
        assert tasks.return_deposits.call(tender.pk)["refunds"] == 0  # the buyer has not signed yet
        contract_actions.sign_contract(officer, contract, password=PASSWORD)
        assert tasks.return_deposits.call(tender.pk)["refunds"] == 1
    [winner_refund] = Refund.objects.filter(payment__payer=firm_a)
    assert winner_refund.due_at == deposits.add_working_days(Contract.objects.get(pk=contract.pk).signed_at, 5)
    assert ledger.unbalanced_transactions() == []


def test_a_winner_that_declines_the_contract_forfeits_its_deposit(tender, firms, finance_officer, officer, evaluator, deadline):
    (user_a, firm_a), *_ = firms
    pay_by_transfer(user_a, firm_a, tender, finance_officer)
    bid = h.bid(tender, user_a, firm_a, {1: "900.00"})
    notice, clock = award_lowest(officer, evaluator, tender, [bid], deadline)
    clock.stop()
    with time_machine.travel(notice.standstill_ends_at + timedelta(seconds=1), tick=False):
        [award] = evaluation.confirm_awards(officer, tender)
        contract = Contract.objects.get(award=award)
        contract_actions.edit_draft(officer, contract, PERIOD)
        contract_actions.send_for_signature(officer, contract)
        contract_actions.decline_contract(user_a, contract, reason="We cannot deliver at that price.")
        assert tasks.sweep_payments.call()["refunds"] == 0
    payment = Payment.objects.get(payer=firm_a)
    assert payment.forfeited_at is not None and not payment.refunds.exists()
    assert held(firm_a) == 0
    assert ledger.balances(account=Account.FORFEITED_DEPOSITS) == {(Account.FORFEITED_DEPOSITS, "EUR"): -250000}


def test_every_deposit_comes_back_when_the_tender_is_cancelled(tender, firms, finance_officer, officer):
    for user, firm in firms[:2]:
        pay_by_transfer(user, firm, tender, finance_officer)
    cancel_tender(officer, tender, reason="The budget was withdrawn.")
    assert tasks.return_deposits.call(tender.pk)["refunds"] == 2
    assert {r.reason for r in Refund.objects.all()} == {"The tender was cancelled."}


def test_a_firm_that_withdraws_its_bid_gets_the_deposit_back_and_must_pay_again_to_bid(tender, firms, finance_officer):
    (user, firm), *_ = firms
    pay_by_transfer(user, firm, tender, finance_officer)
    bid = h.bid(tender, user, firm, {1: "900.00"})
    assert tasks.return_deposits.call(tender.pk)["refunds"] == 0  # a live bid keeps it
    withdrawn = withdraw_bid(user, bid)
    assert tasks.return_deposits.call(tender.pk)["refunds"] == 1
    refund = Refund.objects.get()
    assert refund.due_at == deposits.add_working_days(withdrawn.withdrawn_at, 5)
    assert problem_codes(firm, tender) == ["deposit_required"]


def test_a_firm_that_paid_and_never_bid_gets_it_back_after_the_deadline(tender, firms, finance_officer, deadline):
    (user, firm), *_ = firms
    pay_by_transfer(user, firm, tender, finance_officer)
    with time_machine.travel(deadline - timedelta(seconds=1), tick=False):
        assert tasks.return_deposits.call(tender.pk)["refunds"] == 0
    with time_machine.travel(deadline + timedelta(seconds=1), tick=False):
        assert tasks.return_deposits.call(tender.pk)["refunds"] == 1
    assert Refund.objects.get().due_at == deposits.add_working_days(deadline, 5)


def test_five_working_days_skip_the_weekend():
    friday = timezone.make_aware(datetime(2027, 1, 8, 15, 0))
    due = timezone.localtime(deposits.add_working_days(friday, 5))
    assert due.date().isoformat() == "2027-01-15" and (due.hour, due.minute) == (23, 59)


def test_a_refund_past_its_due_date_is_flagged_on_the_finance_desk(tender, firms, finance_officer, officer, as_user):
    (user, firm), *_ = firms
    pay_by_transfer(user, firm, tender, finance_officer)
    cancel_tender(officer, tender, reason="The budget was withdrawn.")
    tasks.return_deposits.call(tender.pk)
    due = Refund.objects.get().due_at
    with time_machine.travel(due - timedelta(seconds=1), tick=False):
        page = as_user(finance_officer).get("/payments/finance/")
        assert page.status_code == 200 and "overdue" not in page.text
    with time_machine.travel(due + timedelta(seconds=1), tick=False):
        assert "overdue" in as_user(finance_officer).get("/payments/finance/").text
        assert list(deposits.refunds_overdue(timezone.now())) == [Refund.objects.get()]


# Guarantees ----------------------------------------------------------------------------------


def guarantee_file(data: bytes = PDF, name: str = "guarantee.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/pdf")


def give_guarantee(user, firm, tender, **changes) -> Guarantee:
    fields = {
        "issuer": "Bank of Leinster",
        "number": f"BG-{firm.pk}",
        "amount": DEPOSIT,
        "valid_until": deposits.guarantee_needed_until(tender),
        "document": guarantee_file(),
    } | changes
    return deposits.submit_guarantee(user, firm, tender, **fields)


def test_an_accepted_guarantee_lets_the_firm_bid_and_is_released_after_the_award(
    tender, firms, finance_officer, officer, evaluator, deadline
):
    (user_a, firm_a), (user_b, firm_b), _ = firms
    pay_by_transfer(user_a, firm_a, tender, finance_officer)
    guarantee = give_guarantee(user_b, firm_b, tender)
    assert problem_codes(firm_b, tender) == ["deposit_required"]
    assert Notification.objects.filter(user=finance_officer, kind="guarantee.submitted").exists()
    deposits.decide_guarantee(finance_officer, guarantee, accept=True)
    assert problem_codes(firm_b, tender) == []
    bids = [h.bid(tender, user_a, firm_a, {1: "900.00"}), h.bid(tender, user_b, firm_b, {1: "1000.00"})]
    notice, clock = award_lowest(officer, evaluator, tender, bids, deadline)
    assert tasks.return_deposits.call(tender.pk)["released"] == 1
    clock.stop()
    released = Guarantee.objects.get(pk=guarantee.pk)
    assert released.status == Guarantee.Status.RELEASED and released.release_due_at == deposits.add_working_days(notice.published_at, 5)
    assert Notification.objects.filter(user=user_b, kind="guarantee.released").exists()


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"valid_until": "short"}, "expires_too_soon"),
        ({"amount": Money(Decimal("2499.99"), "EUR")}, "amount_too_low"),
        ({"amount": Money(Decimal("2500.00"), "USD")}, "currency_mismatch"),
        ({"document": "text"}, "unsupported_type"),
        ({"document": "fake"}, "content_mismatch"),
        ({"issuer": " "}, "required"),
    ],
)
def test_a_guarantee_that_does_not_cover_the_bid_is_refused_and_nothing_is_stored(tender, firms, changes, code):
    (user, firm), *_ = firms
    if changes.get("valid_until") == "short":
        changes["valid_until"] = deposits.guarantee_needed_until(tender) - timedelta(days=1)
    if changes.get("document") == "text":
        changes["document"] = guarantee_file(b"a letter", "guarantee.txt")
    if changes.get("document") == "fake":
        changes["document"] = guarantee_file(b"<html>not a pdf</html>", "guarantee.pdf")
    with pytest.raises(ActionError) as refused:
        give_guarantee(user, firm, tender, **changes)
    assert refused.value.problems[0].code == code and not Guarantee.objects.exists()


def test_a_refused_guarantee_says_why_and_the_firm_may_give_another(tender, firms, finance_officer):
    (user, firm), *_ = firms
    guarantee = give_guarantee(user, firm, tender)
    with pytest.raises(ActionError):
        deposits.decide_guarantee(finance_officer, guarantee, accept=False, reason="")
    deposits.decide_guarantee(finance_officer, guarantee, accept=False, reason="The bank did not confirm the number.")
    assert Notification.objects.filter(user=user, kind="guarantee.refused").exists()
    assert problem_codes(firm, tender) == ["deposit_required"]
    assert give_guarantee(user, firm, tender, number="BG-2").status == Guarantee.Status.SUBMITTED


def test_one_guarantee_cannot_secure_two_bids(tender, firms):
    (user_a, firm_a), (user_b, firm_b), _ = firms
    give_guarantee(user_a, firm_a, tender, number="BG-SAME")
    with pytest.raises(Conflict) as reused:
        give_guarantee(user_b, firm_b, tender, number="BG-SAME")
    assert reused.value.problems[0].code == "guarantee_reused" and Guarantee.objects.count() == 1


def test_a_tender_that_takes_deposits_only_refuses_guarantees(officer, deadline, firms):
    only_paid = h.published(officer, deadline, deposit_amount=DEPOSIT.amount, deposit_guarantee_accepted=False)
    (user, firm), *_ = firms
    with pytest.raises(Conflict) as refused:
        give_guarantee(user, firm, only_paid)
    assert refused.value.problems[0].code == "guarantee_not_accepted"


# Pages and who sees what -----------------------------------------------------------------------


def test_the_firm_pays_by_transfer_from_its_page_and_finance_confirms_from_the_desk(tender, firms, finance_officer, as_user):
    (user, firm), *_ = firms
    firm_client = as_user(user)  # the one test client, signed in as each persona in turn
    page = firm_client.get(f"/payments/deposits/{tender.pk}/")
    assert page.status_code == 200 and "2500.00 EUR" in page.text
    response = firm_client.post(f"/payments/deposits/{tender.pk}/", {"action": "pay", "gateway": "offline", "organisation": firm.pk})
    assert response.status_code == 302
    payment = Payment.objects.get()
    assert payment.gateway_reference in firm_client.get(response.url).text

    desk = as_user(finance_officer)
    assert payment.gateway_reference in desk.get("/payments/finance/").text
    confirmed = desk.post(f"/payments/finance/payments/{payment.pk}/confirm/", {"bank_reference": "BANK-9", "received": "2500.00"})
    assert confirmed.status_code == 302 and Payment.objects.get().status == Payment.Status.SUCCEEDED
    assert "may bid" in as_user(user).get(f"/payments/deposits/{tender.pk}/").text


def test_a_guarantee_is_given_and_checked_through_the_pages(tender, firms, finance_officer, as_user):
    (user, firm), *_ = firms
    form = {
        "action": "guarantee",
        "organisation": firm.pk,
        "issuer": "Bank of Leinster",
        "number": "BG-1",
        "amount": "2500.00",
        "valid_until": (deposits.guarantee_needed_until(tender) - timedelta(days=1)).isoformat(),
        "document": BytesIO(PDF),
    }
    form["document"].name = "guarantee.pdf"
    short = as_user(user).post(f"/payments/deposits/{tender.pk}/", form)
    assert short.status_code == 422 and "must stay valid until" in short.text and not Guarantee.objects.exists()
    form["valid_until"] = deposits.guarantee_needed_until(tender).isoformat()
    form["document"] = BytesIO(PDF)
    form["document"].name = "guarantee.pdf"
    assert as_user(user).post(f"/payments/deposits/{tender.pk}/", form).status_code == 302
    guarantee = Guarantee.objects.get()
    desk = as_user(finance_officer)
    assert desk.get(f"/payments/guarantees/{guarantee.pk}/document/").getvalue() == PDF
    assert desk.post(f"/payments/finance/guarantees/{guarantee.pk}/decide/", {"decision": "accept"}).status_code == 302
    assert Guarantee.objects.get().status == Guarantee.Status.ACCEPTED


@pytest.mark.parametrize(
    ("persona", "desk", "deposit_page"),
    [("finance_officer", 200, 403), ("officer", 403, 403), ("evaluator", 403, 403), ("supplier_b", 403, 200), ("outsider", 403, 403)],
)
def test_who_reaches_the_money_pages(tender, firms, persona, desk, deposit_page, as_user, request):
    client = as_user(request.getfixturevalue(persona))
    assert client.get("/payments/finance/").status_code == desk
    assert client.get(f"/payments/deposits/{tender.pk}/").status_code == deposit_page


def test_the_public_is_sent_to_log_in(tender, public):
    for url in ("/payments/", "/payments/finance/", f"/payments/deposits/{tender.pk}/"):
        assert public.get(url).status_code == 302


def test_a_firm_never_sees_another_firms_deposit_or_guarantee(tender, firms, finance_officer, as_user):
    (user_a, firm_a), (user_b, _), _ = firms
    start = deposits.start_deposit(user_a, firm_a, tender, gateway="offline")
    guarantee = give_guarantee(user_a, firm_a, tender)
    other = as_user(user_b)
    page = other.get(f"/payments/deposits/{tender.pk}/?organisation={firm_a.pk}")
    assert page.status_code == 200 and start.reference not in page.text and "BG-" not in page.text
    assert start.reference not in other.get("/payments/").text
    assert other.get(f"/payments/guarantees/{guarantee.pk}/document/").status_code == 404


def test_the_buyers_procurement_officer_does_not_learn_who_paid_a_deposit_before_the_deadline(tender, firms, officer, as_user):
    (user, firm), *_ = firms
    deposits.start_deposit(user, firm, tender, gateway="offline")
    workspace = as_user(officer).get(f"/tenders/{tender.pk}/")
    assert firm.name not in workspace.text
    assert as_user(officer).get("/payments/finance/").status_code == 403
