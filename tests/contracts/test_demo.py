"""The demo's contracts: one active, signed by both parties, with a milestone accepted and paid
(its invoice settled by treasury transfer) and one delivered; one awaiting the supplier's signature. The signed PDF validates with pyHanko's own
validator against the root the platform publishes."""

from io import BytesIO, StringIO

import pytest
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from django.core.management import call_command
from django.utils.module_loading import import_string
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from contracts import demo
from contracts.models import Contract, Milestone
from marketplace.demo import seed_people
from payments import ledger
from payments.models import Invoice, Payment

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    call_command("seed_demo")


def test_the_demo_shows_an_active_contract_and_one_awaiting_the_supplier(seeded, client):
    active = Contract.objects.get(tender__title=demo.ACTIVE)
    waiting = Contract.objects.get(tender__title=demo.AWAITING_SIGNATURE)
    assert active.status == Contract.Status.ACTIVE and waiting.status == Contract.Status.AWAITING_SIGNATURES
    assert [m.status for m in active.milestones.order_by("number")] == [Milestone.Status.PAID, Milestone.Status.DELIVERED]
    assert sum(m.amount for m in active.milestones.all()) == active.value
    [invoice] = Invoice.objects.filter(contract=active)
    assert invoice.status == Invoice.Status.PAID and invoice.payment.status == Payment.Status.SUCCEEDED
    assert ledger.unbalanced_transactions() == []
    assert client.get(f"/contracts/{active.pk}/").status_code == 200


def test_the_demos_signed_pdf_validates_against_the_published_root(seeded, client):
    active = Contract.objects.get(tender__title=demo.ACTIVE)
    signed = client.get(f"/api/v1/contracts/{active.pk}/document/").content
    pem = client.get("/api/v1/certificates/root.pem").content
    root = asn1_x509.Certificate.load(x509.load_pem_x509_certificate(pem).public_bytes(serialization.Encoding.DER))
    context = ValidationContext(trust_roots=[root], allow_fetching=False)
    supplier, buyer = PdfFileReader(BytesIO(signed)).embedded_signatures
    assert validate_pdf_signature(supplier, context).bottom_line
    last = validate_pdf_signature(buyer, context)
    assert last.bottom_line and last.coverage == SignatureCoverageLevel.ENTIRE_FILE


def test_the_contracts_demo_waits_for_its_own_deadline_when_no_other_demo_waited(settings, tmp_path):
    """seed_demo seals these tenders inside the evaluation demo's wait; run alone, the seeder
    publishes, seals and waits itself, and a second run changes nothing."""
    settings.MEDIA_ROOT = tmp_path
    world = seed_people()
    for seeder in ("suppliers.demo.seed", "bidding.demo.seed"):
        import_string(seeder)(world, stdout=StringIO())
    assert world.sealed == {}
    demo.seed(world, stdout=StringIO())
    assert set(Contract.objects.values_list("tender__title", flat=True)) == {demo.ACTIVE, demo.AWAITING_SIGNATURE}
    demo.seed(world, stdout=StringIO())
    assert Contract.objects.count() == 2
