"""One world for the tests that ask every route or every API operation: the demo's, built once.

`seed_demo` makes tenders drafted, open, in evaluation, in standstill and awarded, sealed bids,
contracts (one active, one awaiting signatures), an invoice, deposits, a guarantee and refunds;
`build_world` adds what it lacks (a cancelled tender, a challenge in the standstill with a
document, an API token and a team invitation) and names the objects for the tests.

`shared_world()` builds it inside a transaction that is rolled back when the block ends, with
the settings a long run of requests needs (throttles out of the way, uploads in a temporary
folder, its own cache prefix, officers never idle); tests run inside it each in their own
savepoint (pytest-django's), so what one request changes the next test does not see.
"""

import contextlib
import io
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

# The personas, as the demo's people (the README's "Demo logins"); None is the public.
PERSONAS = {
    "anonymous": None,
    "supplier_admin": "admin@lotus.example",
    "bidder": "bidder@lotus.example",
    "procurement_officer": "officer@mpw.example",
    "evaluator": "evaluator@mpw.example",
    "custodian": "custodian1@mpw.example",
    "finance_officer": "finance@mpw.example",
    "registry_officer": "registry@platform.example",
    "review_officer": "review@pprb.example",
    "auditor": "auditor@platform.example",
    "staff": "staff@platform.example",
}


@contextlib.contextmanager
def shared_world(django_db_blocker, media_root):
    """The world, for the length of the block; everything is rolled back afterwards."""
    quiet = {
        "MEDIA_ROOT": media_root,
        "OFFICER_IDLE_MINUTES": 366 * 24 * 60,
        "API_ANONYMOUS_PER_MINUTE": 1_000_000,
        "API_TOKEN_PER_MINUTE": 1_000_000,
        "CACHES": {"default": {**settings.CACHES["default"], "KEY_PREFIX": f"world-{secrets.token_hex(8)}"}},
    }
    with django_db_blocker.unblock(), override_settings(**quiet), transaction.atomic():
        yield build_world()
        transaction.set_rollback(True)


def build_world() -> dict[str, object]:
    """The demo's world and the few things it lacks; returns the placeholder → value map."""
    from bidding.models import Bid, OpenedDocument
    from contracts.models import Contract, DeliveryDocument
    from evaluation.actions.challenges import lodge_challenge
    from evaluation.models import AwardNotice, EvaluationReport
    from marketplace.actions import issue_api_token
    from marketplace.models import Organisation, Role, User
    from opendata.models import Release
    from payments.models import Guarantee, Invoice, Payment, Refund
    from suppliers.actions.team import invite_member
    from suppliers.models import Follow, Licence, LicenceRequirement, Supplier, SupplierCategory
    from tenders.models import Clarification, DocumentVersion, Tender
    from tests.bidding import helpers as bidding_helpers
    from tests.suppliers.factories import pdf_upload

    call_command("seed_demo", stdout=io.StringIO())
    people = {email: User.objects.get(email=email) for email in PERSONAS.values() if email}
    officer, lotus_admin = people["officer@mpw.example"], people["admin@lotus.example"]
    lotus = Organisation.objects.get(code="lotus")
    tenders = Tender.objects.filter(buyer__code="mpw")
    live = tenders.filter(title__contains="live opening").get()
    cancelled = bidding_helpers.cancel(
        bidding_helpers.publish(
            bidding_helpers.make_tender(officer, title="Cancelled works", deadline=timezone.now() + timedelta(days=20)), officer
        ),
        officer,
    )
    draft = tenders.get(status=Tender.Status.DRAFT)
    standstill = tenders.get(title__startswith="LED street lighting")
    awarded = tenders.get(title__startswith="Winter road salt")
    challenge = lodge_challenge(
        lotus_admin,
        lotus,
        standstill,
        grounds="The winning bid does not meet the lighting specification.",
        documents=[SimpleUploadedFile("grounds.pdf", pdf_upload().read(), content_type="application/pdf")],
    )
    supplier = Supplier.objects.get(organisation=lotus)
    invitation, invitation_key = invite_member(lotus_admin, lotus, email="newcomer@lotus.example", role=Role.BIDDER)
    token, _key = issue_api_token(lotus_admin, "access matrix")
    active = Contract.objects.get(tender=awarded)
    opened = OpenedDocument.objects.filter(bid__tender=awarded).order_by("pk").first()
    release = Release.objects.order_by("pk").first()
    return {
        "tender.draft": draft.pk,
        "tender.open": tenders.get(title__startswith="Resurfacing of the R445").pk,
        "tender.live": live.pk,
        "tender.evaluating": tenders.get(status=Tender.Status.EVALUATING).pk,
        "tender.standstill": standstill.pk,
        "tender.awarded": awarded.pk,
        "tender.cancelled": cancelled.pk,
        "tender.reference": standstill.reference,
        "document.open": DocumentVersion.objects.filter(document__tender__title__startswith="Resurfacing").order_by("pk").first().pk,
        "clarification.open": Clarification.objects.order_by("pk").first().pk,
        "bid.live": Bid.objects.get(tender=live, organisation=lotus).pk,
        "bid.evaluating": Bid.objects.filter(tender__status=Tender.Status.EVALUATING, organisation=lotus).get().pk,
        "report.standstill": EvaluationReport.objects.filter(tender=standstill).order_by("version").first().version,
        # The award notice (its own ids, not the awards'): /awards/<notice>/ and /api/v1/awards/<notice>/.
        "notice": AwardNotice.objects.filter(tender=standstill).order_by("pk").first().pk,
        "challenge": challenge.pk,
        "challenge.document": challenge.documents.order_by("pk").first().pk,
        "opened.document": opened.pk,
        "contract.active": active.pk,
        "contract.awaiting": Contract.objects.get(status=Contract.Status.AWAITING_SIGNATURES).pk,
        "delivery.document": DeliveryDocument.objects.order_by("pk").first().pk,
        "invoice": Invoice.objects.order_by("pk").first().pk,
        "payment": Payment.objects.filter(payer=lotus).order_by("idempotency_key").first().pk,
        "refund": Refund.objects.filter(payment__payer=lotus).order_by("idempotency_key").first().pk,
        "guarantee": Guarantee.objects.order_by("pk").first().pk,
        "supplier": supplier.pk,
        "supplier.user": people["bidder@lotus.example"].pk,
        "licence": Licence.objects.filter(supplier=supplier).order_by("pk").first().pk,
        "follow": Follow.objects.filter(supplier=supplier).order_by("pk").first().pk,
        "category": SupplierCategory.objects.filter(supplier=supplier).order_by("pk").first().pk,
        "requirement": LicenceRequirement.objects.order_by("pk").first().pk,
        "invitation": invitation.pk,
        "invitation.key": invitation_key,
        "token": token.pk,
        "release": release.release_id,
        "ocid": release.ocid,
    }
