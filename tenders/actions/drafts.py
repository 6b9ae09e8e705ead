"""Writing a tender before it is published: a draft may be saved incomplete, never malformed.

Every value is checked as it is saved (a CPV code that does not exist, an unknown currency, a
negative amount); completeness is checked only at publication (`tenders.rules`).
"""

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from marketplace import audit
from marketplace.errors import ActionError, Conflict, Problem
from marketplace.models import Membership, Organisation, Role, User
from suppliers import cpv
from suppliers.models import LicenceType
from tenders.actions.common import lock, model_problems
from tenders.models import Criterion, Custody, DocumentVersion, Item, Lot, Tender, TenderCustodian

# What the authoring page and the API may set on a draft.
DRAFT_FIELDS = (
    "title",
    "description",
    "method",
    "main_category",
    "estimated_value",
    "currency",
    "divided_into_lots",
    "envelope_mode",
    "award_method",
    "price_weight",
    "abnormally_low_percent",
    "evaluation_committee_required",
    "min_bids",
    "max_envelope_bytes",
    "deposit_amount",
    "deposit_waived_for_sme",
    "deposit_guarantee_accepted",
    "bid_validity_days",
    "min_response_days",
    "clarification_deadline",
    "submission_deadline",
    "standstill_days",
    "challenge_answer_days",
    "custody",
    "custody_threshold",
    "opening_quorum_hours",
)


@dataclass
class ItemSpec:
    description: str
    quantity: Decimal
    unit: str
    cpv: str


@dataclass
class LotSpec:
    title: str = ""
    description: str = ""
    estimated_value: Decimal | None = None
    sme_reserved: bool = False
    items: list[ItemSpec] = field(default_factory=list)
    number: int | None = None  # defaults to the position in the list, from 1


@dataclass
class CriterionSpec:
    name: str
    weight: int
    description: str = ""
    max_score: int = 10


@dataclass
class DraftSpec:
    """What to write. A part left as None stays as it is; a list given replaces the old one."""

    fields: dict[str, Any] = field(default_factory=dict)
    lots: list[LotSpec] | None = None
    criteria: list[CriterionSpec] | None = None
    custodians: list[User] | None = None
    licence_types: list[LicenceType] | None = None


def create_draft(actor: User, buyer: Organisation, spec: DraftSpec) -> Tender:
    if buyer.kind != Organisation.Kind.AGENCY:
        raise ActionError(_("Only a contracting agency can be the buyer of a tender."), code="not_agency", field="buyer")
    with transaction.atomic():
        tender = Tender(buyer=buyer, created_by=actor)
        _write(tender, spec, creating=True)
        audit.record("tender.drafted", actor=actor, organisation=buyer, obj=tender, payload={"title": tender.title})
    return tender


def update_draft(actor: User, tender: Tender, spec: DraftSpec) -> Tender:
    with transaction.atomic():
        tender = lock(tender)
        if tender.status != Tender.Status.DRAFT:
            raise Conflict(_("Only a draft can be edited; a published tender changes by amendment."), code="not_draft")
        changed = _write(tender, spec, creating=False)
        audit.record("tender.draft_saved", actor=actor, organisation=tender.buyer, obj=tender, payload={"changed": changed})
    return tender


def discard_draft(actor: User, tender: Tender) -> None:
    """A draft was never public: discarding it deletes it (the audit chain keeps the fact)."""
    with transaction.atomic():
        tender = lock(tender)
        if tender.status != Tender.Status.DRAFT:
            raise Conflict(_("Only a draft can be discarded; a published tender can be cancelled."), code="not_draft")
        files = [v.file.name for d in tender.documents.all() for v in d.versions.all()]
        audit.record(
            "tender.draft_discarded",
            actor=actor,
            organisation=tender.buyer,
            obj=tender,
            payload={"title": tender.title, "files": len(files)},
        )
        storage = DocumentVersion._meta.get_field("file").storage
        tender.delete()
        transaction.on_commit(lambda: [storage.delete(name) for name in files])


