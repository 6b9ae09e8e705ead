from datetime import datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from marketplace.actions import grant_role
from marketplace.models import Role
from tenders import actions
from tenders.models import Clarification, Tender
from tests.tenders import factories

pytestmark = pytest.mark.django_db


def test_search_page_lists_published_tenders_and_hides_drafts(public, tender, draft):
    response = public.get("/tenders/")
    assert response.status_code == 200
    assert tender.reference in response.text and "1 tender found" in response.text
    assert f"/tenders/{draft.pk}/" not in response.text


def test_search_page_filters_by_words(public, tender, officer, agency):
    factories.make_published(officer, agency, factories.complete_spec(title="Laptops for schools", main_category=factories.LAPTOPS))
    response = public.get("/tenders/", {"q": "laptops"})
    assert "Laptops for schools" in response.text and tender.title not in response.text


def test_search_page_shows_a_bad_filter_beside_its_field(public, db):
    response = public.get("/tenders/", {"category": "12345678"})
    assert response.status_code == 400 and "12345678 is not a CPV 2008 code." in response.text


def test_tender_page_shows_what_a_supplier_needs(public, officer, agency):
    spec = factories.lots_spec(deposit_amount=5000, deposit_waived_for_sme=True)
    tender = factories.make_published(officer, agency, spec)
    text = public.get(f"/tenders/{tender.pk}/").text
    for expected in [
        tender.reference,
        "Northern section",
        "Bridge repairs",
        "Reserved for SMEs",
        "45233140 Roadworks",
        "5,000.00 EUR",
        "waived for SMEs",
        'data-countdown data-deadline="',
        f'data-live-subject="tender.{tender.pk}"',
    ]:
        assert expected in text, expected


def test_countdown_is_rendered_by_the_server_clock(public, tender):
    with time_machine.travel(tender.submission_deadline - timedelta(days=2, hours=3, seconds=5), tick=False):
        text = public.get(f"/tenders/{tender.pk}/").text
    assert "2 days 03:00:05" in text


def test_tender_page_says_closed_once_the_deadline_passed_even_before_the_closing_task(public, tender):
    with time_machine.travel(tender.submission_deadline + timedelta(seconds=1)):
        text = public.get(f"/tenders/{tender.pk}/").text
    assert "The deadline has passed." in text and 'class="status status-closed"' in text


def test_draft_preview_is_the_public_page_for_the_officers_only(as_user, officer, draft, public):
    text = as_user(officer).get(f"/tenders/{draft.pk}/").text
    assert "Preview: this draft is not public." in text and draft.title in text


def test_cancelled_tender_shows_the_notice(public, tender, officer):
    actions.cancel_tender(officer, tender, reason="The budget was withdrawn.")
    text = public.get(f"/tenders/{tender.pk}/").text
    assert "Cancellation notice" in text and "The budget was withdrawn." in text


def test_answered_clarification_is_public_without_the_askers_name(public, tender, supplier_a, verified_a, officer):
    question = actions.ask_question(supplier_a, tender, question="Is night work allowed?")
    actions.answer_question(officer, question, answer="Yes, between 22:00 and 06:00.")
    text = public.get(f"/tenders/{tender.pk}/").text
    assert "Is night work allowed?" in text and "Yes, between 22:00 and 06:00." in text
    assert "Alpha Works" not in text and "admin@alpha.test" not in text


def test_unanswered_question_shows_only_to_its_firm(as_user, tender, supplier_a, bidder_a, supplier_b, verified_a):
    actions.ask_question(supplier_a, tender, question="May we visit the site?")
    assert "May we visit the site?" in as_user(bidder_a).get(f"/tenders/{tender.pk}/").text
    assert "May we visit the site?" not in as_user(supplier_b).get(f"/tenders/{tender.pk}/").text


def test_supplier_asks_from_the_tender_page(as_user, tender, supplier_a, verified_a):
    response = as_user(supplier_a).post(f"/tenders/{tender.pk}/questions/", {"question": "Which asphalt grade?"})
    assert response.status_code == 302
    assert Clarification.objects.get(tender=tender).question == "Which asphalt grade?"


def test_unverified_supplier_is_told_why_it_cannot_ask(as_user, tender, supplier_a, supplier_org_a):
    factories.make_supplier(supplier_org_a, status="applied")
    response = as_user(supplier_a).post(f"/tenders/{tender.pk}/questions/", {"question": "Which asphalt grade?"})
    assert response.status_code == 403 and "registration has not been verified yet" in response.text
    assert not Clarification.objects.exists()


