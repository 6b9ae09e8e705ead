"""The evaluation API: public award notices, actions, and the error shape."""

import pytest
from django.urls import reverse
from django.utils import translation

from evaluation import actions
from evaluation.models import Score
from tests.evaluation import helpers as h

pytestmark = pytest.mark.django_db


@pytest.fixture
def weighted_in_evaluation(officer, evaluators, deadline, firms):
    tender = h.published(officer, deadline, criteria=[("Quality", 40, 10)], **h.weighted_fields(60))
    bids = [h.bid(tender, *firms[0], {1: "900.00"}), h.bid(tender, *firms[1], {1: "1000.00"})]
    with h.past(deadline) as clock:
        h.open_at_deadline(tender)
        yield h.refresh(tender), bids, clock


def test_the_whole_evaluation_through_the_api(api_as, api_client, officer, evaluators, weighted_in_evaluation):
    tender, bids, _clock = weighted_in_evaluation
    base = f"/api/v1/tenders/{tender.pk}/evaluation"
    assert api_as(officer).post(f"{base}/start/", {"evaluators": [e.pk for e in evaluators]}, format="json").status_code == 200
    quality = tender.criteria.get()
    for evaluator in evaluators:
        assert api_as(evaluator).post(f"{base}/declaration/", {}, format="json").json()["status"] == "cleared"
    for bid in bids:
        checks = {"documents": {"passed": True, "reason": "Complete."}}
        assert (
            api_as(officer).post(f"{base}/bids/{bid.pk}/qualification/", {"checks": checks}, format="json").json()["status"] == "qualified"
        )
    for index, evaluator in enumerate(evaluators):
        scores = [{"bid": str(bid.pk), "criterion": quality.pk, "value": str(5 + index)} for bid in bids]
        response = api_as(evaluator).post(f"{base}/scores/", {"scores": scores, "submit": True}, format="json")
        assert response.status_code == 200 and response.json()["submitted_at"]
    assert api_as(officer).post(f"{base}/report/", format="json").status_code == 201
    response = api_as(officer).post(f"{base}/award/", {"lots": {"1": str(bids[0].pk)}}, format="json")
    assert response.status_code == 201
    notice = response.json()
    assert notice["winners"] == [
        {
            "lot": 1,
            "supplier": {"id": bids[0].organisation_id, "name": "Alpha Works Ltd"},
            "price": {"amount": "900.00", "currency": "EUR"},
            "bid": str(bids[0].pk),
        }
    ]
    api_client.credentials()
    listed = api_client.get("/api/v1/awards/", {"buyer": tender.buyer_id, "in_standstill": "true"}).json()
    assert [n["id"] for n in listed["results"]] == [notice["id"]]
    over = api_client.get("/api/v1/awards/", {"buyer": tender.buyer_id, "in_standstill": "false"}).json()
    assert over["results"] == []
    page = api_client.get("/awards/", {"in_standstill": "true"}).content.decode()
    assert tender.title in page and '<option value="true" selected>' in page
    assert tender.title not in api_client.get("/awards/", {"in_standstill": "false"}).content.decode()
    detail = api_client.get(f"/api/v1/awards/{notice['id']}/").json()
    assert detail["content"]["bids_received"] == 2 and detail["signature"].count(".") == 2


def test_a_score_out_of_range_gets_the_error_shape_and_stores_nothing(api_as, officer, evaluators, weighted_in_evaluation):
    tender, bids, _clock = weighted_in_evaluation
    actions.start_evaluation(officer, tender, evaluators)
    h.declare_clear(*evaluators, tender=tender)
    actions.qualify_bid(officer, tender, bids[0], h.pass_all(tender))
    scores = [{"bid": str(bids[0].pk), "criterion": tender.criteria.get().pk, "value": "11"}]
    response = api_as(evaluators[0]).post(f"/api/v1/tenders/{tender.pk}/evaluation/scores/", {"scores": scores}, format="json")
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "scores.0.value", "code": "out_of_range", "message": "Score “Quality” from 0 to 10 (at most two decimals)."}
    ]
    assert not Score.objects.exists()


def test_reading_another_evaluators_scores_before_submitting_is_refused(api_as, officer, evaluators, weighted_in_evaluation):
    tender, _bids, _clock = weighted_in_evaluation
    actions.start_evaluation(officer, tender, evaluators)
    h.declare_clear(*evaluators, tender=tender)
    other = tender.evaluators.get(user=evaluators[1])
    response = api_as(evaluators[0]).get(f"/api/v1/tenders/{tender.pk}/evaluation/scores/", {"evaluator": other.pk})
    assert response.status_code == 403 and response.json()["errors"][0]["code"] == "scores_hidden"


