"""How the tender's shapes come out in OCDS: lots and two envelopes, unsuccessful tenders, drafts."""

import pytest

from evaluation import actions
from evaluation.actions import ScoreSpec
from opendata import packages
from opendata.models import Release
from tenders.models import EnvelopeMode
from tests.bidding import helpers as bidding
from tests.evaluation import helpers as h
from tests.opendata.helpers import assert_valid_release_package

pytestmark = pytest.mark.django_db


def latest(tender) -> dict:
    release = Release.objects.filter(tender=tender).last()
    assert_valid_release_package(packages.release_package([release], uri="https://tenderhall.example/api/v1/ocds/releases/"))
    return release.data


def test_two_envelopes_and_two_lots_give_a_bid_per_lot_priced_only_once_opened(officer, deadline, firms, evaluators):
    tender = h.published(
        officer,
        deadline,
        envelope_mode=EnvelopeMode.TWO,
        lots=2,
        evaluation_committee_required=True,
        criteria=[("Quality plan", 40, 10)],
        **h.weighted_fields(60),
    )
    (ua, oa), (ub, ob), (uc, oc) = firms
    bids = [h.bid(tender, ua, oa, {1: "1000.00", 2: "600.00"}), h.bid(tender, ub, ob, {1: "800.00"}), h.bid(tender, uc, oc, {2: "90.00"})]
    with h.past(deadline):
        h.open_at_deadline(tender)
        actions.start_evaluation(officer, tender, evaluators)
        h.declare_clear(*evaluators, tender=tender)
        actions.qualify_bid(officer, tender, bids[0], h.pass_all(tender))
        actions.qualify_bid(officer, tender, bids[1], h.pass_all(tender))
        actions.qualify_bid(officer, tender, bids[2], h.fail_documents(tender, "No quality plan."))
        [quality] = tender.criteria.all()
        for evaluator in evaluators:
            actions.record_scores(evaluator, tender, [ScoreSpec(str(b.pk), quality.pk, 7) for b in bids[:2]])
            actions.submit_scores(evaluator, tender)
        actions.open_financial_round(officer, tender)
        actions.approve_report(officer, tender)
        actions.award_tender(officer, tender)
    award = latest(tender)
    assert award["tender"]["awardCriteria"] == "ratedCriteria" and [lot["id"] for lot in award["tender"]["lots"]] == ["1", "2"]
    priced = {(d["tenderers"][0]["name"], d["relatedLots"][0]): d.get("value", {}).get("amount") for d in award["bids"]["details"]}
    assert priced == {
        ("Alpha Works Ltd", "1"): 1000.0,
        ("Alpha Works Ltd", "2"): 600.0,
        ("Beta Supplies Ltd", "1"): 800.0,
        ("Gamma Build Ltd", "2"): None,  # disqualified at the technical round: its prices were never opened
    }
    assert sorted(a["relatedLots"][0] for a in award["awards"] if a["status"] == "pending") == ["1", "2"]


def test_an_unsuccessful_tender_publishes_unsuccessful_awards(officer, evaluator, deadline, firms):
    tender = h.published(officer, deadline)
    bids = [h.bid(tender, user, org, {1: "900.00"}) for user, org in firms[:2]]
    with h.past(deadline):
        h.open_at_deadline(tender)
        actions.start_evaluation(officer, tender, [evaluator])
        h.declare_clear(evaluator, tender=tender)
        for bid in bids:
            actions.qualify_bid(officer, tender, bid, h.fail_documents(tender))
        actions.approve_report(officer, tender)
        actions.award_tender(officer, tender)
    release = latest(tender)
    assert release["tag"] == ["award"] and release["tender"]["status"] == "unsuccessful"
    assert [(a["status"], a["relatedLots"]) for a in release["awards"]] == [("unsuccessful", ["1"])]
    assert {s["measure"]: s["value"] for s in release["bids"]["statistics"]} == {"bids": 2, "validBids": 0, "disqualifiedBids": 2}


def test_a_draft_has_no_release_and_no_record(officer, deadline, public):
    draft = bidding.make_tender(officer, deadline=deadline)
    assert not Release.objects.filter(tender=draft).exists()
    assert public.get(f"/api/v1/ocds/records/ocds-000000-{draft.pk}/").status_code == 404


def test_a_supplier_deposit_and_its_sme_waiver_are_submission_terms(officer, deadline):
    from decimal import Decimal

    tender = h.published(officer, deadline, deposit_amount=Decimal("500.00"), deposit_waived_for_sme=True)
    terms = latest(tender)["tender"]["submissionTerms"]
    assert terms["depositsGuarantees"] == (
        "A bid deposit of 500.00 EUR. Small and medium-sized enterprises need not pay it. "
        "A bank guarantee for the same amount, valid for the bids' validity, is accepted instead."
    )
    assert terms["electronicSubmissionPolicy"] == "required"
    assert terms["bidValidityPeriod"]["durationInDays"] == 90
    only_paid = h.published(officer, deadline, deposit_amount=Decimal("500.00"), deposit_guarantee_accepted=False)
    assert "guarantee" not in latest(only_paid)["tender"]["submissionTerms"]["depositsGuarantees"]


@pytest.mark.parametrize("persona", ["public", "outsider", "supplier_a", "officer"])
def test_everyone_reads_the_same_open_data(persona, request, officer, deadline, client):
    tender = h.published(officer, deadline)
    if persona != "public":
        client.force_login(request.getfixturevalue(persona))
    feed = client.get("/api/v1/ocds/releases/")
    record = client.get(f"/api/v1/ocds/records/ocds-000000-{tender.pk}/")
    assert feed.status_code == record.status_code == 200
    assert [r["id"] for r in feed.json()["releases"]] == [f"ocds-000000-{tender.pk}-tender"]