def test_following_from_the_tender_page(as_user, tender, supplier_a, verified_a):
    client = as_user(supplier_a)
    client.post(f"/tenders/{tender.pk}/follow/")
    assert "Stop following" in client.get(f"/tenders/{tender.pk}/").text
    client.post(f"/tenders/{tender.pk}/follow/", {"follow": "0"})
    assert "Follow this tender" in client.get(f"/tenders/{tender.pk}/").text


def test_workspace_shows_what_needs_action(as_user, officer, agency, draft, supplier_a, verified_a):
    with time_machine.travel("2031-05-01 08:00Z"):
        spec = factories.complete_spec(submission_deadline=aware("2031-05-21 15:00"), clarification_deadline=aware("2031-05-11 15:00"))
        tender = factories.make_published(officer, agency, spec)
        actions.ask_question(supplier_a, tender, question="Is night work allowed?")
    with time_machine.travel("2031-05-21 09:00Z"):
        text = as_user(officer).get("/tenders/agency/").text
    today = text[text.index("Deadlines today") : text.index("Drafts to finish")]
    assert "1 question" in text and draft.title in text and tender.reference in today


def test_workspace_does_not_list_tomorrows_deadline_as_today(as_user, officer, agency):
    with time_machine.travel("2031-05-01 08:00Z"):
        spec = factories.complete_spec(submission_deadline=aware("2031-05-21 15:00"), clarification_deadline=aware("2031-05-11 15:00"))
        tender = factories.make_published(officer, agency, spec)
    with time_machine.travel("2031-05-20 16:00Z"):
        text = as_user(officer).get("/tenders/agency/").text
    assert tender.reference not in text[text.index("Deadlines today") : text.index("Drafts to finish")]


def aware(moment: str):
    return timezone.make_aware(datetime.fromisoformat(moment))


def test_workspace_lists_only_the_officers_agencies(as_user, officer, tender, other_officer):
    assert tender.title not in as_user(other_officer).get("/tenders/agency/").text


def test_officer_writes_a_draft_on_the_authoring_page(as_user, officer, agency):
    client = as_user(officer)
    form = authoring_post(title="Laptops for schools", main_category=factories.LAPTOPS)
    response = client.post("/tenders/agency/new/", form)
    tender = Tender.objects.get()
    assert response.status_code == 302 and response.url == f"/tenders/agency/{tender.pk}/"
    assert (tender.title, tender.status, tender.buyer) == ("Laptops for schools", Tender.Status.DRAFT, agency)
    [item] = tender.items.all()
    assert (item.description, item.cpv, item.lot.number) == ("Laptop, 14 inch", "30213100", 1)


def test_authoring_page_puts_an_unknown_cpv_beside_the_item(as_user, officer, agency):
    response = as_user(officer).post("/tenders/agency/new/", authoring_post(**{"items-0-cpv": "99999999"}))
    assert response.status_code == 422 and "99999999 is not a CPV 2008 code." in response.text
    assert not Tender.objects.exists()


def test_authoring_page_writes_lots(as_user, officer, agency):
    form = authoring_post(divided_into_lots="on", **{"lots-TOTAL_FORMS": "2", "lots-0-title": "North", "lots-0-estimated_value": "10"})
    form |= {"lots-1-title": "South", "lots-1-estimated_value": "20", "lots-1-sme_reserved": "on", "items-0-lot": "2"}
    as_user(officer).post("/tenders/agency/new/", form)
    tender = Tender.objects.get()
    assert [(lot.number, lot.title, lot.sme_reserved, lot.items.count()) for lot in tender.lots.all()] == [
        (1, "North", False, 0),
        (2, "South", True, 1),
    ]
    assert tender.estimated_value == 30


def test_manage_page_lists_the_problems_before_publication(as_user, officer, agency):
    draft = actions.create_draft(officer, agency, actions.DraftSpec(fields={"title": "Office chairs"}))
    text = as_user(officer).get(f"/tenders/agency/{draft.pk}/").text
    assert "Set the submission deadline." in text and "Add at least one item." in text


def test_publishing_from_the_manage_page_asks_first_what_cannot_be_undone(as_user, officer, draft):
    asked = as_user(officer).post(f"/tenders/agency/{draft.pk}/publish/")
    draft.refresh_from_db()
    assert asked.status_code == 200 and "This cannot be undone." in asked.text and draft.status == Tender.Status.DRAFT
    assert 'name="confirmed" value="yes"' in asked.text
    response = as_user(officer).post(f"/tenders/agency/{draft.pk}/publish/", {"confirmed": "yes"})
    draft.refresh_from_db()
    assert response.status_code == 302 and draft.status == Tender.Status.PUBLISHED


def test_failed_publication_shows_every_problem(as_user, officer, agency):
    draft = actions.create_draft(officer, agency, actions.DraftSpec(fields={"title": "Office chairs"}))
    response = as_user(officer).post(f"/tenders/agency/{draft.pk}/publish/", {"confirmed": "yes"})
    assert (
        response.status_code == 422 and "Set the clarification deadline." in response.text and "Give the estimated value." in response.text
    )


