"""The contract page's milestones: who sees which form, and delivering, accepting, rejecting and
terminating through them."""

from datetime import UTC, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from contracts import deliveries
from contracts.models import Contract, Delivery, DeliveryDocument, Milestone
from tenders.demo import pdf
from tests.contracts.helpers import confirm_award, milestone_plans, signed_by_both
from tests.faults import fullfs

DELIVERY_NOTE = pdf(["Delivery note", "640 luminaires installed"])  # a real PDF

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("quick_documents")]

PERSONAS = ["public", "officer", "finance_officer", "supplier_a", "bidder_a", "supplier_b"]


@pytest.fixture
def confirmed(officer, evaluator, deadline, firms):
    _tender, award, travel, clock = confirm_award(officer, evaluator, deadline, firms)
    yield Contract.objects.get(award=award), clock
    travel.stop()


@pytest.fixture
def confirmed_clock(confirmed):
    return confirmed[1]


@pytest.fixture
def active(confirmed, officer, supplier_a):
    return signed_by_both(confirmed[0], officer, supplier_a, milestones=milestone_plans("600.00", "300.00"))


@pytest.fixture
def page_as(client, request):
    def page(persona: str, path: str, data=None):
        client.logout()
        if persona != "public":
            client.force_login(request.getfixturevalue(persona))
        return client.post(path, data) if data is not None else client.get(path)

    return page


def status_of(contract, number: int) -> str:
    return Milestone.objects.get(contract=contract, number=number).status


def test_each_persona_sees_the_milestones_and_only_its_own_forms(active, page_as, supplier_a):
    deliveries.report_delivery(supplier_a, active.milestones.get(number=1), note="Lamps on site.")
    for persona in PERSONAS:
        page = page_as(persona, f"/contracts/{active.pk}/").text
        assert "Stage 1" in page and "Delivered" in page and "Planned" in page, persona
        assert ("Report delivery of milestone 2" in page) == (persona in {"supplier_a", "bidder_a"}), persona
        assert ("Accept the delivery of milestone 1" in page) == (persona == "officer"), persona
        assert ("Terminate the contract" in page) == (persona == "officer"), persona
        assert "Report delivery of milestone 1" not in page, persona


def test_delivering_with_the_form_and_a_document(active, page_as):
    url = f"/contracts/{active.pk}/milestones/1/deliver/"
    document = SimpleUploadedFile("delivery-note.pdf", DELIVERY_NOTE)
    assert page_as("supplier_b", url, {"note": "Ours."}).status_code == 403
    assert page_as("supplier_a", url, {"note": ""}).status_code == 400
    assert status_of(active, 1) == Milestone.Status.PLANNED
    assert page_as("bidder_a", url, {"note": "Lamps on site.", "documents": [document]}).status_code == 302
    assert status_of(active, 1) == Milestone.Status.DELIVERED
    officers_page, public_page = (page_as(persona, f"/contracts/{active.pk}/").text for persona in ("officer", "public"))
    assert "delivery-note.pdf" in officers_page and "by Bidder:" in officers_page
    assert "delivery-note.pdf" not in public_page and "by Bidder" not in public_page and "by Alpha Works Ltd" in public_page


def test_a_wrong_file_is_shown_beside_the_form(active, page_as):
    fake = SimpleUploadedFile("delivery-note.pdf", b"MZ\x90\x00")
    refused = page_as("supplier_a", f"/contracts/{active.pk}/milestones/1/deliver/", {"note": "Lamps.", "documents": [fake]})
    assert refused.status_code == 422 and "its content does not match its name" in refused.text
    assert status_of(active, 1) == Milestone.Status.PLANNED


