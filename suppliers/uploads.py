"""Checking uploaded licence files by what they contain, not by what they are called."""

import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePath
from typing import BinaryIO

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from marketplace import filetypes
from marketplace.errors import ActionError, TooLarge


@dataclass(frozen=True)
class FileKind:
    media_type: str
    extensions: tuple[str, ...]
    magic: bytes
    parses: Callable[[BinaryIO], bool]  # the structure, not only the first bytes


ACCEPTED = [
    FileKind("application/pdf", (".pdf",), b"%PDF-", filetypes.is_pdf),
    FileKind("image/png", (".png",), b"\x89PNG\r\n\x1a\n", filetypes.is_png),
    FileKind("image/jpeg", (".jpg", ".jpeg"), b"\xff\xd8\xff", filetypes.is_jpeg),
]
KIND_BY_EXTENSION = {extension: kind for kind in ACCEPTED for extension in kind.extensions}


@dataclass(frozen=True)
class CheckedFile:
    upload: UploadedFile
    filename: str  # the name the firm gave it, for display and download
    stored_name: str  # a random name: uploaded names never reach the file system
    media_type: str
    size: int
    sha256: str


def check_licence_file(upload: UploadedFile, field: str = "file") -> CheckedFile:
    """Refuse anything over the size limit or whose content is not what its extension says."""
    limit = settings.LICENCE_FILE_MAX_BYTES
    if upload.size > limit:
        raise TooLarge(
            _("The file is %(size)s; the limit is %(limit)s.") % {"size": filesizeformat(upload.size), "limit": filesizeformat(limit)},
            field=field,
        )
    if upload.size == 0:
        raise ActionError(_("The file is empty."), code="empty_file", field=field)
    filename = PurePath(upload.name or "").name[:255]
    extension = PurePath(filename).suffix.lower()
    kind = KIND_BY_EXTENSION.get(extension)
    if kind is None:
        raise ActionError(_("Upload a PDF, PNG or JPEG file."), code="unsupported_type", field=field)
    digest = hashlib.sha256()
    head = b""
    upload.seek(0)
    for chunk in upload.chunks():
        if len(head) < 16:
            head += chunk[:16]
        digest.update(chunk)
    upload.seek(0)
    if not head.startswith(kind.magic) or not kind.parses(upload):
        raise ActionError(
            _("This file is not a real %(extension)s file: its content does not match its name.") % {"extension": extension[1:].upper()},
            code="content_mismatch",
            field=field,
        )
    return CheckedFile(
        upload=upload,
        filename=filename,
        stored_name=f"{uuid.uuid4().hex}{kind.extensions[0]}",
        media_type=kind.media_type,
        size=upload.size,
        sha256=digest.hexdigest(),
    )
