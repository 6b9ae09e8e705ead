import shutil
from datetime import date
from pathlib import Path

import pytest
import time_machine
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from marketplace.models import AuditEvent, Notification
from suppliers.actions import add_licence, send_licence_expiry_warnings
from suppliers.models import Licence, LicenceExpiryWarning
from suppliers.tasks import next_upkeep_after, registry_upkeep
from tests.suppliers.factories import pdf_upload, real_pdf, run_queued_tasks

pytestmark = pytest.mark.django_db


def licence_form(licence_type, upload, **overrides) -> dict:
    return {
        "licence_type": licence_type.pk,
        "number": "BL-2026-0042",
        "issuer": "Companies Office",
        "valid_from": "2026-01-01",
        "valid_to": "2027-12-31",
        "file": upload,
    } | overrides


def executable() -> bytes:
    return Path(shutil.which("true")).read_bytes()


def test_admin_uploads_a_real_pdf(as_user, supplier_a, firm_a, business_licence, media_root):
    response = as_user(supplier_a).post(f"/suppliers/{firm_a.pk}/licences/new/", licence_form(business_licence, pdf_upload("scan.PDF")))
    licence = Licence.objects.get()
    assert response.status_code == 302
    assert (licence.filename, licence.media_type, licence.size) == ("scan.PDF", "application/pdf", len(real_pdf()))
    stored = Path(licence.file.path)
    assert stored.read_bytes() == real_pdf() and media_root in stored.parents and "scan" not in stored.name
    assert AuditEvent.objects.get(action="licence.added").payload["sha256"] == licence.sha256


def test_a_renamed_executable_is_refused(as_user, supplier_a, firm_a, business_licence, media_root):
    upload = SimpleUploadedFile("licence.pdf", executable(), content_type="application/pdf")
    response = as_user(supplier_a).post(f"/suppliers/{firm_a.pk}/licences/new/", licence_form(business_licence, upload))
    assert response.status_code == 422 and "not a real PDF file" in response.text
    assert not Licence.objects.exists() and not any(media_root.rglob("*.*"))


def test_a_real_png_is_accepted_and_a_pdf_named_png_is_not(as_user, supplier_a, firm_a, business_licence):
    from tests.suppliers.factories import FILES

    client = as_user(supplier_a)
    png = SimpleUploadedFile("certificate.png", (FILES / "certificate.png").read_bytes())
    assert client.post(f"/suppliers/{firm_a.pk}/licences/new/", licence_form(business_licence, png)).status_code == 302
    disguised = SimpleUploadedFile("certificate.png", real_pdf())
    response = client.post(f"/suppliers/{firm_a.pk}/licences/new/", licence_form(business_licence, disguised))
    assert response.status_code == 422 and "not a real PNG file" in response.text
    assert list(Licence.objects.values_list("media_type", flat=True)) == ["image/png"]


def test_an_unsupported_kind_of_file_is_refused(as_user, supplier_a, firm_a, business_licence):
    upload = SimpleUploadedFile("licence.exe", executable())
    response = as_user(supplier_a).post(f"/suppliers/{firm_a.pk}/licences/new/", licence_form(business_licence, upload))
    assert response.status_code == 422 and "Upload a PDF, PNG or JPEG file." in response.text


def test_a_file_over_the_limit_is_refused(as_user, supplier_a, firm_a, business_licence, settings):
    settings.LICENCE_FILE_MAX_BYTES = 10_000
    response = as_user(supplier_a).post(f"/suppliers/{firm_a.pk}/licences/new/", licence_form(business_licence, pdf_upload()))
    assert response.status_code == 413 and "the limit is 9.8\xa0KB" in response.text
    assert not Licence.objects.exists()


def test_valid_to_before_valid_from_is_refused(as_user, supplier_a, firm_a, business_licence, media_root):
    form = licence_form(business_licence, pdf_upload(), valid_from="2027-01-01", valid_to="2026-12-31")
    response = as_user(supplier_a).post(f"/suppliers/{firm_a.pk}/licences/new/", form)
    assert response.status_code == 422 and "cannot expire before it starts" in response.text
    assert not Licence.objects.exists() and not any(media_root.rglob("*.*"))


def test_a_bidder_cannot_add_licences(as_user, bidder_a, firm_a, business_licence):
    response = as_user(bidder_a).post(f"/suppliers/{firm_a.pk}/licences/new/", licence_form(business_licence, pdf_upload()))
    assert response.status_code == 403 and not Licence.objects.exists()


def uploaded(firm, admin, licence_type, valid_to=date(2027, 6, 30)) -> Licence:
    return add_licence(
        admin,
        firm,
        licence_type=licence_type,
        number="L-1",
        issuer="Office",
        valid_from=date(2025, 1, 1),
        valid_to=valid_to,
        upload=pdf_upload(),
    )


