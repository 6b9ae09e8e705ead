from datetime import date, timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from marketplace.audit import verify_chain
from marketplace.models import AuditEvent, LiveEvent, Notification
from suppliers.models import Supplier
from suppliers.tasks import registry_upkeep

pytestmark = pytest.mark.django_db


def status_of(supplier) -> str:
    return Supplier.objects.get(pk=supplier.pk).status


def test_registry_officer_verifies_an_application(as_user, registry_officer, applied_firm, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = as_user(registry_officer).post(f"/suppliers/{applied_firm.pk}/verify/")
    assert response.status_code == 302 and status_of(applied_firm) == Supplier.Status.VERIFIED
    assert AuditEvent.objects.filter(action="supplier.verified", actor=registry_officer).exists()
    [notification] = Notification.objects.filter(kind="supplier.verified")
    assert notification.user.email == "admin@gamma.test"
    assert LiveEvent.objects.filter(subject=f"org.{applied_firm.organisation_id}", kind="supplier.verified").exists()
    assert verify_chain().ok


def test_return_for_correction_needs_a_reason(as_user, registry_officer, applied_firm):
    response = as_user(registry_officer).post(f"/suppliers/{applied_firm.pk}/return/", {"return-reason": "  "})
    assert response.status_code == 422 and "Give the reason" in response.text
    assert status_of(applied_firm) == Supplier.Status.APPLIED


def test_returned_firm_corrects_and_resubmits(as_user, registry_officer, applied_firm):
    as_user(registry_officer).post(f"/suppliers/{applied_firm.pk}/return/", {"return-reason": "The address is incomplete."})
    admin = applied_firm.organisation.memberships.get().user
    client = as_user(admin)
    assert "The address is incomplete." in client.get(f"/suppliers/{applied_firm.pk}/").text
    client.post(f"/suppliers/{applied_firm.pk}/edit/", edit_form(applied_firm, address="1 Full Street, Dublin 2"))
    response = client.post(f"/suppliers/{applied_firm.pk}/resubmit/")
    assert response.status_code == 302 and status_of(applied_firm) == Supplier.Status.APPLIED
    assert Supplier.objects.get(pk=applied_firm.pk).address == "1 Full Street, Dublin 2"
    assert AuditEvent.objects.filter(action="supplier.resubmitted").exists()


def edit_form(supplier, **overrides) -> dict:
    data = {
        "legal_name": supplier.legal_name,
        "country": supplier.country,
        "registration_number": supplier.registration_number,
        "address": supplier.address,
        "contact_email": supplier.contact_email,
        "headcount": supplier.headcount,
        "turnover_eur": supplier.turnover_eur,
        "listed_in_directory": "on",
    }
    return data | overrides


def test_an_application_cannot_be_resubmitted_before_it_is_returned(as_user, applied_firm):
    admin = applied_firm.organisation.memberships.get().user
    response = as_user(admin).post(f"/suppliers/{applied_firm.pk}/resubmit/", follow=True)
    assert "Only a registration returned for correction can be resubmitted." in response.text


def test_suspension_with_reason_and_end_date(as_user, registry_officer, firm_a, supplier_a):
    until = timezone.localdate() + timedelta(days=90)
    response = as_user(registry_officer).post(
        f"/suppliers/{firm_a.pk}/suspend/", {"suspend-reason": "Unpaid fines", "suspend-until": until}
    )
    firm_a.refresh_from_db()
    assert response.status_code == 302 and firm_a.status == Supplier.Status.SUSPENDED
    assert (firm_a.status_reason, firm_a.restricted_from, firm_a.restricted_until) == ("Unpaid fines", timezone.localdate(), until)
    assert Notification.objects.filter(user=supplier_a, kind="supplier.suspended").exists()


def test_debarment_needs_an_end_date(as_user, registry_officer, firm_a):
    response = as_user(registry_officer).post(f"/suppliers/{firm_a.pk}/debar/", {"debar-reason": "Collusion"})
    assert response.status_code == 422 and "A debarment has an end date." in response.text
    assert status_of(firm_a) == Supplier.Status.VERIFIED


def test_restriction_cannot_end_in_the_past(as_user, registry_officer, firm_a):
    yesterday = timezone.localdate() - timedelta(days=1)
    response = as_user(registry_officer).post(f"/suppliers/{firm_a.pk}/debar/", {"debar-reason": "Collusion", "debar-until": yesterday})
    assert response.status_code == 422 and "cannot be in the past" in response.text


def test_debarment_is_published_and_lifting_restores_verified(as_user, registry_officer, firm_a, client):
    until = timezone.localdate() + timedelta(days=365)
    officer = as_user(registry_officer)
    officer.post(f"/suppliers/{firm_a.pk}/debar/", {"debar-reason": "Bid rigging (decision 12/2026)", "debar-until": until})
    client.logout()
    assert "Bid rigging (decision 12/2026)" in client.get("/suppliers/debarments/").text
    officer = as_user(registry_officer)
    officer.post(f"/suppliers/{firm_a.pk}/lift/", {"lift-reason": "Annulled on appeal"})
    firm_a.refresh_from_db()
    assert firm_a.status == Supplier.Status.VERIFIED and firm_a.restricted_until is None
    assert AuditEvent.objects.get(action="supplier.lifted").payload == {"from": "debarred", "reason": "Annulled on appeal"}


def test_a_verified_firm_cannot_be_verified_again(as_user, registry_officer, firm_a):
    response = as_user(registry_officer).post(f"/suppliers/{firm_a.pk}/verify/", follow=True)
    assert "Only a registration waiting for verification can be verified." in response.text
    assert AuditEvent.objects.filter(action="supplier.verified").count() == 0


def test_an_officer_cannot_decide_on_a_firm_they_belong_to(as_user, registry_officer, applied_firm):
    from marketplace.actions import grant_role
    from marketplace.models import Role

    grant_role(None, registry_officer, applied_firm.organisation, Role.BIDDER)
    response = as_user(registry_officer).post(f"/suppliers/{applied_firm.pk}/verify/")
    assert response.status_code == 403 and status_of(applied_firm) == Supplier.Status.APPLIED


def test_debarment_ends_by_itself_after_its_last_day(as_user, registry_officer, firm_a):
    last_day = date(2031, 3, 31)
    with time_machine.travel("2031-01-10 09:00Z"):
        as_user(registry_officer).post(f"/suppliers/{firm_a.pk}/debar/", {"debar-reason": "Fraud", "debar-until": last_day})
    with time_machine.travel("2031-03-31 23:59:59Z"):
        registry_upkeep.call()
        assert status_of(firm_a) == Supplier.Status.DEBARRED
    with time_machine.travel("2031-04-01 00:00:01Z"):
        registry_upkeep.call()
        assert status_of(firm_a) == Supplier.Status.VERIFIED
    assert AuditEvent.objects.get(action="supplier.restriction_ended").actor is None


def test_the_firm_is_told_by_email(as_user, registry_officer, applied_firm, django_capture_on_commit_callbacks):
    from tests.suppliers.factories import run_queued_tasks

    with django_capture_on_commit_callbacks(execute=True):
        as_user(registry_officer).post(f"/suppliers/{applied_firm.pk}/verify/")
    run_queued_tasks()
    assert [m.to for m in mail.outbox] == [["admin@gamma.test"]] and "is verified" in mail.outbox[0].subject
