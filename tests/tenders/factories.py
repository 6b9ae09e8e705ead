"""Tenders for tests, written and published through the real actions."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from marketplace.models import Organisation
from tenders import actions
from tenders.actions import CriterionSpec, DraftSpec, ItemSpec, LotSpec
from tenders.models import Tender
from tests.factories import make_supplier  # noqa: F401  (one factory for every app's tests)

ROAD = "45233140"  # Roadworks
BRIDGE = "45221111"  # Road bridge construction work
CONSTRUCTION = "45000000"
LAPTOPS = "30213100"  # Portable computers


def complete_fields(**overrides) -> dict:
    now = timezone.now()
    fields = {
        "title": "Resurfacing of the N7 between Naas and Kildare",
        "description": "Milling and resurfacing of 12 km of national road, with road markings.",
        "main_category": ROAD,
        "estimated_value": Decimal("1200000.00"),
        "currency": "EUR",
        "clarification_deadline": now + timedelta(days=10),
        "submission_deadline": now + timedelta(days=20),
    }
    return fields | overrides


def items(*codes: str) -> list[ItemSpec]:
    return [ItemSpec(description=f"Works of category {code}", quantity=Decimal("1"), unit="lot", cpv=code) for code in codes or (ROAD,)]


def complete_spec(**overrides) -> DraftSpec:
    """A draft that can be published as it is."""
    return DraftSpec(fields=complete_fields(**overrides), lots=[LotSpec(items=items())])


def lots_spec(**overrides) -> DraftSpec:
    """A draft divided into two lots, the second reserved for SMEs."""
    lots = [
        LotSpec(title="Northern section", estimated_value=Decimal("700000"), items=items(ROAD)),
        LotSpec(title="Bridge repairs", estimated_value=Decimal("300000"), sme_reserved=True, items=items(BRIDGE)),
    ]
    return DraftSpec(fields=complete_fields(divided_into_lots=True, **overrides), lots=lots)


def weighted_spec(price_weight: int = 60, weights: tuple[int, ...] = (30, 10), **overrides) -> DraftSpec:
    spec = complete_spec(award_method="weighted", price_weight=price_weight, **overrides)
    spec.criteria = [CriterionSpec(name=f"Criterion {n}", weight=w) for n, w in enumerate(weights, start=1)]
    return spec


def make_draft(officer, agency: Organisation, spec: DraftSpec | None = None) -> Tender:
    return actions.create_draft(officer, agency, spec or complete_spec())


def make_published(officer, agency: Organisation, spec: DraftSpec | None = None) -> Tender:
    return actions.publish_tender(officer, make_draft(officer, agency, spec))
