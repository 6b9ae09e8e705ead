"""`make run` shows one tender awarded (standstill running) and one in evaluation."""

import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from bidding.models import Opening
from evaluation import demo as evaluation_demo
from evaluation.models import AwardNotice
from marketplace.models import User
from tenders.models import Tender

pytestmark = pytest.mark.django_db


def test_the_demo_has_an_awarded_tender_and_one_in_evaluation(client):
    call_command("seed_demo")
    awarded = Tender.objects.get(title=evaluation_demo.AWARDED)
    assert awarded.status == Tender.Status.AWARDED
    evaluating = Tender.objects.get(status=Tender.Status.EVALUATING)
    assert Opening.objects.filter(tender=awarded, round="bid", status="complete").exists()
    assert Opening.objects.filter(tender=evaluating, round="technical", status="complete").exists()
    notice = AwardNotice.objects.get(tender=awarded)
    assert notice.in_standstill_at(timezone.now())
    page = client.get(reverse("awards:detail", args=[notice.pk])).content.decode()
    assert "Continental Build Group" in page and "176900.00" in page
    client.force_login(User.objects.get(email="evaluator@mpw.example"))
    workspace = client.get(reverse("tenders:evaluation", args=[evaluating.pk]))
    assert workspace.status_code == 200 and "Submit my scores" in workspace.content.decode()


def test_a_machine_too_busy_for_the_first_window_gets_the_demo_from_the_next(monkeypatch):
    # A first window of one second: its clarification deadline has passed before the first
    # tender is published, as on a machine that took that long to get there.
    monkeypatch.setattr(evaluation_demo, "WINDOWS", (1, 5))
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert "published again, with a later deadline" in out.getvalue()
    for title in (evaluation_demo.AWARDED, evaluation_demo.EVALUATING):
        assert Tender.objects.filter(title=title).count() == 1
    assert Tender.objects.get(title=evaluation_demo.AWARDED).status == Tender.Status.AWARDED
    assert Tender.objects.filter(title=evaluation_demo.EVALUATING, status=Tender.Status.EVALUATING).exists()
