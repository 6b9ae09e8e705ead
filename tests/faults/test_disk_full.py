"""The disk fills up during an upload: a real, small file system (tmpfs) as the file store,
filled until a few kilobytes are left, then an upload larger than that. The answer is a clear
error (507 in the API's error shape, a message beside the form on the page), no row is written
and no partial file is left; once there is room again the same upload goes through.

Mounting needs root (CAP_SYS_ADMIN); where the test cannot mount, it is skipped with the reason
rather than run against an imitation of a full disk."""

import io
import os
import subprocess
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tenders.models import Document, DocumentVersion
from tests.tenders import factories

pytestmark = pytest.mark.django_db

ROOM_LEFT = 64 * 1024


@pytest.fixture
def full_disk(settings, tmp_path):
    """MEDIA_ROOT on a 2 MB tmpfs, filled but for `ROOM_LEFT` bytes; yields the filler file."""
    media = tmp_path / "media"
    media.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(media)], capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small file system here ({mounted.stderr.strip() or 'mount failed'}): needs root")
    try:
        settings.MEDIA_ROOT = media
        filler = media / "filler"
        with filler.open("wb") as f:
            try:
                while True:
                    f.write(os.urandom(64 * 1024))
                    f.flush()
            except OSError:
                pass
        os.truncate(filler, filler.stat().st_size - ROOM_LEFT)
        yield filler
    finally:
        subprocess.run(["umount", "-l", str(media)], check=True)


def office_document(size: int) -> bytes:
    """A .docx (a zip the type check opens) carrying `size` bytes that do not compress."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
        archive.writestr("word/media/image1.bin", os.urandom(size), compress_type=zipfile.ZIP_STORED)
    return buffer.getvalue()


def stored_files(root: Path) -> list[str]:
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())


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
