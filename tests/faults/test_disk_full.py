"""The disk fills up during an upload: a real, small file system (tmpfs) as the file store,
filled until a few kilobytes are left, then an upload larger than that. The answer is a clear
error (507 in the API's error shape, a message beside the form on the page), no row is written
and no partial file is left; once there is room again the same upload goes through.

Mounting needs root (CAP_SYS_ADMIN); where the test cannot mount, it is skipped with the reason
rather than run against an imitation of a full disk."""

import os
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tenders.models import Document, DocumentVersion
from tests.faults import fullfs
from tests.faults.fullfs import ROOM_LEFT, office_document, stored_files
from tests.tenders import factories

pytestmark = pytest.mark.django_db

full_disk = fullfs.full_disk  # the fixture


def free_bytes(root: Path) -> int:
    stat = os.statvfs(root)
    return stat.f_bavail * stat.f_frsize


@pytest.fixture
def draft(officer, agency):
    return factories.make_draft(officer, agency)


def api_upload(api_client, token_for, officer, draft, content: bytes):
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(officer)}")
    upload = SimpleUploadedFile("bill.docx", content, content_type="application/octet-stream")
    return api_client.post(f"/api/v1/tenders/{draft.pk}/documents/", {"file": upload, "title": "Bill of quantities"})


@pytest.mark.parametrize("spooled", [False, True], ids=["in-memory-upload", "temporary-file-upload"])
def test_an_api_upload_on_a_full_disk_is_a_507_and_leaves_nothing(full_disk, api_client, token_for, officer, draft, settings, spooled):
    if spooled:  # Django spools the upload to a temporary file first, then moves it into the store
        settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 2500
    media, before, free = settings.MEDIA_ROOT, stored_files(settings.MEDIA_ROOT), free_bytes(settings.MEDIA_ROOT)
    content = office_document(4 * ROOM_LEFT)
    refused = api_upload(api_client, token_for, officer, draft, content)
    assert refused.status_code == 507, refused.content
    [error] = refused.json()["errors"]
    assert error["code"] == "storage_full" and "full" in error["message"]
    assert not DocumentVersion.objects.exists() and not Document.objects.exists()
    assert stored_files(media) == before and free_bytes(media) == free  # not even an empty file
    full_disk.unlink()  # room again: the same upload goes through
    created = api_upload(api_client, token_for, officer, draft, content)
    assert created.status_code == 201
    assert DocumentVersion.objects.get().file.read() == content


def test_a_page_upload_on_a_full_disk_says_so_beside_the_form(full_disk, as_user, officer, draft, settings):
    media, before = settings.MEDIA_ROOT, stored_files(settings.MEDIA_ROOT)
    upload = SimpleUploadedFile("bill.docx", office_document(4 * ROOM_LEFT), content_type="application/octet-stream")
    response = as_user(officer).post(
        f"/tenders/agency/{draft.pk}/documents/", {"file": upload, "title": "Bill of quantities", "document_type": "biddingDocuments"}
    )
    assert response.status_code == 507
    assert "The file store is full: the file was not kept." in response.text
    assert not DocumentVersion.objects.exists() and stored_files(media) == before
