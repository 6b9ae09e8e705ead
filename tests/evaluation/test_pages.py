"""The evaluation through its pages: forms in, actions called, results shown."""

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from bidding.models import Bid
from evaluation import actions
from evaluation.models import Challenge, Score
from tests.evaluation import helpers as h

pytestmark = pytest.mark.django_db


@pytest.fixture
def weighted(officer, evaluator, deadline, firms):
    tender = h.published(officer, deadline, criteria=[("Quality", 40, 10)], **h.weighted_fields(60))
    bids = [h.bid(tender, *firms[0], {1: "900.00"}), h.bid(tender, *firms[1], {1: "1000.00"})]
    with h.past(deadline) as clock:
        h.open_at_deadline(tender)
        yield h.refresh(tender), bids, clock


def test_officer_and_evaluator_work_through_the_workspace(client, officer, evaluator, weighted):
    tender, bids, _clock = weighted
    client.force_login(officer)
    assert "Start the evaluation" in client.get(reverse("tenders:evaluation", args=[tender.pk])).content.decode()
    response = client.post(reverse("tenders:evaluation-start", args=[tender.pk]), {"evaluators": [evaluator.pk]})
    assert response.status_code == 302
    client.force_login(evaluator)
    client.post(reverse("tenders:evaluation-declare", args=[tender.pk]))
    for bid in bids:
        response = client.post(
            reverse("tenders:evaluation-qualify", args=[tender.pk, bid.pk]), {"pass_documents": "yes", "reason_documents": "Complete."}
        )
        assert response.status_code == 302 and h.refresh(bid).status == Bid.Status.QUALIFIED
    quality = tender.criteria.get()
    too_high = {f"score_{bids[0].pk}_{quality.pk}": "12", f"score_{bids[1].pk}_{quality.pk}": "6"}
    response = client.post(reverse("tenders:evaluation-score", args=[tender.pk]), too_high)
    assert response.status_code == 422 and "from 0 to 10" in response.content.decode() and not Score.objects.exists()
    scores = {f"score_{bids[0].pk}_{quality.pk}": "8", f"score_{bids[1].pk}_{quality.pk}": "6", "submit": ""}
    asked = client.post(reverse("tenders:evaluation-score", args=[tender.pk]), scores)
    assert asked.status_code == 200 and "Your scores are final once submitted" in asked.text and not Score.objects.exists()
    assert client.post(reverse("tenders:evaluation-score", args=[tender.pk]), scores | {"confirmed": "yes"}).status_code == 302
    client.force_login(officer)
    client.post(reverse("tenders:evaluation-approve", args=[tender.pk]))
    asked = client.post(reverse("tenders:evaluation-award", args=[tender.pk]))
    assert asked.status_code == 200 and "The standstill starts" in asked.text and h.refresh(tender).status == "evaluating"
    client.post(reverse("tenders:evaluation-award", args=[tender.pk]), {"confirmed": "yes"})
    assert h.refresh(tender).status == "awarded"
    report = client.get(reverse("tenders:evaluation-report", args=[tender.pk, 1])).content.decode()
    assert "technical = Σ" in report and "Alpha Works Ltd" in report and "Quality 8.0000" in report


def test_a_bidder_lodges_a_challenge_with_a_document_and_the_review_officer_decides(
    client, officer, evaluator, review_officer, supplier_b, weighted
):
    tender, bids, clock = weighted
    actions.start_evaluation(officer, tender, [evaluator])
    h.declare_clear(evaluator, tender=tender)
    for bid in bids:
        actions.qualify_bid(officer, tender, bid, h.pass_all(tender))
    quality = tender.criteria.get()
    actions.record_scores(evaluator, tender, [actions.ScoreSpec(str(b.pk), quality.pk, 7) for b in bids])
    actions.submit_scores(evaluator, tender)
    actions.approve_report(officer, tender)
    actions.award_tender(officer, tender)
    client.force_login(supplier_b)
    evidence = SimpleUploadedFile("registry-extract.txt", b"Licence expired on 1 March.", content_type="text/plain")
    response = client.post(
        reverse("tenders:challenge-lodge", args=[tender.pk]), {"grounds": "The winner's licence had expired.", "documents": [evidence]}
    )
    assert response.status_code == 302
    challenge = Challenge.objects.get()
    assert challenge.documents.get().sha256 == hashlib.sha256(b"Licence expired on 1 March.").hexdigest()
    clock.move_to(challenge.answer_due_at + h.helpers.timedelta(seconds=1))
    actions.escalate_overdue(h.now())
    client.force_login(review_officer)
    queue = client.get(reverse("tenders:reviews")).content.decode()
    assert "The winner&#x27;s licence had expired." in queue and "registry-extract.txt" in queue
    document = client.get(reverse("tenders:challenge-document", args=[challenge.pk, challenge.documents.get().pk]))
    assert b"".join(document.streaming_content) == b"Licence expired on 1 March."
    client.post(reverse("tenders:review-decide", args=[challenge.pk]), {"decision": "uphold", "reason": "The licence had expired."})
    assert h.refresh(challenge).status == Challenge.Status.UPHELD and h.refresh(tender).status == "evaluating"
