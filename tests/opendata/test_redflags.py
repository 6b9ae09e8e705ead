"""Red flags computed from what is public when the tender's events happen, on tenders with real
sealed bids opened by the real engine."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from bidding import opened
from bidding.models import Bid
from contracts.models import Contract
from evaluation import actions as evaluation
from marketplace.errors import Conflict
from marketplace.models import Role
from opendata import redflags
from opendata.models import RedFlag
from tests import factories
from tests.bidding import helpers as bidding
from tests.contracts.helpers import signed_by_both
from tests.evaluation import helpers as h

pytestmark = pytest.mark.django_db

BID_FLAGS = {"R018", "R024", "R028", "R030", "R035", "R036", "R038", "R058", "PR-NEAR-ESTIMATE"}


def flag(tender, code: str) -> RedFlag:
    return RedFlag.objects.get(tender=tender, code=code)


def awarded(officer, evaluator, deadline, firms, prices, *, disqualify=(), **fields):
    """Published, one sealed bid per firm at its price for lot 1, opened, evaluated (the bids at
    the positions in `disqualify` fail their documents) and awarded. Returns (tender, bids)."""
    tender = h.published(officer, deadline, **fields)
    bids = [h.bid(tender, user, org, {1: price}) for (user, org), price in zip(firms, prices, strict=False)]
    with h.past(deadline):
        h.open_at_deadline(tender)
        evaluation.start_evaluation(officer, tender, [evaluator])
        h.declare_clear(evaluator, tender=tender)
        for position, bid in enumerate(bids):
            evaluation.qualify_bid(officer, tender, bid, h.fail_documents(tender) if position in disqualify else h.pass_all(tender))
        evaluation.approve_report(officer, tender)
        evaluation.award_tender(officer, tender)
    return h.refresh(tender), bids


def peers(officer, code: str, *figures: str) -> None:
    """Other tenders' recorded figures for an outlier flag, one awarded lot each."""
    for figure in figures:
        tender = bidding.make_tender(officer)
        RedFlag.objects.create(tender=tender, code=code, status="clear", reason="", figures=[figure], computed_at=timezone.now())


@pytest.fixture
def other_buyers(firms):
    """Two other agencies, each with an officer and an evaluator, that disqualified nothing."""
    made = []
    for n in (1, 2):
        agency = factories.make_agency(name=f"Agency {n}", code=f"ag{n}")
        made.append(
            (
                factories.make_member(agency, Role.PROCUREMENT_OFFICER, f"officer@ag{n}.test"),
                factories.make_member(agency, Role.EVALUATOR, f"evaluator@ag{n}.test"),
            )
        )
    return made


# R003 short submission period ------------------------------------------------------------


def test_r003_fires_for_an_open_procedure_with_seven_days_to_bid(officer, deadline):
    tender = h.published(officer, deadline)
    row = flag(tender, "R003")
    assert row.status == "raised" and "under 15 days" in row.reason and "7.0 days" in row.reason


def test_r003_is_clear_with_twenty_days_to_bid(officer):
    tender = h.published(officer, timezone.now() + timedelta(days=20))
    row = flag(tender, "R003")
    assert row.status == "clear" and "20.0 days" in row.reason


def test_r003_follows_an_amendment_that_moves_the_deadline(officer, deadline):
    from tenders import actions as tender_actions

    tender = h.published(officer, deadline)
    tender_actions.amend_tender(officer, tender, reason="More time", changes={"submission_deadline": deadline + timedelta(days=14)})
    assert flag(tender, "R003").status == "clear"


def test_r003_is_clear_for_a_request_for_quotation(officer, deadline):
    tender = h.published(officer, deadline, method="rfq")
    assert flag(tender, "R003").status == "clear"


# Nothing about sealed bids before the deadline ---------------------------------------------


def test_bids_before_the_deadline_give_no_bid_flag(officer, deadline, firms, client):
    tender = h.published(officer, deadline)
    for user, organisation in firms:
        h.bid(tender, user, organisation, {1: "900.00"})
    bidding.amend(tender, officer)
    assert set(RedFlag.objects.filter(tender=tender).values_list("code", flat=True)) == {"R003"}
    body = client.get(f"/api/v1/red-flags/?tender={tender.pk}").json()
    assert [row["code"] for row in body["results"]] == ["R003"]


