import hashlib
import io
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from marketplace.errors import ActionError, Conflict, TooLarge
from tenders import actions
from tenders.models import Amendment, DocumentVersion

pytestmark = pytest.mark.django_db

# A real, minimal PDF (one empty page), as a PDF writer produces it.
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\nxref\n0 4\n0000000000 65535 f \n"
    b"0000000009 00000 n \n0000000052 00000 n \n0000000101 00000 n \ntrailer<</Size 4/Root 1 0 R>>\nstartxref\n164\n%%EOF\n"
)
# The first bytes of a Windows executable (MZ header, PE signature offset).
EXE = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"
    + b"\x00" * 44
    + b"\x80\x00\x00\x00"
    + b"This program cannot be run in DOS mode."
)


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def test_a_pdf_is_stored_with_its_digest_and_checked_type(draft, officer, settings):
    version = actions.upload_document(officer, draft, upload("specification.pdf", PDF), title="Technical specification")
    assert (version.version, version.media_type, version.size) == (1, "application/pdf", len(PDF))
    assert version.sha256 == hashlib.sha256(PDF).hexdigest()
    stored = Path(version.file.path)
    assert stored.read_bytes() == PDF and stored.is_relative_to(settings.MEDIA_ROOT)


def test_a_new_version_keeps_the_old_one(draft, officer):
    first = actions.upload_document(officer, draft, upload("spec.pdf", PDF), title="Specification")
    second = actions.upload_document(officer, draft, upload("spec-v2.pdf", PDF + b"%v2\n"), document=first.document)
    assert [v.version for v in first.document.versions.all()] == [2, 1]
    assert Path(first.file.path).read_bytes() == PDF and second.sha256 != first.sha256


def test_office_documents_are_checked_inside(draft, officer):
    assert actions.upload_document(officer, draft, upload("bill.docx", docx()), title="Bill of quantities").media_type.endswith("document")
    with pytest.raises(ActionError) as refused:
        actions.upload_document(officer, draft, upload("bill.xlsx", docx()), title="Not a workbook")
    assert refused.value.problems[0].code == "file_content"


def test_a_renamed_executable_is_refused(draft, officer):
    with pytest.raises(ActionError) as refused:
        actions.upload_document(officer, draft, upload("specification.pdf", EXE), title="Specification")
    assert (refused.value.status, refused.value.problems[0].code) == (422, "file_content")
    assert not DocumentVersion.objects.exists() and not draft.documents.exists()


def test_a_refused_type_is_named(draft, officer):
    with pytest.raises(ActionError) as refused:
        actions.upload_document(officer, draft, upload("setup.exe", EXE), title="Installer")
    assert refused.value.problems[0].code == "file_type" and "exe" in refused.value.message


def test_binary_content_is_not_text(draft, officer):
    with pytest.raises(ActionError):
        actions.upload_document(officer, draft, upload("notes.txt", EXE), title="Notes")
    assert actions.upload_document(officer, draft, upload("notes.txt", "Site visit: Monday, 10:00 — 会议室".encode()), title="Notes").pk


def test_a_file_over_the_limit_is_refused_with_413(draft, officer, settings):
    settings.TENDER_DOCUMENT_MAX_BYTES = 1024
    with pytest.raises(TooLarge) as refused:
        actions.upload_document(officer, draft, upload("big.pdf", PDF + b"0" * 1024), title="Big")
    assert refused.value.status == 413 and not DocumentVersion.objects.exists()


def test_the_accepted_types_are_a_setting(draft, officer, settings):
    settings.TENDER_DOCUMENT_TYPES = ["pdf"]
    with pytest.raises(ActionError):
        actions.upload_document(officer, draft, upload("bill.docx", docx()), title="Bill")


def test_every_known_type_has_a_content_check(settings):
    from tenders.files import SNIFFERS

    assert set(SNIFFERS) == set(settings.TENDER_DOCUMENT_TYPES_KNOWN)