@pytest.mark.parametrize("persona", ["supplier_a", "bidder_a", "registry_officer", "auditor"])
def test_the_firm_and_the_registry_read_the_file(as_user, request, firm_a, supplier_a, business_licence, persona):
    licence = uploaded(firm_a, supplier_a, business_licence)
    response = as_user(request.getfixturevalue(persona)).get(f"/suppliers/{firm_a.pk}/licences/{licence.pk}/file/")
    assert response.status_code == 200 and b"".join(response.streaming_content) == real_pdf()
    assert response["Content-Type"] == "application/pdf" and response["Content-Disposition"].startswith("attachment")


@pytest.mark.parametrize("persona", ["supplier_b", "officer", "outsider"])
def test_others_cannot_read_the_file(as_user, request, firm_a, supplier_a, business_licence, persona):
    licence = uploaded(firm_a, supplier_a, business_licence)
    response = as_user(request.getfixturevalue(persona)).get(f"/suppliers/{firm_a.pk}/licences/{licence.pk}/file/")
    assert response.status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client, firm_a, supplier_a, business_licence):
    licence = uploaded(firm_a, supplier_a, business_licence)
    response = client.get(f"/suppliers/{firm_a.pk}/licences/{licence.pk}/file/")
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


def test_files_are_not_reachable_by_url(client, firm_a, supplier_a, business_licence):
    licence = uploaded(firm_a, supplier_a, business_licence)
    assert client.get(f"/media/{licence.file.name}").status_code == 404


def test_removing_a_licence_deletes_its_file(as_user, supplier_a, firm_a, business_licence, django_capture_on_commit_callbacks):
    licence = uploaded(firm_a, supplier_a, business_licence)
    path = Path(licence.file.path)
    with django_capture_on_commit_callbacks(execute=True):
        as_user(supplier_a).post(f"/suppliers/{firm_a.pk}/licences/{licence.pk}/remove/")
    assert not Licence.objects.exists() and not path.exists()


def warnings_sent() -> list[tuple[str, int]]:
    return sorted(LicenceExpiryWarning.objects.values_list("licence__number", "days_before"))


def test_expiry_warnings_30_and_7_days_before_never_twice(firm_a, supplier_a, bidder_a, business_licence):
    uploaded(firm_a, supplier_a, business_licence, valid_to=date(2027, 6, 30))
    with time_machine.travel("2027-05-30 12:00Z"):  # 31 days before
        assert send_licence_expiry_warnings() == 0
    with time_machine.travel("2027-05-31 12:00Z"):  # 30 days before
        assert send_licence_expiry_warnings() == 1
        assert send_licence_expiry_warnings() == 0
    with time_machine.travel("2027-06-22 12:00Z"):  # 8 days before
        assert send_licence_expiry_warnings() == 0
    with time_machine.travel("2027-06-23 12:00Z"):  # 7 days before
        assert send_licence_expiry_warnings() == 1
    with time_machine.travel("2027-06-29 12:00Z"):
        assert send_licence_expiry_warnings() == 0
    assert warnings_sent() == [("L-1", 7), ("L-1", 30)]
    titles = list(Notification.objects.filter(kind="licence.expiring").values_list("user__email", "title"))
    assert sorted(titles) == [
        ("admin@alpha.test", "Business licence L-1 expires in 30 days"),
        ("admin@alpha.test", "Business licence L-1 expires in 7 days"),
    ]


def test_a_licence_first_seen_inside_seven_days_gets_one_warning(firm_a, supplier_a, business_licence):
    uploaded(firm_a, supplier_a, business_licence, valid_to=date(2027, 6, 30))
    with time_machine.travel("2027-06-28 12:00Z"):
        assert send_licence_expiry_warnings() == 1
    assert warnings_sent() == [("L-1", 7)]


def test_a_renewed_licence_is_not_warned_about(firm_a, supplier_a, business_licence):
    uploaded(firm_a, supplier_a, business_licence, valid_to=date(2027, 6, 30))
    renewal = uploaded(firm_a, supplier_a, business_licence, valid_to=date(2029, 6, 30))
    Licence.objects.filter(pk=renewal.pk).update(valid_from=date(2027, 7, 1))
    with time_machine.travel("2027-06-10 12:00Z"):
        assert send_licence_expiry_warnings() == 0


def test_warnings_are_emailed(firm_a, supplier_a, business_licence, django_capture_on_commit_callbacks):
    uploaded(firm_a, supplier_a, business_licence, valid_to=date(2027, 6, 30))
    with time_machine.travel("2027-06-23 12:00Z"), django_capture_on_commit_callbacks(execute=True):
        send_licence_expiry_warnings()
    run_queued_tasks()
    assert [m.subject for m in mail.outbox] == ["Business licence L-1 expires in 7 days"] and mail.outbox[0].to == ["admin@alpha.test"]