def test_closing_gives_no_bid_flag_before_the_opening(officer, deadline, firms):
    tender = h.published(officer, deadline)
    h.bid(tender, *firms[0], {1: "900.00"})
    with h.past(deadline):
        bidding.close(tender)
    assert not RedFlag.objects.filter(tender=tender, code__in=BID_FLAGS).exists()


# R018 single bidder --------------------------------------------------------------------------


def test_r018_fires_for_a_single_bid(officer, evaluator, deadline, firms):
    tender, _bids = awarded(officer, evaluator, deadline, firms[:1], ["900.00"])
    row = flag(tender, "R018")
    assert row.status == "raised" and "lot 1: 1" in row.reason


def test_r018_is_clear_with_three_bids(officer, evaluator, deadline, firms):
    tender, _bids = awarded(officer, evaluator, deadline, firms, ["900.00", "1000.00", "1100.00"])
    row = flag(tender, "R018")
    assert row.status == "clear" and "lot 1: 3" in row.reason


def test_r018_is_computed_when_the_opening_completes(officer, deadline, firms, django_capture_on_commit_callbacks):
    tender = h.published(officer, deadline)
    h.bid(tender, *firms[0], {1: "900.00"})
    with h.past(deadline), django_capture_on_commit_callbacks(execute=True):
        h.open_at_deadline(tender)
    assert flag(tender, "R018").status == "raised"
    assert not RedFlag.objects.filter(tender=tender, code__in=BID_FLAGS - {"R018"}).exists()


# R024 / R058: the winner's margin over the second-lowest valid price ----------------------


def test_r024_fires_when_the_second_price_is_unusually_close(officer, evaluator, deadline, firms, monkeypatch):
    monkeypatch.setattr(redflags, "MIN_PEER_FIGURES", 4)
    peers(officer, "R024", "10.00", "11.00", "12.00", "13.00")
    tender, _bids = awarded(officer, evaluator, deadline, firms[:2], ["1000.00", "1001.00"])
    row = flag(tender, "R024")
    assert row.status == "raised" and "lot 1: 0.10 % above" in row.reason and row.figures == ["0.10"]


def test_r024_is_clear_for_a_usual_margin(officer, evaluator, deadline, firms, monkeypatch):
    monkeypatch.setattr(redflags, "MIN_PEER_FIGURES", 4)
    peers(officer, "R024", "10.00", "11.00", "12.00", "13.00")
    tender, _bids = awarded(officer, evaluator, deadline, firms[:2], ["1000.00", "1110.00"])
    assert flag(tender, "R024").status == "clear"


def test_r024_and_r058_need_ten_other_awarded_lots(officer, evaluator, deadline, firms):
    peers(officer, "R024", "10.00", "11.00")
    tender, _bids = awarded(officer, evaluator, deadline, firms[:2], ["1000.00", "1001.00"])
    for code in ("R024", "R058"):
        row = flag(tender, code)
        assert row.status == "not_enough_data" and "10 are needed" in row.reason
    assert flag(tender, "R058").figures == ["0.10"]  # kept, for the tenders that come later


def test_r024_has_not_enough_data_with_a_single_valid_price(officer, evaluator, deadline, firms):
    tender, _bids = awarded(officer, evaluator, deadline, firms[:2], ["900.00", "1000.00"], disqualify=[1])
    assert flag(tender, "R024").status == "not_enough_data"


def test_r058_fires_when_the_winner_is_far_below_the_second(officer, evaluator, deadline, firms, monkeypatch):
    monkeypatch.setattr(redflags, "MIN_PEER_FIGURES", 4)
    peers(officer, "R058", "10.00", "11.00", "12.00", "13.00")
    tender, _bids = awarded(officer, evaluator, deadline, firms[:2], ["600.00", "1000.00"], abnormally_low_percent=50)
    row = flag(tender, "R058")
    assert row.status == "raised" and "lot 1: 66.67 % above" in row.reason and "high fence of 14.50 %" in row.reason