def test_a_document_on_a_published_tender_is_an_amendment(tender, officer):
    actions.upload_document(officer, tender, upload("drawings.pdf", PDF), title="Drawings", reason="Drawings were missing.")
    [amendment] = Amendment.objects.filter(tender=tender)
    assert amendment.reason == "Drawings were missing." and amendment.changes[0]["document"] == "Drawings"
    assert amendment.changes[0]["new"].startswith("v1 · SHA-256 ")


def test_a_document_on_a_published_tender_needs_a_reason_and_stores_nothing_without(tender, officer, settings):
    with pytest.raises(ActionError):
        actions.upload_document(officer, tender, upload("drawings.pdf", PDF), title="Drawings")
    assert not DocumentVersion.objects.exists()
    assert not any(Path(settings.MEDIA_ROOT).rglob("*.pdf"))


def test_no_document_after_the_deadline(tender, officer, settings):
    with time_machine.travel(tender.submission_deadline + timedelta(seconds=1)), pytest.raises(Conflict):
        actions.upload_document(officer, tender, upload("late.pdf", PDF), title="Late", reason="Late.")
    assert not any(Path(settings.MEDIA_ROOT).rglob("*.pdf"))


def test_a_published_document_is_downloaded_by_anyone_with_its_digest(public, tender, officer):
    version = actions.upload_document(officer, tender, upload("drawings.pdf", PDF), title="Drawings", reason="Missing.")
    response = public.get(f"/tenders/{tender.pk}/documents/{version.pk}/")
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf" and 'attachment; filename="drawings.pdf"' in response["Content-Disposition"]
    assert response["X-Content-SHA256"] == version.sha256


def test_a_drafts_document_is_only_for_its_officers(public, as_user, draft, officer, other_officer):
    version = actions.upload_document(officer, draft, upload("spec.pdf", PDF), title="Specification")
    path = f"/tenders/{draft.pk}/documents/{version.pk}/"
    assert public.get(path).status_code == 404
    assert as_user(other_officer).get(path).status_code == 404
    assert as_user(officer).get(path).status_code == 200


def test_a_version_of_another_tender_is_not_found(public, tender, officer, agency):
    from tests.tenders import factories

    other = factories.make_published(officer, agency)
    version = actions.upload_document(officer, other, upload("spec.pdf", PDF), title="Specification", reason="Missing.")
    assert public.get(f"/tenders/{tender.pk}/documents/{version.pk}/").status_code == 404


def test_discarding_a_draft_deletes_its_files(draft, officer, django_capture_on_commit_callbacks):
    version = actions.upload_document(officer, draft, upload("spec.pdf", PDF), title="Specification")
    path = Path(version.file.path)
    with django_capture_on_commit_callbacks(execute=True):
        actions.discard_draft(officer, draft)
    assert not path.exists()


def test_upload_from_the_manage_page_shows_the_problem_beside_the_file(as_user, officer, draft):
    response = as_user(officer).post(
        f"/tenders/agency/{draft.pk}/documents/", {"file": upload("spec.pdf", EXE), "title": "Spec", "document_type": "biddingDocuments"}
    )
    assert response.status_code == 422 and "does not match its name" in response.text


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("specification.pdf", b"%PDF-1.7\n" + b"\x7fELF\x02\x01\x01\x00" + bytes(2000)),  # a PDF header on an executable
        ("specification.pdf", PDF[: len(PDF) // 2]),  # a PDF cut in half
        ("drawing.png", b"\x89PNG\r\n\x1a\n" + b"\x7fELF" + bytes(200)),  # PNG signature, no chunks
        ("photo.jpg", b"\xff\xd8\xff\xe0" + bytes(200)),  # JPEG start, no image
    ],
)
def test_a_file_whose_structure_is_not_its_type_is_refused(draft, officer, name, content):
    with pytest.raises(ActionError) as refused:
        actions.upload_document(officer, draft, upload(name, content), title="Specification")
    assert refused.value.problems[0].code == "file_content" and not DocumentVersion.objects.exists()
