"""Registry test data: supplier records for the persona firms, tenders moved by their FSM, and
running queued background tasks the way a db_worker does."""

import itertools
from datetime import timedelta
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import TestCase
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from tenders.models import Item, Lot, Tender
from tenders.signals import tender_published
from tests.factories import make_supplier  # noqa: F401  (re-exported for the registry tests)

FILES = Path(__file__).resolve().parent / "files"
_numbers = itertools.count(1)


def real_pdf() -> bytes:
    """A PDF printed by Chromium."""
    return (FILES / "licence.pdf").read_bytes()


def pdf_upload(name: str = "licence.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, real_pdf(), content_type="application/pdf")


def make_tender(buyer, *, title="Road resurfacing", description="", main_category="45233000", item_codes=(), deadline_days=30) -> Tender:
    tender = Tender.objects.create(
        buyer=buyer,
        title=title,
        description=description,
        main_category=main_category,
        submission_deadline=timezone.now() + timedelta(days=deadline_days),
    )
    lot = Lot.objects.create(tender=tender, number=1, title=title)
    for position, code in enumerate(item_codes, start=1):
        Item.objects.create(tender=tender, lot=lot, position=position, description=f"Item {position}", quantity=1, unit="lot", cpv=code)
    return tender


def publish(tender: Tender, actor=None) -> Tender:
    """Publish as the tenders app does: transition, save and signal inside one transaction."""
    with transaction.atomic():
        tender.reference = f"{tender.buyer.code.upper()}-{timezone.now().year}-{tender.pk:04d}"
        tender.publish()
        tender.published_at = timezone.now()
        tender.save()
        tender_published.send(sender=Tender, tender=tender, actor=actor, now=timezone.now())
    return tender


def run_queued_tasks() -> list[DBTaskResult]:
    """Claim and run every ready task in this process with the db_worker's own code."""
    worker = Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="tests",
        excluded_queue_names=[],
    )
    ran = []
    while (result := DBTaskResult.objects.ready().order_by("enqueued_at").first()) is not None:
        # The test's transaction never commits: run what the task defers to its commit, as it would.
        with TestCase.captureOnCommitCallbacks(execute=True):
            result.claim(worker.worker_id)
            worker.run_task(result)
        result.refresh_from_db()
        ran.append(result)
    return ran
