"""Refusal and re-award: the winner declines the contract or lets the signing period end, the
award is withdrawn, and the officer awards the lot to the next-ranked qualified bid of the same
evaluation, under a new notice with its own standstill; its contract is drawn up on confirmation."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from bidding.models import Bid
from contracts import actions as contract_actions
from contracts.models import Contract
from evaluation import actions
from evaluation.models import Award, AwardNotice
from marketplace import signing
from marketplace.errors import Conflict
from marketplace.models import AuditEvent, Notification
from tests.contracts.helpers import PERIOD, confirm_award

pytestmark = pytest.mark.django_db

PRICES = ("900.00", "1000.00", "1100.00")


@pytest.fixture
def confirmed(officer, evaluator, deadline, firms):
    tender, award, travel, clock = confirm_award(officer, evaluator, deadline, firms, prices=PRICES)
    yield tender, award, clock
    travel.stop()


@pytest.fixture
def declined(confirmed, officer, supplier_a):
    tender, award, clock = confirmed
    contract = Contract.objects.get(award=award)
    contract_actions.edit_draft(officer, contract, PERIOD)
    contract_actions.send_for_signature(officer, contract)
    contract_actions.decline_contract(supplier_a, contract, reason="We cannot deliver at that price.")
    return tender, award, clock


def bid_of(tender, organisation) -> Bid:
    return Bid.objects.get(tender=tender, organisation=organisation, status__in=[Bid.Status.AWARDED, Bid.Status.UNSUCCESSFUL])


def test_the_lot_goes_to_the_next_ranked_bid_under_a_new_notice_and_its_own_standstill(
    declined, officer, supplier_b, supplier_org_a, supplier_org_b
):
    tender, refused, clock = declined
    assert [lot.number for lot in actions.lots_to_award_again(tender)] == [1]
    assert bid_of(tender, supplier_org_a).status == Bid.Status.UNSUCCESSFUL

    notice = actions.award_next_ranked(officer, tender, 1)

    assert (notice.number, notice.kind, notice.status) == (2, AwardNotice.Kind.AWARD, AwardNotice.Status.PUBLISHED)
    assert notice.standstill_ends_at == notice.published_at + timedelta(days=tender.standstill_days)
    [lot] = notice.content["lots"]
    assert lot["winner"]["supplier"]["id"] == supplier_org_b.pk and lot["winner"]["price"]["amount"] == "1000.00"
    assert notice.content["replaces"] == {"award": refused.pk, "notice": refused.notice_id}
    assert "cannot deliver at that price" in notice.content["reason"]
    verified = signing.verify(notice.signature)
    assert verified.valid and verified.payload == notice.content
    award = Award.objects.get(notice=notice)
    assert (award.status, award.supplier_id, award.price) == (Award.Status.ACTIVE, supplier_org_b.pk, Decimal("1000.00"))
    assert Notification.objects.filter(user=supplier_b, kind="award.result", title__contains="lot 1").exists()
    assert AuditEvent.objects.filter(action="award.created_again", object_id=str(award.pk)).exists()
    assert actions.lots_to_award_again(tender) == []

    with pytest.raises(Conflict):  # the new standstill runs
        actions.confirm_awards(officer, tender)
    clock.move_to(notice.standstill_ends_at + timedelta(seconds=1))
    actions.confirm_awards(officer, tender)

    award.refresh_from_db()
    assert award.status == Award.Status.CONFIRMED
    assert bid_of(tender, supplier_org_b).status == Bid.Status.AWARDED
    assert bid_of(tender, supplier_org_a).status == Bid.Status.UNSUCCESSFUL
    contract = Contract.objects.get(award=award)
    assert (contract.number, contract.value, contract.supplier_id) == (f"{tender.reference}-C2", Decimal("1000.00"), supplier_org_b.pk)
    assert contract.status == Contract.Status.DRAFT


def test_one_second_before_the_new_standstill_ends_nothing_is_confirmed(declined, officer):
    tender, _refused, clock = declined
    notice = actions.award_next_ranked(officer, tender, 1)
    clock.move_to(notice.standstill_ends_at - timedelta(seconds=1))
    with pytest.raises(Conflict) as refused:
        actions.confirm_awards(officer, tender)
    assert refused.value.problems[0].code == "standstill_running"
    assert Award.objects.get(notice=notice).status == Award.Status.ACTIVE


def test_a_winner_who_lets_the_signing_period_end_opens_the_lot_to_the_next_bid(confirmed, officer, supplier_org_b):
    tender, award, clock = confirmed
    contract = Contract.objects.get(award=award)
    contract_actions.edit_draft(officer, contract, PERIOD)
    contract_actions.send_for_signature(officer, contract)
    clock.move_to(contract.signing_deadline + timedelta(seconds=1))
    assert contract_actions.expire_contract(contract)
    notice = actions.award_next_ranked(officer, tender, 1)
    assert Award.objects.get(notice=notice).supplier_id == supplier_org_b.pk


def test_a_lot_whose_winner_has_not_refused_is_not_awarded_again(confirmed, officer):
    tender, award, _clock = confirmed
    with pytest.raises(Conflict) as refused:
        actions.award_next_ranked(officer, tender, 1)
    assert refused.value.problems[0].code == "nothing_to_award_again"
    assert tender.award_notices.count() == 1 and Award.objects.get(pk=award.pk).status == Award.Status.CONFIRMED


def award_again_and_refuse(officer, tender, clock, refuser) -> Award:
    """The lot awarded to the next bid, confirmed after the standstill, and its contract declined."""
    notice = actions.award_next_ranked(officer, tender, 1)
    clock.move_to(notice.standstill_ends_at + timedelta(seconds=1))
    [award] = actions.confirm_awards(officer, tender)
    contract = Contract.objects.get(award=award)
    contract_actions.edit_draft(officer, contract, PERIOD)
    contract_actions.send_for_signature(officer, contract)
    contract_actions.decline_contract(refuser, contract, reason="No capacity.")
    return award


def test_a_second_refusal_passes_to_the_third_and_then_no_one_is_left(declined, officer, supplier_b, supplier_c, firms):
    tender, _refused, clock = declined
    suppliers = [award_again_and_refuse(officer, tender, clock, refuser).supplier for refuser in (supplier_b, supplier_c)]
    assert suppliers == [firms[1][1], firms[2][1]]
    notices = tender.award_notices.count()
    with pytest.raises(Conflict) as refused:
        actions.award_next_ranked(officer, tender, 1)
    assert refused.value.problems[0].code == "no_next_ranked_bid"
    assert tender.award_notices.count() == notices == 3


def test_only_the_buyers_officer_awards_again(declined, supplier_b, evaluator, client, api_client, officer):
    tender, _refused, _clock = declined
    url = reverse("api-evaluation-award-again", args=[tender.pk, 1])
    assert api_client.post(url).status_code in (401, 403)
    for person in (supplier_b, evaluator):
        api_client.force_authenticate(person)
        assert api_client.post(url).status_code in (403, 404)
    assert tender.award_notices.count() == 1
    api_client.force_authenticate(officer)
    answer = api_client.post(url)
    assert answer.status_code == 201 and answer.json()["number"] == 2
    again = api_client.post(url)
    assert again.status_code == 409 and again.json()["errors"][0]["code"] == "nothing_to_award_again"


def test_the_workspace_offers_the_re_award_and_asks_before_it(declined, officer, client):
    tender, _refused, _clock = declined
    client.force_login(officer)
    page = client.get(reverse("tenders:evaluation", args=[tender.pk])).content.decode()
    url = reverse("tenders:evaluation-award-again", args=[tender.pk, 1])
    assert f'action="{url}"' in page
    asked = client.post(url)
    assert asked.status_code == 200 and "next-ranked" in asked.content.decode() and tender.award_notices.count() == 1
    done = client.post(url, {"confirmed": "yes"})
    assert done.status_code == 302 and tender.award_notices.count() == 2
    page = client.get(reverse("tenders:evaluation", args=[tender.pk])).content.decode()
    assert f'action="{url}"' not in page
