"""Each person reads what the platform writes to them in the language they chose, whatever the
language of whoever caused it."""

import pytest
from django.core import mail

from marketplace.models import Notification, User
from tests.suppliers.factories import run_queued_tasks

pytestmark = pytest.mark.django_db


def choose_language(client, language: str) -> None:
    assert client.post("/i18n/setlang/", {"language": language, "next": "/"}).status_code == 302


def verify(client, firm, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/suppliers/{firm.pk}/verify/").status_code == 302
    run_queued_tasks()  # the e-mails
    return Notification.objects.get(kind="supplier.verified")


def test_the_language_switcher_keeps_the_choice_on_the_account(as_user, supplier_a):
    choose_language(as_user(supplier_a), "zh-hans")
    assert User.objects.get(pk=supplier_a.pk).language == "zh-hans"


def test_an_english_officer_notifies_a_chinese_reader_in_chinese(
    as_user, registry_officer, applied_firm, django_capture_on_commit_callbacks
):
    admin = applied_firm.organisation.memberships.get().user
    choose_language(as_user(admin), "zh-hans")
    notification = verify(as_user(registry_officer), applied_firm, django_capture_on_commit_callbacks)
    assert notification.title == "Gamma Applied Ltd 已通过审核" and "审核" in notification.body
    [email] = mail.outbox
    assert email.to == [admin.email] and email.subject == "Gamma Applied Ltd 已通过审核" and notification.body in email.body


def test_a_chinese_officer_notifies_an_english_reader_in_english(
    as_user, registry_officer, applied_firm, django_capture_on_commit_callbacks
):
    admin = applied_firm.organisation.memberships.get().user
    choose_language(as_user(admin), "en")
    officer = as_user(registry_officer)
    choose_language(officer, "zh-hans")  # the officer's own pages are now in Chinese
    assert "供应商" in officer.get(f"/suppliers/{applied_firm.pk}/").text
    notification = verify(officer, applied_firm, django_capture_on_commit_callbacks)
    assert notification.title == "Gamma Applied Ltd is verified"
    assert notification.body == "Your firm's registration is verified: it may now bid on any tender it qualifies for."
    [email] = mail.outbox
    assert email.subject == "Gamma Applied Ltd is verified" and notification.body in email.body
