import pytest
from django.core.management import call_command

from bidding.demo import LIVE_OPENING_TITLE
from marketplace.audit import verify_chain
from tenders.files import SNIFFERS
from tenders.models import DocumentVersion, Tender

pytestmark = pytest.mark.django_db


def test_demo_tenders_are_seeded_once():
    call_command("seed_demo")
    counts = (Tender.objects.count(), DocumentVersion.objects.count())
    call_command("seed_demo")
    assert (Tender.objects.count(), DocumentVersion.objects.count()) == counts
    # Three demo tenders, and the live opening demo (tests/bidding/test_opening_demo.py).
    assert Tender.objects.filter(status=Tender.Status.PUBLISHED).exclude(title=LIVE_OPENING_TITLE).count() == 3
    assert Tender.objects.filter(status=Tender.Status.DRAFT).count() == 1
    laptops = Tender.objects.get(title__startswith="Laptops")
    assert laptops.lots.count() == 2 and laptops.custodian_seats.count() == 3
    assert verify_chain().ok


def test_demo_documents_are_real_pdfs():
    call_command("seed_demo")
    version = DocumentVersion.objects.first()
    with version.file.open("rb") as f:
        assert SNIFFERS["pdf"].check(f) and f.read().rstrip().endswith(b"%%EOF")
