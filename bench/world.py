"""The benchmark's world: one agency, a thousand verified supplier firms each with a bidder and
an API token, and tenders published the way `publish_tender` publishes them."""

from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from marketplace import actions
from marketplace.models import ApiToken, Membership, Organisation, Role, User
from suppliers.models import Supplier
from tenders.models import Item, Lot, Tender
from tenders.signals import tender_published

PREFIX = "burst"


def agency_and_officer() -> tuple[Organisation, User]:
    agency = Organisation.objects.filter(code=f"{PREFIX}-agency").first()
    if agency is None:
        agency = actions.create_organisation(None, kind=Organisation.Kind.AGENCY, name="Bench Agency", code=f"{PREFIX}-agency")
    officer = User.objects.filter(email=f"officer@{PREFIX}.bench").first()
    if officer is None:
        officer = User.objects.create_user(f"officer@{PREFIX}.bench", None)
        actions.grant_role(None, officer, agency, Role.PROCUREMENT_OFFICER)
    return agency, officer


@transaction.atomic
def suppliers(count: int) -> list[tuple[int, str]]:
    """(organisation id, API key) of `count` verified supplier firms, made in bulk."""
    start = Organisation.objects.filter(code__startswith=f"{PREFIX}-firm-").count()
    for n in range(start, count):
        code = f"{PREFIX}-firm-{n:05d}"
        organisation = Organisation.objects.create(kind=Organisation.Kind.SUPPLIER, name=f"Firm {n}", code=code)
        user = User.objects.create_user(f"bidder{n}@{PREFIX}.bench", None)
        Membership.objects.create(user=user, organisation=organisation, role=Role.BIDDER)
        supplier = Supplier(
            organisation=organisation,
            legal_name=f"Firm {n}",
            country="IE",
            registration_number=code,
            address="Bench Road",
            contact_email=f"bidder{n}@{PREFIX}.bench",
            sme_class="small",
        )
        supplier.verify()
        supplier.save()
    firms = list(Organisation.objects.filter(code__startswith=f"{PREFIX}-firm-").order_by("code")[:count])
    members = dict(Membership.objects.filter(organisation__in=firms).values_list("organisation_id", "user_id"))
    ApiToken.objects.filter(user_id__in=members.values(), name="bench").delete()
    credentials = []
    tokens = []
    for firm in firms:
        key = ApiToken.new_key()
        tokens.append(ApiToken(user_id=members[firm.pk], name="bench", digest=ApiToken.digest_of(key), hint=key[:10]))
        credentials.append((firm.pk, key))
    ApiToken.objects.bulk_create(tokens)
    return credentials


@transaction.atomic
def published_tender(agency: Organisation, officer: User, deadline: datetime, title: str) -> Tender:
    tender = Tender.objects.create(buyer=agency, title=title, currency="EUR", submission_deadline=deadline, created_by=officer)
    lot = Lot.objects.create(tender=tender, number=1, title="Works")
    Item.objects.create(tender=tender, lot=lot, description="Works", quantity=Decimal(1), unit="lot", cpv="45000000")
    tender.publish()
    tender.reference = f"BENCH-{tender.pk}"
    tender.published_at = timezone.now()
    tender.save()
    tender_published.send(sender=Tender, tender=tender, actor=officer, now=deadline)
    return tender
