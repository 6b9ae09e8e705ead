"""Tender documents: a new upload is a new version; every version stays on record with its SHA-256."""

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace import audit
from marketplace.errors import ActionError, Conflict
from marketplace.models import User
from tenders.actions.common import lock
from tenders.actions.lifecycle import ensure_amendable, record_amendment
from tenders.files import check_upload
from tenders.models import Document, DocumentType, DocumentVersion, Tender


def upload_document(
    actor: User,
    tender: Tender,
    upload: UploadedFile,
    *,
    title: str = "",
    document: Document | None = None,
    document_type: str = DocumentType.BIDDING_DOCUMENTS,
    reason: str = "",
) -> DocumentVersion:
    """Add a document, or a new version of one. On a published tender this is an amendment
    (numbered, public, with its reason) and allowed only before the deadline."""
    checked = check_upload(upload)
    if document_type not in DocumentType.values:
        raise ActionError(_("Choose a document type from the list."), code="invalid_choice", field="document_type")
    storage = DocumentVersion._meta.get_field("file").storage
    stored_name = None
    try:
        with transaction.atomic():
            tender = lock(tender)
            now = timezone.now()
            published = tender.status == Tender.Status.PUBLISHED
            if published:
                ensure_amendable(tender, now)
                if not reason.strip():
                    raise ActionError(_("Give the reason for the amendment: it is published with it."), code="required", field="reason")
            elif tender.status != Tender.Status.DRAFT:
                raise Conflict(_("Documents can be added only to a draft, or by amendment before the deadline."), code="not_editable")
            previous = None
            if document is None:
                if not title.strip():
                    raise ActionError(_("Give the document a title."), code="required", field="title")
                document = Document.objects.create(tender=tender, title=title.strip()[:300], document_type=document_type, created_at=now)
                number = 1
            else:
                document = Document.objects.select_for_update().get(pk=document.pk, tender=tender)
                previous = document.versions.order_by("-version").first()
                number = (document.versions.aggregate(last=Max("version"))["last"] or 0) + 1
            version = DocumentVersion(
                document=document,
                version=number,
                filename=checked.filename,
                media_type=checked.media_type,
                size=checked.size,
                sha256=checked.sha256,
                uploaded_by=actor,
                uploaded_at=now,
            )
            version.file.save(checked.filename, upload, save=False)
            stored_name = version.file.name
            version.save()
            audit.record(
                "tender.document_uploaded",
                actor=actor,
                organisation=tender.buyer,
                obj=version,
                payload={
                    "tender": tender.pk,
                    "document": document.title,
                    "version": number,
                    "sha256": checked.sha256,
                    "size": checked.size,
                },
                now=now,
            )
            if published:
                change = {
                    "field": f"documents.{document.pk}",
                    "document": document.title,
                    "old": f"v{previous.version} · SHA-256 {previous.sha256}" if previous else None,
                    "new": f"v{number} · SHA-256 {checked.sha256}",
                }
                record_amendment(actor, tender, now, reason, [change])
    except BaseException:
        if stored_name:
            storage.delete(stored_name)
        raise
    return version