def test_r058_is_clear_for_a_usual_margin(officer, evaluator, deadline, firms, monkeypatch):
    monkeypatch.setattr(redflags, "MIN_PEER_FIGURES", 4)
    peers(officer, "R058", "10.00", "11.00", "12.00", "13.00")
    tender, _bids = awarded(officer, evaluator, deadline, firms[:2], ["1000.00", "1110.00"])
    assert flag(tender, "R058").status == "clear"


# R028 identical prices -----------------------------------------------------------------------


def test_r028_fires_for_two_bidders_at_the_same_price(officer, evaluator, deadline, firms):
    tender, _bids = awarded(officer, evaluator, deadline, firms, ["900.00", "1000.00", "1000.00"])
    row = flag(tender, "R028")
    assert row.status == "raised" and "2 bidders at 1000.00 EUR" in row.reason


def test_r028_is_clear_for_different_prices(officer, evaluator, deadline, firms):
    tender, _bids = awarded(officer, evaluator, deadline, firms, ["900.00", "1000.00", "1100.00"])
    assert flag(tender, "R028").status == "clear"


def test_r028_has_not_enough_data_with_one_price(officer, evaluator, deadline, firms):
    tender, _bids = awarded(officer, evaluator, deadline, firms[:1], ["900.00"])
    assert flag(tender, "R028").status == "not_enough_data"


# R030 late bid won: never -------------------------------------------------------------------


def test_r030_never_fires_even_for_a_bid_at_the_deadline_second(officer, evaluator, deadline, firms):
    tender = h.published(officer, deadline)
    with time_machine.travel(deadline - timedelta(seconds=1), tick=False):
        last = h.bid(tender, *firms[0], {1: "900.00"})
    with time_machine.travel(deadline, tick=False), pytest.raises(Conflict):
        h.bid(tender, *firms[1], {1: "800.00"})
    with h.past(deadline):
        h.open_at_deadline(tender)
        evaluation.start_evaluation(officer, tender, [evaluator])
        h.declare_clear(evaluator, tender=tender)
        evaluation.qualify_bid(officer, tender, last, h.pass_all(tender))
        evaluation.approve_report(officer, tender)
        evaluation.award_tender(officer, tender)
    assert last.received_at == deadline - timedelta(seconds=1)
    assert flag(tender, "R030").status == "clear"


def test_r030_would_catch_a_winning_bid_stamped_at_the_deadline(officer, evaluator, deadline, firms):
    """The rule itself, on a receipt time tampered with in the database: the platform never lets it happen."""
    tender, [bid] = awarded(officer, evaluator, deadline, firms[:1], ["900.00"])
    Bid.objects.filter(pk=bid.pk).update(received_at=deadline)
    result = redflags.late_winner(tender)
    assert result.status == "raised" and "at or after the deadline" in result.reason


# R035 all but the winner disqualified -----------------------------------------------------


def test_r035_fires_when_every_other_bid_is_disqualified(officer, evaluator, deadline, firms):
    tender, _bids = awarded(officer, evaluator, deadline, firms, ["900.00", "1000.00", "1100.00"], disqualify=[1, 2])
    row = flag(tender, "R035")
    assert row.status == "raised" and "lot 1: 2 of 2 other bids" in row.reason


def test_r035_is_clear_when_another_bid_stays_qualified(officer, evaluator, deadline, firms):
    tender, _bids = awarded(officer, evaluator, deadline, firms, ["900.00", "1000.00", "1100.00"], disqualify=[2])
    assert flag(tender, "R035").status == "clear"


def test_r035_has_not_enough_data_with_the_winner_alone(officer, evaluator, deadline, firms):
    tender, _bids = awarded(officer, evaluator, deadline, firms[:1], ["900.00"])
    assert flag(tender, "R035").status == "not_enough_data"


# R036 lowest bid disqualified ----------------------------------------------------------------