def test_officer_answers_on_the_manage_page(as_user, officer, tender, supplier_a, verified_a):
    question = actions.ask_question(supplier_a, tender, question="Alpha asks: is night work allowed?")
    response = as_user(officer).post(
        f"/tenders/agency/clarifications/{question.pk}/answer/",
        {f"q{question.pk}-question": "Is night work allowed?", f"q{question.pk}-answer": "Yes."},
    )
    question.refresh_from_db()
    assert response.status_code == 302 and (question.status, question.question, question.number) == (
        "answered",
        "Is night work allowed?",
        1,
    )


def test_amending_from_the_amend_page(as_user, officer, tender):
    new_deadline = timezone.localtime(tender.submission_deadline + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M")
    client = as_user(officer)
    form = client.get(f"/tenders/agency/{tender.pk}/amend/").context["form"]
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data = {k: (v.strftime("%Y-%m-%dT%H:%M") if isinstance(v, datetime) else v) for k, v in data.items()}
    data |= {"submission_deadline": new_deadline, "reason": "More time for site visits."}
    response = client.post(f"/tenders/agency/{tender.pk}/amend/", data)
    assert response.status_code == 302, response.content
    [amendment] = tender.amendments.all()
    assert [c["field"] for c in amendment.changes] == ["submission_deadline"]


def test_cancelling_from_the_manage_page_needs_a_reason(as_user, officer, tender):
    response = as_user(officer).post(f"/tenders/agency/{tender.pk}/cancel/", {"reason": ""})
    assert response.status_code == 400 and "This field is required." in response.text
    as_user(officer).post(f"/tenders/agency/{tender.pk}/cancel/", {"reason": "Budget withdrawn."})
    tender.refresh_from_db()
    assert tender.status == Tender.Status.CANCELLED


def test_navigation_shows_the_workspace_to_officers_only(as_user, officer, supplier_a):
    assert "Agency workspace" in as_user(officer).get("/").text
    assert "Agency workspace" not in as_user(supplier_a).get("/").text


def test_officer_of_two_agencies_chooses_the_buyer(as_user, officer, other_agency):
    grant_role(None, officer, other_agency, Role.PROCUREMENT_OFFICER)
    response = as_user(officer).post("/tenders/agency/new/", authoring_post(buyer=str(other_agency.pk)))
    assert response.status_code == 302 and Tender.objects.get().buyer == other_agency


def authoring_post(**overrides) -> dict:
    data = {
        "title": "Laptops for schools",
        "description": "",
        "method": "open",
        "currency": "EUR",
        "envelope_mode": "single",
        "award_method": "lowest_price",
        "custody": "platform",
        "abnormally_low_percent": "80",
        "min_bids": "1",
        "max_envelope_bytes": str(25 * 1024 * 1024),
        "min_response_days": "0",
        "standstill_days": "10",
        "bid_validity_days": "90",
        "deposit_guarantee_accepted": "on",
        "challenge_answer_days": "5",
        "opening_quorum_hours": "2",
        "lots-TOTAL_FORMS": "0",
        "lots-INITIAL_FORMS": "0",
        "items-TOTAL_FORMS": "1",
        "items-INITIAL_FORMS": "0",
        "items-0-lot": "1",
        "items-0-description": "Laptop, 14 inch",
        "items-0-quantity": "30",
        "items-0-unit": "piece",
        "items-0-cpv": "30213100",
        "criteria-TOTAL_FORMS": "0",
        "criteria-INITIAL_FORMS": "0",
    }
    return data | overrides


def test_a_member_of_two_firms_chooses_which_one_asks(as_user, tender, supplier_a, verified_a, supplier_org_b, verified_b):
    grant_role(None, supplier_a, supplier_org_b, Role.BIDDER)
    client = as_user(supplier_a)
    assert "Asking for" in client.get(f"/tenders/{tender.pk}/").text
    client.post(f"/tenders/{tender.pk}/questions/", {"question": "Which grade?", "organisation": supplier_org_b.pk})
    assert Clarification.objects.get().asker_organisation == supplier_org_b


def test_deadlines_are_entered_in_the_platform_time_zone(as_user, officer, agency, settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    response = as_user(officer).post(
        "/tenders/agency/new/", authoring_post(submission_deadline="2031-05-20T18:00", clarification_deadline="2031-05-10T18:00")
    )
    assert response.status_code == 302
    assert Tender.objects.get().submission_deadline.isoformat() == "2031-05-20T10:00:00+00:00"
    assert "Asia/Shanghai" in as_user(officer).get("/tenders/agency/new/").text