def test_a_bidder_cannot_award(api_as, supplier_a, weighted_in_evaluation):
    tender, _bids, _clock = weighted_in_evaluation
    response = api_as(supplier_a).post(f"/api/v1/tenders/{tender.pk}/evaluation/award/", {}, format="json")
    assert response.status_code == 403 and set(response.json()["errors"][0]) == {"field", "code", "message"}


def test_an_unknown_notice_is_404_with_the_error_shape(api_client, db):
    response = api_client.get("/api/v1/awards/999999/")
    assert response.status_code == 404 and response.json()["errors"][0]["code"] == "not_found"


def test_the_awards_page_filters_by_supplier(client, officer, evaluator, deadline, firms):
    tender = h.published(officer, deadline)
    bid = h.bid(tender, *firms[0], {1: "900.00"})
    with h.past(deadline):
        h.open_at_deadline(tender)
        actions.start_evaluation(officer, tender, [evaluator])
        h.declare_clear(evaluator, tender=tender)
        actions.qualify_bid(officer, tender, bid, h.pass_all(tender))
        actions.approve_report(officer, tender)
        actions.award_tender(officer, tender)
    winner, other = firms[0][1], firms[1][1]
    assert tender.reference in client.get(reverse("awards:list"), {"supplier": winner.pk}).content.decode()
    assert tender.reference not in client.get(reverse("awards:list"), {"supplier": other.pk}).content.decode()


def test_a_challenge_through_the_api_and_its_refusals(api_as, officer, evaluator, supplier_b, supplier_c, deadline, firms):
    tender = h.published(officer, deadline)
    bids = [h.bid(tender, *firms[0], {1: "900.00"}), h.bid(tender, *firms[1], {1: "1000.00"})]
    with h.past(deadline) as clock:
        h.open_at_deadline(tender)
        actions.start_evaluation(officer, tender, [evaluator])
        h.declare_clear(evaluator, tender=tender)
        for bid in bids:
            actions.qualify_bid(officer, tender, bid, h.pass_all(tender))
        actions.approve_report(officer, tender)
        notice = actions.award_tender(officer, tender)
        url = f"/api/v1/tenders/{tender.pk}/challenges/"
        refused = api_as(supplier_c).post(url, {"grounds": "I did not bid but object."}, format="json")
        assert refused.status_code == 403 and refused.json()["errors"][0]["code"] == "not_a_bidder"
        lodged = api_as(supplier_b).post(url, {"grounds": "Wrong ranking."}, format="json")
        assert lodged.status_code == 201 and lodged.json()["status"] == "lodged"
        clock.move_to(notice.standstill_ends_at + h.helpers.timedelta(seconds=1))
        blocked = api_as(officer).post(f"/api/v1/tenders/{tender.pk}/evaluation/confirm/")
        assert blocked.status_code == 409 and blocked.json()["errors"][0]["code"] == "challenge_open"
        late = api_as(supplier_b).post(url, {"grounds": "Another one."}, format="json")
        assert late.status_code == 409 and late.json()["errors"][0]["code"] == "standstill_over"


def test_an_open_challenge_is_named_by_its_code_in_chinese_too(api_as, officer, evaluator, supplier_b, supplier_org_b, deadline, firms):
    """The error code comes from the cause, never from the words of the (translated) message."""
    tender = h.published(officer, deadline)
    bids = [h.bid(tender, *firms[0], {1: "900.00"}), h.bid(tender, *firms[1], {1: "1000.00"})]
    with h.past(deadline) as clock:
        h.open_at_deadline(tender)
        actions.start_evaluation(officer, tender, [evaluator])
        h.declare_clear(evaluator, tender=tender)
        for bid in bids:
            actions.qualify_bid(officer, tender, bid, h.pass_all(tender))
        actions.approve_report(officer, tender)
        notice = actions.award_tender(officer, tender)
        actions.lodge_challenge(supplier_b, supplier_org_b, tender, grounds="Wrong ranking.")
        clock.move_to(notice.standstill_ends_at + h.helpers.timedelta(seconds=1))
        with translation.override(translation.get_language()):  # the request switches this thread's language: not for later tests
            blocked = api_as(officer).post(f"/api/v1/tenders/{tender.pk}/evaluation/confirm/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    error = blocked.json()["errors"][0]
    assert blocked.status_code == 409 and error["code"] == "challenge_open"
    assert "challenge" not in error["message"] and not error["message"].isascii()  # the message is the Chinese one
    assert h.refresh(tender).status == "awarded"