def test_r036_fires_when_the_lowest_price_is_disqualified(officer, evaluator, deadline, firms):
    tender, _bids = awarded(officer, evaluator, deadline, firms, ["900.00", "1000.00", "1100.00"], disqualify=[0])
    row = flag(tender, "R036")
    assert row.status == "raised" and "lot 1: 900.00 EUR" in row.reason


def test_r036_is_clear_when_the_lowest_price_wins(officer, evaluator, deadline, firms):
    tender, _bids = awarded(officer, evaluator, deadline, firms, ["900.00", "1000.00", "1100.00"], disqualify=[2])
    assert flag(tender, "R036").status == "clear"


def test_r036_has_not_enough_data_with_two_envelopes(officer, evaluator, deadline, firms):
    tender = h.published(officer, deadline, envelope_mode=h.EnvelopeMode.TWO)
    bids = [h.bid(tender, user, org, {1: price}) for (user, org), price in zip(firms[:2], ["900.00", "1000.00"], strict=True)]
    with h.past(deadline):
        h.open_at_deadline(tender)
        evaluation.start_evaluation(officer, tender, [evaluator])
        h.declare_clear(evaluator, tender=tender)
        evaluation.qualify_bid(officer, tender, bids[0], h.fail_documents(tender))
        evaluation.qualify_bid(officer, tender, bids[1], h.pass_all(tender))
        evaluation.open_financial_round(officer, tender)
        evaluation.approve_report(officer, tender)
        evaluation.award_tender(officer, tender)
    row = flag(tender, "R036")
    assert row.status == "not_enough_data" and "never opened" in row.reason
    prices = redflags._Prices(tender)  # read in one query, as the opening read them bid by bid
    assert [prices.of(b, 1) for b in bids] == [opened.prices(b).get(1) for b in bids] == [None, Decimal("1000.00")]


# R038 the buyer's disqualification rate -------------------------------------------------------


def test_r038_fires_for_a_buyer_that_disqualifies_far_more_than_others(officer, evaluator, deadline, firms, other_buyers, monkeypatch):
    monkeypatch.setattr(redflags, "MIN_PEER_BUYERS", 2)
    for other_officer, other_evaluator in other_buyers:
        awarded(other_officer, other_evaluator, deadline, firms[:2], ["900.00", "1000.00"])
    tender, _bids = awarded(officer, evaluator, deadline, firms, ["900.00", "1000.00", "1100.00"], disqualify=[1, 2])
    row = flag(tender, "R038")
    assert row.status == "raised" and "66.7 % of its bids (2 of 3)" in row.reason


def test_r038_is_clear_for_a_buyer_like_the_others(officer, evaluator, deadline, firms, other_buyers, monkeypatch):
    monkeypatch.setattr(redflags, "MIN_PEER_BUYERS", 2)
    for other_officer, other_evaluator in other_buyers:
        awarded(other_officer, other_evaluator, deadline, firms[:2], ["900.00", "1000.00"])
    tender, _bids = awarded(officer, evaluator, deadline, firms[:2], ["900.00", "1000.00"])
    assert flag(tender, "R038").status == "clear"


def test_r038_needs_five_other_buyers(officer, evaluator, deadline, firms):
    tender, _bids = awarded(officer, evaluator, deadline, firms, ["900.00", "1000.00", "1100.00"], disqualify=[1, 2])
    row = flag(tender, "R038")
    assert row.status == "not_enough_data" and "5 are needed" in row.reason


# prozorro-risks: the winner's price and the estimate -----------------------------------------


def test_near_estimate_fires_within_one_percent(officer, evaluator, deadline, firms):
    tender, _bids = awarded(officer, evaluator, deadline, firms[:2], ["248000.00", "260000.00"], abnormally_low_percent=50)
    row = flag(tender, "PR-NEAR-ESTIMATE")
    assert row.status == "raised" and "(0.80 % apart)" in row.reason


def test_near_estimate_is_clear_far_from_the_estimate(officer, evaluator, deadline, firms):
    tender, _bids = awarded(officer, evaluator, deadline, firms[:2], ["200000.00", "260000.00"])
    assert flag(tender, "PR-NEAR-ESTIMATE").status == "clear"


