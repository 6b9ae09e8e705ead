"""Checking an uploaded tender document: its size, its type, and that its content is that type.

A file is accepted by its extension only when its bytes agree (a renamed executable is not a
PDF). The media type stored and served is the one for the checked type, never the one the
browser claimed.
"""

import codecs
import hashlib
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePath

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

from marketplace import filetypes
from marketplace.errors import ActionError, TooLarge

HEAD_BYTES = 64 * 1024
# Text files hold no control characters other than tab, line feed, form feed and carriage return.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def _starts_with(*signatures: bytes) -> Callable[[UploadedFile], bool]:
    def check(upload: UploadedFile) -> bool:
        head = _head(upload, 16)
        return any(head.startswith(signature) for signature in signatures)

    return check


def _zip_holding(*members: str) -> Callable[[UploadedFile], bool]:
    """An Office Open XML or OpenDocument file is a ZIP archive with known parts inside."""

    def check(upload: UploadedFile) -> bool:
        if not _starts_with(b"PK\x03\x04")(upload):
            return False
        upload.seek(0)
        try:
            with zipfile.ZipFile(upload) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, OSError, ValueError):
            return False
        finally:
            upload.seek(0)
        return all(member in names for member in members)

    return check


def _opendocument(media_type: str) -> Callable[[UploadedFile], bool]:
    def check(upload: UploadedFile) -> bool:
        if not _zip_holding("mimetype", "content.xml")(upload):
            return False
        upload.seek(0)
        try:
            with zipfile.ZipFile(upload) as archive:
                return archive.read("mimetype").decode("ascii", "replace").strip() == media_type
        finally:
            upload.seek(0)

    return check


def _text(upload: UploadedFile) -> bool:
    """UTF-8 text without control bytes (a binary renamed .txt fails)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    upload.seek(0)
    try:
        for chunk in upload.chunks():
            text = decoder.decode(chunk)
            if CONTROL_CHARACTERS.search(text):
                return False
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    finally:
        upload.seek(0)
    return True


@dataclass(frozen=True)
class FileType:
    media_type: str
    check: Callable[[UploadedFile], bool]


OOXML = "application/vnd.openxmlformats-officedocument"
SNIFFERS: dict[str, FileType] = {
    "pdf": FileType("application/pdf", filetypes.is_pdf),
    "docx": FileType(f"{OOXML}.wordprocessingml.document", _zip_holding("[Content_Types].xml", "word/document.xml")),
    "xlsx": FileType(f"{OOXML}.spreadsheetml.sheet", _zip_holding("[Content_Types].xml", "xl/workbook.xml")),
    "pptx": FileType(f"{OOXML}.presentationml.presentation", _zip_holding("[Content_Types].xml", "ppt/presentation.xml")),
    "odt": FileType("application/vnd.oasis.opendocument.text", _opendocument("application/vnd.oasis.opendocument.text")),
    "ods": FileType("application/vnd.oasis.opendocument.spreadsheet", _opendocument("application/vnd.oasis.opendocument.spreadsheet")),
    "zip": FileType("application/zip", _zip_holding()),
    "csv": FileType("text/csv", _text),
    "txt": FileType("text/plain", _text),
    "png": FileType("image/png", filetypes.is_png),
    "jpg": FileType("image/jpeg", filetypes.is_jpeg),
    "jpeg": FileType("image/jpeg", filetypes.is_jpeg),
}


@dataclass(frozen=True)
class CheckedFile:
    filename: str
    media_type: str
    size: int
    sha256: str


def check_upload(upload: UploadedFile) -> CheckedFile:
    """Refuse a file over the size limit (413) or not of an accepted type (422); otherwise
    return its safe name, its media type by content, its size and SHA-256."""
    limit = settings.TENDER_DOCUMENT_MAX_BYTES
    if upload.size > limit:
        raise TooLarge(
            _("The file is %(size)s; the largest accepted is %(limit)s.")
            % {"size": filesizeformat(upload.size), "limit": filesizeformat(limit)},
            field="file",
        )
    if upload.size == 0:
        raise ActionError(_("The file is empty."), code="empty_file", field="file")
    filename = get_valid_filename(PurePath(upload.name or "document").name)[-200:] or "document"
    extension = PurePath(filename).suffix.lower().lstrip(".")
    accepted = settings.TENDER_DOCUMENT_TYPES
    if extension not in accepted:
        raise ActionError(
            _("Files of type “%(type)s” are not accepted. Accepted: %(accepted)s.")
            % {"type": extension or _("no extension"), "accepted": ", ".join(accepted)},
            code="file_type",
            field="file",
        )
    kind = SNIFFERS[extension]
    if not kind.check(upload):
        raise ActionError(
            _("The file's content is not %(type)s: it does not match its name.") % {"type": extension.upper()},
            code="file_content",
            field="file",
        )
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return CheckedFile(filename=filename, media_type=kind.media_type, size=upload.size, sha256=digest.hexdigest())


def _head(upload: UploadedFile, size: int = HEAD_BYTES) -> bytes:
    upload.seek(0)
    head = upload.read(size)
    upload.seek(0)
    return head