def test_daily_upkeep_queues_its_next_run_once(firm_a):
    from django_tasks_db.models import DBTaskResult

    with time_machine.travel("2027-06-23 10:00Z"):
        registry_upkeep.call()
        registry_upkeep.call()
    [next_run] = DBTaskResult.objects.filter(task_path=registry_upkeep.module_path, status="READY")
    assert next_run.run_after.isoformat() == "2027-06-24T00:05:00+00:00"


def test_daily_upkeep_runs_on_the_worker_and_warns(firm_a, supplier_a, business_licence):
    from suppliers.tasks import ensure_registry_upkeep

    uploaded(firm_a, supplier_a, business_licence, valid_to=date(2027, 7, 30))
    with time_machine.travel("2027-06-30 00:04:59Z"):
        ensure_registry_upkeep()
        ensure_registry_upkeep()
        [upkeep, emails] = run_queued_tasks()
    assert upkeep.task_path == registry_upkeep.module_path and upkeep.return_value == {"warnings": 1, "restrictions_ended": 0}
    assert emails.status == "SUCCESSFUL" and [m.subject for m in mail.outbox] == ["Business licence L-1 expires in 30 days"]


def test_next_upkeep_is_shortly_after_local_midnight(settings):
    from datetime import UTC, datetime

    settings.TIME_ZONE = "Asia/Shanghai"
    after = next_upkeep_after(datetime(2027, 6, 30, 15, 0, tzinfo=UTC))  # 23:00 in Shanghai
    assert after.isoformat() == "2027-07-01T00:05:00+08:00"


def test_schedule_command_queues_the_upkeep_once(db, capsys):
    from django.core.management import call_command
    from django_tasks_db.models import DBTaskResult

    call_command("schedule_registry_upkeep")
    call_command("schedule_registry_upkeep")
    assert "already queued" in capsys.readouterr().out
    assert DBTaskResult.objects.filter(task_path=registry_upkeep.module_path, status="READY").count() == 1


def test_a_pdf_header_on_an_executable_is_refused(as_user, supplier_a, firm_a, business_licence, media_root):
    disguised = SimpleUploadedFile("licence.pdf", b"%PDF-1.7\n" + executable(), content_type="application/pdf")
    response = as_user(supplier_a).post(f"/suppliers/{firm_a.pk}/licences/new/", licence_form(business_licence, disguised))
    assert response.status_code == 422 and "not a real PDF file" in response.text
    assert not Licence.objects.exists()


def test_a_licence_counts_for_bidding_only_once_the_registry_accepts_it(
    agency, firm_a, supplier_a, construction_permit, registry_officer, client
):
    from suppliers.eligibility import bidding_refusal
    from tests.suppliers.factories import make_tender

    licence = uploaded(firm_a, supplier_a, construction_permit)
    tender = make_tender(agency, main_category="45233000")
    assert licence.status == Licence.Status.PENDING
    assert "accepted" in bidding_refusal(firm_a.organisation, tender, timezone.now())
    assert Notification.objects.filter(user=registry_officer, kind="licence.to_check").exists()
    client.force_login(registry_officer)
    assert "Licences to check" in client.get("/suppliers/registry/").text
    answer = client.post(f"/suppliers/{firm_a.pk}/licences/{licence.pk}/check/", {"decision": "accept"})
    assert answer.status_code == 302
    licence.refresh_from_db()
    assert licence.status == Licence.Status.ACCEPTED and licence.checked_by == registry_officer
    assert bidding_refusal(firm_a.organisation, tender, timezone.now()) is None
    assert AuditEvent.objects.filter(action="licence.accepted").exists()


def test_a_refused_licence_says_why_and_a_second_check_is_a_conflict(firm_a, supplier_a, construction_permit, registry_officer, api_as):
    licence = uploaded(firm_a, supplier_a, construction_permit)
    url = f"/api/v1/suppliers/{firm_a.pk}/licences/{licence.pk}/check"
    without_reason = api_as(registry_officer).post(url, {"decision": "reject"}, format="json")
    assert without_reason.status_code == 422 and Licence.objects.get(pk=licence.pk).status == Licence.Status.PENDING
    refused = api_as(registry_officer).post(url, {"decision": "reject", "reason": "The scan is unreadable."}, format="json")
    assert refused.status_code == 200 and refused.json()["status"] == "rejected"
    assert Notification.objects.filter(user=supplier_a, kind="licence.rejected", body__contains="unreadable").exists()
    assert api_as(registry_officer).post(url, {"decision": "accept"}, format="json").status_code == 409


def test_only_registry_officers_check_licences(firm_a, supplier_a, construction_permit, officer, api_as):
    licence = uploaded(firm_a, supplier_a, construction_permit)
    url = f"/api/v1/suppliers/{firm_a.pk}/licences/{licence.pk}/check"
    for user in [supplier_a, officer]:
        assert api_as(user).post(url, {"decision": "accept"}, format="json").status_code in (403, 404)
    assert Licence.objects.get(pk=licence.pk).status == Licence.Status.PENDING