def _write(tender: Tender, spec: DraftSpec, *, creating: bool) -> list[str]:
    """Validate the whole spec, then write it; nothing is written if anything is wrong."""
    unknown = sorted(set(spec.fields) - set(DRAFT_FIELDS))
    if unknown:
        raise ActionError(problems=[Problem(_("This field cannot be set."), "unknown_field", name) for name in unknown])
    fields = dict(spec.fields)
    if fields.get("main_category"):
        fields["main_category"] = cpv.normalise(fields["main_category"])
    changed = [name for name, value in fields.items() if getattr(tender, name) != value]
    for name, value in fields.items():
        setattr(tender, name, value)
    if tender.custody != Custody.COMMITTEE:
        tender.custody_threshold = None

    problems: list[Problem] = []
    lots = _build_lots(tender, spec, creating, problems)
    if tender.divided_into_lots and lots is not None and lots and all(lot.estimated_value is not None for lot, _ in lots):
        tender.estimated_value = sum((lot.estimated_value for lot, _ in lots), Decimal(0))
    problems += model_problems(tender, exclude=["buyer", "created_by", "reference", "status", "search_document", "category_codes"])
    criteria = _build_criteria(tender, spec, problems)
    custodians = _check_custodians(tender, spec, problems)
    if problems:
        raise ActionError(problems=problems)

    if lots is not None:
        item_codes = [item.cpv for _lot, items in lots for item in items]
    else:
        item_codes = list(tender.items.values_list("cpv", flat=True)) if tender.pk else []
    tender.category_codes = Tender.categories_of(tender.main_category, item_codes)
    tender.save()
    if lots is not None:
        tender.lots.all().delete()
        for lot, items in lots:
            lot.tender = tender
            lot.save()
            for position, item in enumerate(items, start=1):
                item.tender, item.lot, item.position = tender, lot, position
                item.save()
        changed.append("lots")
    elif not tender.divided_into_lots:
        # A tender not divided into lots keeps its one lot in step with itself.
        tender.lots.update_or_create(number=1, defaults={"title": tender.title, "estimated_value": tender.estimated_value})
    if criteria is not None:
        tender.criteria.all().delete()
        Criterion.objects.bulk_create(criteria)
        changed.append("criteria")
    if custodians is not None or tender.custody != Custody.COMMITTEE:
        tender.custodian_seats.all().delete()
        seats = [TenderCustodian(tender=tender, user=user, position=n) for n, user in enumerate(custodians or [], start=1)]
        TenderCustodian.objects.bulk_create(seats)
        if custodians is not None:
            changed.append("custodians")
    if spec.licence_types is not None:
        tender.required_licence_types.set(spec.licence_types)
        changed.append("required_licence_types")
    return sorted(set(changed))


def _build_lots(tender: Tender, spec: DraftSpec, creating: bool, problems: list[Problem]) -> list[tuple[Lot, list[Item]]] | None:
    if spec.lots is None:
        if creating and not tender.divided_into_lots:
            return [(Lot(number=1, title=tender.title, estimated_value=tender.estimated_value), [])]
        if not creating and not tender.divided_into_lots and tender.lots.count() > 1:
            problems.append(Problem(_("This tender has several lots: keep it divided into lots, or give its one lot."), "lots", "lots"))
        return None
    if not tender.divided_into_lots and len(spec.lots) > 1:
        problems.append(Problem(_("Divide the tender into lots to give it more than one lot."), "lots", "lots"))
        return None
    built, numbers = [], set()
    for index, lot_spec in enumerate(spec.lots):
        number = lot_spec.number or index + 1
        if tender.divided_into_lots:
            lot = Lot(
                number=number,
                title=lot_spec.title,
                description=lot_spec.description,
                estimated_value=lot_spec.estimated_value,
                sme_reserved=lot_spec.sme_reserved,
            )
        else:
            lot = Lot(number=1, title=tender.title, description=lot_spec.description, estimated_value=tender.estimated_value)
            lot.sme_reserved = lot_spec.sme_reserved
        if lot.number in numbers:
            problems.append(
                Problem(_("Two lots have the number %(number)s.") % {"number": lot.number}, "duplicate", f"lots.{index}.number")
            )
        numbers.add(lot.number)
        # The one lot of an undivided tender takes the tender's title, checked there.
        exclude = ["tender"] if tender.divided_into_lots else ["tender", "title"]
        problems += model_problems(lot, exclude=exclude, prefix=f"lots.{index}.")
        items = []
        for position, item_spec in enumerate(lot_spec.items):
            item = Item(
                description=item_spec.description, quantity=item_spec.quantity, unit=item_spec.unit, cpv=cpv.normalise(item_spec.cpv)
            )
            problems += model_problems(item, exclude=["tender", "lot"], prefix=f"lots.{index}.items.{position}.")
            items.append(item)
        built.append((lot, items))
    return built


def _build_criteria(tender: Tender, spec: DraftSpec, problems: list[Problem]) -> list[Criterion] | None:
    if spec.criteria is None:
        return None
    criteria = []
    for position, criterion_spec in enumerate(spec.criteria, start=1):
        criterion = Criterion(
            tender=tender,
            position=position,
            name=criterion_spec.name,
            description=criterion_spec.description,
            weight=criterion_spec.weight,
            max_score=criterion_spec.max_score,
        )
        problems += model_problems(criterion, exclude=["tender"], prefix=f"criteria.{position - 1}.")
        criteria.append(criterion)
    return criteria


def _check_custodians(tender: Tender, spec: DraftSpec, problems: list[Problem]) -> list[User] | None:
    if spec.custodians is None or tender.custody != Custody.COMMITTEE:
        return None
    allowed = set(Membership.objects.active().filter(organisation=tender.buyer, role=Role.CUSTODIAN).values_list("user_id", flat=True))
    seen = set()
    for index, user in enumerate(spec.custodians):
        if user.pk in seen:
            problems.append(Problem(_("Each custodian may be named only once."), "duplicate", f"custodians.{index}"))
        elif user.pk not in allowed:
            problems.append(
                Problem(
                    _("%(person)s is not an opening custodian of %(agency)s.") % {"person": user, "agency": tender.buyer},
                    "not_custodian",
                    f"custodians.{index}",
                )
            )
        seen.add(user.pk)
    return spec.custodians