def test_near_estimate_has_not_enough_data_without_an_estimate(officer, evaluator, deadline, firms):
    """Publication requires an estimate; a tender recorded without one (imported) cannot be judged."""
    tender, _bids = awarded(officer, evaluator, deadline, firms[:1], ["900.00"])
    tender.lots.update(estimated_value=None)
    type(tender).objects.filter(pk=tender.pk).update(estimated_value=None)
    result = redflags.price_near_estimate(h.refresh(tender))
    assert result.status == "not_enough_data" and "no estimated value" in result.reason


# prozorro-risks: contract amendments ---------------------------------------------------------


@pytest.fixture
def signed(officer, evaluator, deadline, firms):
    from tests.contracts.helpers import confirm_award

    tender, award, travel, _clock = confirm_award(officer, evaluator, deadline, firms[:2])
    try:
        signed_by_both(Contract.objects.get(award=award), officer, firms[0][0])
    finally:
        travel.stop()
    return tender


def test_amendment_flags_wait_for_a_signed_contract(officer, evaluator, deadline, firms):
    tender, _bids = awarded(officer, evaluator, deadline, firms[:2], ["900.00", "1000.00"])
    assert not RedFlag.objects.filter(tender=tender, code__in=["PR-AMENDMENTS", "PR-VALUE-RAISED"]).exists()


def amend(tender, officer, supplier_admin, **changes) -> None:
    """An amendment of the tender's contract proposed by the officer and signed by the firm."""
    from contracts import amendments
    from contracts.models import Amendment
    from tests.factories import PASSWORD

    contract = Contract.objects.get(tender=tender)
    proposed = amendments.propose_amendment(
        officer, contract, rationale=Amendment.Rationale.DURATION_EXTENSION, password=PASSWORD, **changes
    )
    amendments.sign_amendment(supplier_admin, proposed, password=PASSWORD)


def test_amendment_flags_are_clear_without_amendments(signed):
    assert (flag(signed, "PR-AMENDMENTS").status, flag(signed, "PR-VALUE-RAISED").status) == ("clear", "clear")


def test_a_value_raised_by_amendment_is_flagged_when_both_have_signed(signed, officer, firms):
    amend(signed, officer, firms[0][0], new_value=Decimal("950.00"))
    assert flag(signed, "PR-VALUE-RAISED").status == "raised" and "900.00" in flag(signed, "PR-VALUE-RAISED").reason
    assert flag(signed, "PR-AMENDMENTS").status == "clear"


def test_three_amendments_are_flagged_and_a_reduction_raises_no_value_flag(signed, officer, firms):
    for end in (date(2027, 7, 31), date(2027, 8, 31)):
        amend(signed, officer, firms[0][0], new_period_end=end)
    assert flag(signed, "PR-AMENDMENTS").status == "clear"
    amend(signed, officer, firms[0][0], new_value=Decimal("890.00"))
    assert flag(signed, "PR-AMENDMENTS").status == "raised" and flag(signed, "PR-VALUE-RAISED").status == "clear"


# The registry ------------------------------------------------------------------------------


def test_every_flag_has_a_definition_a_source_and_a_threshold():
    assert len(redflags.FLAGS) >= 10 and len(redflags.BY_CODE) == len(redflags.FLAGS)
    for each in redflags.FLAGS:
        assert each.title and each.definition and each.threshold and each.computed and each.rule
        assert each.source in {"Cardinal", "prozorro-risks"}


def test_an_upheld_challenge_withdraws_the_award_flags_until_the_next_notice(officer, evaluator, deadline, firms):
    from evaluation.models import Challenge

    tender, (first, _second) = awarded(officer, evaluator, deadline, firms[:2], ["900.00", "1000.00"])
    assert flag(tender, "R036").status == "clear"
    with h.past(deadline):
        challenge = evaluation.lodge_challenge(*firms[1], tender, grounds="The winner's licence had expired at the deadline.")
        evaluation.answer_challenge(officer, challenge, answer="It had.", decision=Challenge.Decision.UPHOLD)
        evaluation.accept_answer(firms[1][0], challenge)
        assert set(RedFlag.objects.filter(tender=tender).values_list("code", flat=True)) == {"R003", "R018"}
        evaluation.qualify_bid(officer, tender, first, h.fail_documents(tender, "Licence expired."), reconsider=True)
        evaluation.approve_report(officer, tender)
        evaluation.award_tender(officer, tender)
    assert flag(tender, "R035").status == "raised" and flag(tender, "R036").status == "raised"