def test_rejecting_and_accepting_with_the_forms(active, page_as, supplier_a):
    deliveries.report_delivery(supplier_a, active.milestones.get(number=1), note="Lamps on site.")
    reject = f"/contracts/{active.pk}/milestones/1/reject/"
    assert page_as("supplier_a", reject, {"reason": "No."}).status_code == 403
    assert page_as("officer", reject, {"reason": ""}).status_code == 400
    assert page_as("officer", reject, {"reason": "Twelve lamps are broken."}).status_code == 302
    assert status_of(active, 1) == Milestone.Status.REJECTED
    assert "Twelve lamps are broken." in page_as("public", f"/contracts/{active.pk}/").text
    deliveries.report_delivery(supplier_a, active.milestones.get(number=1), note="Replaced.")
    accept = f"/contracts/{active.pk}/milestones/1/accept/"
    asked = page_as("officer", accept, {})
    assert asked.status_code == 200 and "This cannot be undone." in asked.text and "600.00 EUR become due" in asked.text
    assert status_of(active, 1) == Milestone.Status.DELIVERED
    assert page_as("finance_officer", accept, {}).status_code == 403
    assert page_as("officer", accept, {"confirmed": "yes"}).status_code == 302
    assert page_as("officer", accept, {"confirmed": "yes"}).status_code == 409
    assert status_of(active, 1) == Milestone.Status.ACCEPTED


def test_terminating_with_the_form(active, page_as):
    url = f"/contracts/{active.pk}/terminate/"
    termination = {"reason": "The supplier stopped work.", "amount_paid": "600.00"}
    assert page_as("supplier_a", url, termination).status_code == 403
    assert page_as("officer", url, {"reason": "Stopped.", "amount_paid": "-1"}).status_code == 400
    asked = page_as("officer", url, termination)
    assert asked.status_code == 200 and "This cannot be undone." in asked.text and 'value="600.00"' in asked.text
    assert Contract.objects.get(pk=active.pk).status == Contract.Status.ACTIVE
    assert page_as("officer", url, termination | {"confirmed": "yes"}).status_code == 302
    page = page_as("public", f"/contracts/{active.pk}/").text
    assert "Terminated" in page and "The supplier stopped work." in page and "600.00" in page


def test_the_lists_show_deliveries_to_accept_milestones_overdue_and_to_deliver(active, page_as, supplier_a, confirmed_clock):
    deliveries.report_delivery(supplier_a, active.milestones.get(number=1), note="Lamps on site.")
    confirmed_clock.move_to(datetime(2027, 7, 1, 0, 0, 1, tzinfo=UTC))  # milestone 2 was due on 30 June
    officers, firms, others = (page_as(persona, "/contracts/").text for persona in ("officer", "bidder_a", "supplier_b"))
    assert "Deliveries to accept" in officers and "Milestones overdue" in officers and "Milestones to deliver" not in officers
    assert "Milestones to deliver" in firms and "Stage 2" in firms and "Deliveries to accept" not in firms
    assert not any(heading in others for heading in ("Deliveries to accept", "Milestones overdue", "Milestones to deliver"))


full_disk = fullfs.full_disk  # the fixture: MEDIA_ROOT on a real, nearly full tmpfs


def test_a_delivery_on_a_full_disk_keeps_nothing_not_even_the_files_that_fitted(active, page_as, full_disk, settings):
    """The first document fits in the room left, the second does not: the delivery is refused
    beside the form, and the first document's file goes with it (tests/faults/fullfs.py)."""
    media, before = settings.MEDIA_ROOT, fullfs.stored_files(settings.MEDIA_ROOT)
    fits = SimpleUploadedFile("delivery-note.pdf", DELIVERY_NOTE)
    too_big = SimpleUploadedFile("site-photo.png", fullfs.png_image(4 * fullfs.ROOM_LEFT))
    url = f"/contracts/{active.pk}/milestones/1/deliver/"
    refused = page_as("supplier_a", url, {"note": "Lamps on site.", "documents": [fits, too_big]})
    assert refused.status_code == 507 and "The file store is full: the file was not kept." in refused.text
    assert status_of(active, 1) == Milestone.Status.PLANNED
    assert not Delivery.objects.exists() and not DeliveryDocument.objects.exists()
    assert fullfs.stored_files(media) == before