# The pages and the API: public --------------------------------------------------------------


def test_the_tender_page_shows_a_raised_flag_with_its_reason(officer, deadline, client):
    tender = h.published(officer, deadline)
    page = client.get(f"/tenders/{tender.pk}/").content.decode()
    assert "Red flags" in page and "Short submission period" in page and "under 15 days" in page
    assert "/integrity/#flag-R003" in page


def test_the_tender_page_says_when_no_flag_is_raised(officer, client):
    tender = h.published(officer, timezone.now() + timedelta(days=20))
    page = client.get(f"/tenders/{tender.pk}/").content.decode()
    assert "No red flag is raised for this tender." in page


def test_the_integrity_page_lists_raised_flags_and_the_definitions(officer, deadline, client):
    tender = h.published(officer, deadline)
    h.published(officer, timezone.now() + timedelta(days=20), title="Bridge repair")
    response = client.get("/integrity/")
    page = response.content.decode()
    assert response.status_code == 200 and tender.reference in page and "Bridge repair" not in page
    for each in redflags.FLAGS:
        assert f'id="flag-{each.code}"' in page
    assert "Cardinal (R038)" in page and "prozorro-risks" in page


def test_the_integrity_page_filters_by_code_buyer_and_status(officer, other_officer, deadline, client):
    mine = h.published(officer, deadline)
    theirs = h.published(other_officer, deadline, title="Bridge repair")
    page = client.get(f"/integrity/?buyer={theirs.buyer_id}").content.decode()
    assert theirs.reference in page and mine.reference not in page
    assert mine.reference not in client.get("/integrity/?code=R018").content.decode()
    assert mine.reference in client.get("/integrity/?status=raised&code=R003").content.decode()
    assert client.get("/integrity/?status=nonsense").status_code == 400


def test_the_integrity_page_is_paginated(officer, deadline, client, monkeypatch):
    from opendata import views

    monkeypatch.setattr(views, "PAGE_SIZE", 1)
    for title in ("Road", "Bridge"):
        h.published(officer, deadline, title=title)
    page = client.get("/integrity/").content.decode()
    assert "Page 1 of 2" in page and "status=raised" in page and 'rel="next"' in page


def test_the_api_lists_flags_with_filters(officer, evaluator, deadline, firms, api_client):
    tender, _bids = awarded(officer, evaluator, deadline, firms[:1], ["900.00"])
    body = api_client.get(f"/api/v1/red-flags/?tender={tender.pk}&status=raised").json()
    assert body["count"] == 2 and {row["code"] for row in body["results"]} == {"R003", "R018"}
    row = next(r for r in body["results"] if r["code"] == "R018")
    assert row["title"] == "Single bidder" and row["reference"] == tender.reference and row["buyer"] == tender.buyer_id
    assert api_client.get("/api/v1/red-flags/?code=R028").json()["results"][0]["status"] == "not_enough_data"
    assert api_client.get(f"/api/v1/red-flags/?buyer={tender.buyer_id}&page_size=1").json()["next"]


def test_the_api_gives_the_definitions(api_client):
    body = api_client.get("/api/v1/red-flags/definitions/").json()
    assert [d["code"] for d in body] == [f.code for f in redflags.FLAGS]
    r030 = next(d for d in body if d["code"] == "R030")
    assert r030["source"] == "Cardinal" and r030["rule"] == "R030" and "deadline" in r030["threshold"]


@pytest.mark.parametrize("who", [None, "outsider", "supplier_a", "officer"])
@pytest.mark.parametrize("path", ["/integrity/", "/api/v1/red-flags/", "/api/v1/red-flags/definitions/"])
def test_the_flags_are_public(request, client, who, path):
    if who:
        client.force_login(request.getfixturevalue(who))
    assert client.get(path).status_code == 200
