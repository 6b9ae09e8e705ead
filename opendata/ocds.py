"""A tender's public state in OCDS 1.1.5 terms, as it stands at an event (read side only).

Every release carries the whole public state of its contracting process at that moment (parties,
tender, lots, items, and, once they exist, bids, awards and contracts): the record's compiled
release is then simply the latest state, and any one release can be read alone. What is public
depends on the moment: before the deadline nothing is said about bids, not even whether there
are any (电子招标投标办法: no one may learn of a tender's bids before the opening); after the
deadline the bid box's count is public; after the opening, the bids as read out.

Money is a JSON number with its currency. Amounts are stored with two decimals and at most 18
digits; a float holds every amount below 10^13 exactly as written.
"""

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Prefetch
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import override
from django_countries import countries

from bidding import opened
from bidding.models import Bid, Opening, OpeningLine
from contracts.models import Contract
from evaluation.models import Award, AwardNotice
from marketplace.models import Organisation
from payments.models import Invoice
from suppliers import cpv
from suppliers.models import SmeClass, Supplier
from suppliers.registration_numbers import EuVatScheme, scheme_for
from tenders.models import AwardMethod, Clarification, Tender

# Tender.Status → OCDS tenderStatus (closed codelist). Past the deadline and until the award the
# process is still under way; awarded, it is complete.
TENDER_STATUS = {
    Tender.Status.PUBLISHED: "active",
    Tender.Status.CLOSED: "active",
    Tender.Status.OPENING: "active",
    Tender.Status.OPENED: "active",
    Tender.Status.EVALUATING: "active",
    Tender.Status.AWARDED: "complete",
    Tender.Status.COMPLETED: "complete",
    Tender.Status.CANCELLED: "cancelled",
    Tender.Status.UNSUCCESSFUL: "unsuccessful",
}

# Award.Status → OCDS awardStatus. An award in its standstill is proposed but not yet in force.
AWARD_STATUS = {
    Award.Status.PENDING: "pending",
    Award.Status.ACTIVE: "pending",
    Award.Status.CONFIRMED: "active",
    Award.Status.CANCELLED: "cancelled",
}

# Contract.Status → OCDS contractStatus; a completed contract has come to its end: terminated.
CONTRACT_STATUS = {
    Contract.Status.ACTIVE: "active",
    Contract.Status.COMPLETED: "terminated",
    Contract.Status.TERMINATED: "terminated",
}

# Bid.Status → the bid extension's bidStatus (closed codelist).
BID_STATUS = {
    Bid.Status.SUBMITTED: "pending",
    Bid.Status.OPENED: "pending",
    Bid.Status.REJECTED: "disqualified",
    Bid.Status.QUALIFIED: "valid",
    Bid.Status.DISQUALIFIED: "disqualified",
    Bid.Status.AWARDED: "valid",
    Bid.Status.UNSUCCESSFUL: "valid",
}

# SmeClass → the partyDetails_scale extension's partyScale.
SCALE = {SmeClass.MICRO: "micro", SmeClass.SMALL: "small", SmeClass.MEDIUM: "medium", SmeClass.LARGE: "large"}

AWARD_CRITERIA = {AwardMethod.LOWEST_PRICE: "priceOnly", AwardMethod.WEIGHTED: "ratedCriteria"}

# Where no registry scheme is known for the firm's country (suppliers.registration_numbers).
FALLBACK_SCHEME = "REG"
# The platform's own identifiers of agencies (their codes, e.g. the MOT of MOT-2026-0001).
AGENCY_SCHEME = "TENDERHALL-AGENCY"


def ocid_of(tender: Tender) -> str:
    return f"{settings.OCID_PREFIX}{tender.pk}"


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def day_start(day: date) -> str:
    return stamp(datetime.combine(day, time.min, tzinfo=UTC))


def money(amount: Decimal, currency: str) -> dict:
    return {"amount": float(amount), "currency": currency}


def absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


# Parties ---------------------------------------------------------------------------------


def party_id(organisation: Organisation) -> str:
    return f"TH-ORG-{organisation.pk}"


def reference(organisation: Organisation) -> dict:
    return {"id": party_id(organisation), "name": organisation.name}


def _buyer_party(buyer: Organisation) -> dict:
    party = reference(buyer) | {"roles": ["buyer", "procuringEntity"]}
    if buyer.code:
        party["identifier"] = {"scheme": AGENCY_SCHEME, "id": buyer.code.upper(), "legalName": buyer.name}
    if buyer.country:
        party["address"] = {"countryName": countries.name(buyer.country) or buyer.country}
    return party


def _firm_party(organisation: Organisation, registration: Supplier | None, roles: list[str]) -> dict:
    """A firm with its registry identity: `<country>-<scheme>` and its registration number, the
    scheme being the one the registry checked the number against."""
    party = reference(organisation) | {"roles": roles}
    if registration is None:
        return party
    known = scheme_for(registration.country)
    if known is None:
        scheme = FALLBACK_SCHEME
    elif isinstance(known, EuVatScheme):
        scheme = "VAT"
    else:
        scheme = known.module.__name__.rsplit(".", 1)[-1].upper()  # python-stdnum's name: uscc, ein, abn, …
    party["identifier"] = {
        "scheme": f"{registration.country.upper()}-{scheme}",
        "id": registration.registration_number,
        "legalName": registration.legal_name,
    }
    party["address"] = {"streetAddress": registration.address, "countryName": countries.name(registration.country) or registration.country}
    if registration.sme_class:
        party["details"] = {"scale": SCALE[registration.sme_class]}
    return party


def parties(tender: Tender, tenderers: list[Organisation], suppliers: set[int]) -> list[dict]:
    firms = {s.organisation_id: s for s in Supplier.objects.filter(organisation__in=tenderers)}
    entries = [_buyer_party(tender.buyer)]
    for organisation in tenderers:
        roles = ["tenderer", "supplier"] if organisation.pk in suppliers else ["tenderer"]
        entries.append(_firm_party(organisation, firms.get(organisation.pk), roles))
    return entries


# Tender ----------------------------------------------------------------------------------


def _classification(code: str) -> dict:
    known = cpv.get(code)
    entry = {"scheme": "CPV", "id": code}
    if known is not None:
        entry["description"] = known.name
    return entry


def procurement_category(code: str) -> str | None:
    """OCDS mainProcurementCategory from the CPV division: 45 is works, 48 (software packages)
    and below are goods, the divisions above are services."""
    if not code:
        return None
    division = int(code[:2])
    return "works" if division == 45 else "goods" if division <= 48 else "services"


def _items(items) -> list[dict]:
    return [
        {
            "id": str(item.pk),
            "description": item.description,
            "classification": _classification(item.cpv),
            "quantity": float(item.quantity),
            "unit": {"name": item.unit},
            "relatedLot": str(item.lot.number),
        }
        for item in items
    ]


def _lots(tender: Tender, lots) -> list[dict]:
    entries = []
    for lot in lots:
        entry = {"id": str(lot.number), "title": lot.title, "status": TENDER_STATUS[tender.status]}
        if lot.description:
            entry["description"] = lot.description
        if lot.estimated_value is not None:
            entry["value"] = money(lot.estimated_value, tender.currency)
        entries.append(entry)
    return entries


def _documents(tender: Tender) -> list[dict]:
    entries = []
    for document in tender.documents.prefetch_related("versions"):
        current = document.current
        if current is None:
            continue
        entries.append(
            {
                "id": f"document-{document.pk}",
                "documentType": document.document_type,
                "title": document.title,
                "url": absolute(reverse("api-tender-document-file", args=[tender.pk, current.pk])),
                "datePublished": stamp(document.created_at),
                "dateModified": stamp(current.uploaded_at),
                "format": current.media_type,
            }
        )
    for clarification in tender.clarifications.filter(status=Clarification.Status.ANSWERED).order_by("number"):
        # Published to everyone without the asker's name (Clarification): nor is it named here.
        entries.append(
            {
                "id": f"clarification-{clarification.number}",
                "documentType": "clarifications",
                "title": _("Clarification %(number)s") % {"number": clarification.number},
                "description": f"{clarification.question}\n\n{clarification.answer}",
                "url": absolute(reverse("tenders:detail", args=[tender.pk])),
                "datePublished": stamp(clarification.answered_at),
            }
        )
    if tender.status == Tender.Status.CANCELLED:
        entries.append(
            {
                "id": "cancellation",
                "documentType": "cancellationDetails",
                "title": _("Notice of cancellation"),
                "description": tender.cancellation_reason,
                "url": absolute(reverse("tenders:detail", args=[tender.pk])),
                "datePublished": stamp(tender.cancelled_at),
            }
        )
    return entries


def _amendments(tender: Tender) -> list[dict]:
    return [
        {
            "id": str(amendment.number),
            "date": stamp(amendment.created_at),
            "rationale": amendment.reason,
            "description": "; ".join(f"{change['field']}: {change['old']} → {change['new']}" for change in amendment.changes),
        }
        for amendment in tender.amendments.order_by("number")
    ]


def tender_section(tender: Tender, lots, items) -> dict:
    section = {
        "id": tender.reference,
        "title": tender.title,
        "status": TENDER_STATUS[tender.status],
        "procuringEntity": reference(tender.buyer),
        "items": _items(items),
        "lots": _lots(tender, lots),
        "procurementMethod": "open",
        "procurementMethodDetails": tender.get_method_display(),
        "awardCriteria": AWARD_CRITERIA[tender.award_method],
        "submissionMethod": ["electronicSubmission"],
        "tenderPeriod": {"startDate": stamp(tender.published_at), "endDate": stamp(tender.submission_deadline)},
        "hasEnquiries": tender.clarifications.filter(status=Clarification.Status.ANSWERED).exists(),
        "submissionTerms": {"electronicSubmissionPolicy": "required", "advancedElectronicSignatureRequired": False},
    }
    if tender.description:
        section["description"] = tender.description
    if tender.estimated_value is not None:
        section["value"] = money(tender.estimated_value, tender.currency)
    if category := procurement_category(tender.main_category):
        section["mainProcurementCategory"] = category
    if tender.clarification_deadline:
        section["enquiryPeriod"] = {"startDate": stamp(tender.published_at), "endDate": stamp(tender.clarification_deadline)}
    if tender.deposit_amount:
        terms = _("A bid deposit of %(amount)s %(currency)s.") % {"amount": tender.deposit_amount, "currency": tender.currency}
        if tender.deposit_waived_for_sme:
            terms += " " + _("Small and medium-sized enterprises need not pay it.")
        if tender.deposit_guarantee_accepted:
            terms += " " + _("A bank guarantee for the same amount, valid for the bids' validity, is accepted instead.")
        section["submissionTerms"]["depositsGuarantees"] = terms
    if tender.submission_deadline:
        section["submissionTerms"]["bidValidityPeriod"] = {
            "startDate": stamp(tender.submission_deadline),
            "endDate": stamp(tender.submission_deadline + timedelta(days=tender.bid_validity_days)),
            "durationInDays": tender.bid_validity_days,
        }
    if documents := _documents(tender):
        section["documents"] = documents
    if amendments := _amendments(tender):
        section["amendments"] = amendments
    return section


# Bids (after the deadline only) ------------------------------------------------------------


def opened_rounds(tender: Tender) -> bool:
    return Opening.objects.filter(tender=tender, status=Opening.Status.COMPLETE).exists()


def _bid_id(bid_id, lot_number: int) -> str:
    """A bid is priced per lot: one OCDS bid per bid and lot, which the awards name."""
    return f"{bid_id}-{lot_number}"


def read_out_prices(tender: Tender) -> dict[str, tuple[dict[int, Decimal], str]]:
    """Bid id → (lot number → price, currency) as read out at the opening, in one query: the first
    price round that opened the bid, as `bidding.opened.prices` reads it bid by bid."""
    lines = OpeningLine.objects.filter(
        opening__tender=tender, opening__round__in=opened.PRICE_ROUNDS, result=OpeningLine.Result.OPENED
    ).order_by("-opening__created_at")
    found = {}
    for line in lines:  # the earliest round last, so it stands
        lots = line.content.get("lots", [])
        found[str(line.bid_id)] = (
            {entry["lot"]: Decimal(entry["price"]["amount"]) for entry in lots},
            lots[0]["price"]["currency"] if lots else tender.currency,
        )
    return found


def bids_section(tender: Tender, bids: list[Bid], now: datetime, prices_read: dict) -> dict | None:
    """None before the deadline. Past it, the bid box's count; once a round is opened, every bid
    read out, with its prices once they are opened."""
    if not tender.is_past_deadline(now):
        return None
    statistics = [{"id": "bids", "measure": "bids", "value": len(bids), "date": stamp(now)}]
    if not opened_rounds(tender):
        return {"statistics": statistics}
    details = []
    for bid in bids:
        prices, currency = prices_read.get(str(bid.pk), ({}, tender.currency))
        for lot_number in sorted(set(bid.lots) | set(prices)):
            entry = {
                "id": _bid_id(bid.pk, lot_number),
                "date": stamp(bid.received_at),
                "status": BID_STATUS[bid.status],
                "tenderers": [reference(bid.organisation)],
                "relatedLots": [str(lot_number)],
            }
            if lot_number in prices:
                entry["value"] = money(prices[lot_number], currency)
            details.append(entry)
    statuses = [BID_STATUS[bid.status] for bid in bids]
    if "pending" not in statuses:
        statistics += [
            {"id": "validBids", "measure": "validBids", "value": statuses.count("valid"), "date": stamp(now)},
            {"id": "disqualifiedBids", "measure": "disqualifiedBids", "value": statuses.count("disqualified"), "date": stamp(now)},
        ]
    return {"statistics": statistics, "details": details}


# Awards and contracts -----------------------------------------------------------------------


def awards_section(tender: Tender, lots, items, prices_read: dict) -> list[dict]:
    """Every award of every published notice (a cancelled one keeps its cancelled awards), and
    for each lot a notice left without a winner, an unsuccessful award."""
    entries = []
    items_of = {}
    for item in items:
        items_of.setdefault(item.lot_id, []).append(item)
    # The awarded price is the winning bid's price as read out (evaluation.actions.award_tender),
    # taken from the opening record: SQLite holds an 18-digit `Award.price` only approximately and
    # cannot read the largest ones back.
    awards = Prefetch("awards", queryset=Award.objects.defer("price").select_related("lot", "supplier"))
    for notice in AwardNotice.objects.filter(tender=tender).order_by("number").prefetch_related(awards):
        awarded = {award.lot_id for award in notice.awards.all()}
        for award in notice.awards.all():
            price = prices_read.get(str(award.bid_id), ({}, None))[0].get(award.lot.number)
            entries.append(
                {
                    "id": str(award.pk),
                    "status": AWARD_STATUS[award.status],
                    "date": stamp(notice.published_at),
                    "value": money(award.price if price is None else price, award.currency),
                    "suppliers": [reference(award.supplier)],
                    "items": _items(items_of.get(award.lot_id, [])),
                    "relatedLots": [str(award.lot.number)],
                    "relatedBids": [_bid_id(award.bid_id, award.lot.number)],
                }
            )
        for lot in lots:
            if lot.pk not in awarded:
                entries.append(
                    {
                        "id": f"notice-{notice.number}-lot-{lot.number}",
                        "status": "unsuccessful",
                        "date": stamp(notice.published_at),
                        "relatedLots": [str(lot.number)],
                    }
                )
    return entries


def contracts_section(tender: Tender) -> list[dict]:
    """Contracts signed by both parties; drafts and refused contracts were never public."""
    entries = []
    for contract in Contract.objects.filter(tender=tender).public().select_related("lot", "award", "buyer", "supplier").order_by("pk"):
        entry = {
            "id": str(contract.pk),
            "awardID": str(contract.award_id),
            "title": contract.number,
            "status": CONTRACT_STATUS[contract.status],
            "value": money(contract.value, contract.currency),
            "dateSigned": stamp(contract.signed_at),
            "items": [
                {
                    "id": f"{contract.pk}-{item.position}",
                    "description": item.description,
                    "classification": _classification(item.cpv),
                    "quantity": float(item.quantity),
                    "unit": {"name": item.unit} | ({"value": money(item.unit_price, contract.currency)} if item.unit_price else {}),
                }
                for item in contract.items.order_by("position")
            ],
            "signatories": [reference(contract.supplier), reference(contract.buyer)],
            "relatedBids": [_bid_id(contract.award.bid_id, contract.lot.number)],
        }
        implementation = {}
        if milestones := _milestones(contract):
            implementation["milestones"] = milestones
        if transactions := _transactions(contract):
            implementation["transactions"] = transactions
        if implementation:
            entry["implementation"] = implementation
        if amendments := _contract_amendments(contract):
            entry["amendments"] = amendments
        if completion := _completion(contract):
            entry.setdefault("implementation", {}).update(completion)
        if contract.period_start or contract.period_end:
            entry["period"] = {
                key: day_start(day) for key, day in (("startDate", contract.period_start), ("endDate", contract.period_end)) if day
            }
        entries.append(entry)
    return entries


def _contract_amendments(contract: Contract) -> list[dict]:
    """Amendments signed by both parties; the rationale is ProZorro's code, with its explanation."""
    entries = []
    for amendment in contract.amendments.in_force().order_by("number"):
        changes = []
        if amendment.new_value is not None:
            changes.append(f"value: {amendment.old_value} → {amendment.new_value} {contract.currency}")
        if amendment.new_period_end is not None:
            changes.append(f"period.endDate: {amendment.old_period_end} → {amendment.new_period_end}")
        rationale = amendment.rationale + (f": {amendment.rationale_text}" if amendment.rationale_text else "")
        entries.append(
            {
                "id": f"{contract.pk}-{amendment.number}",
                "date": stamp(amendment.decided_at),
                "rationale": rationale,
                "rationaleClassifications": [
                    {"scheme": AMENDMENT_RATIONALE_SCHEME, "id": amendment.rationale, "description": amendment.get_rationale_display()}
                ],
                "description": "; ".join(changes),
            }
        )
    return entries


# The amendment_rationale_classifications extension's scheme for the platform's rationale codes,
# which are ProZorro's contract change rationales (`Amendment.Rationale`).
AMENDMENT_RATIONALE_SCHEME = "prozorro-contract-change-rationale"


def _completion(contract: Contract) -> dict:
    """The contract_completion extension's fields once the contract has ended: when, and the value
    as performed (every milestone accepted, or what was paid before the termination)."""
    if contract.status == Contract.Status.COMPLETED and contract.completed_at:
        ended, details = contract.completed_at, ""
    elif contract.status == Contract.Status.TERMINATED and contract.terminated_at:
        ended, details = contract.terminated_at, contract.termination_reason
    else:
        return {}
    completion = {"endDate": stamp(ended)}
    if contract.final_value is not None:
        completion["finalValue"] = money(contract.final_value, contract.currency)
    if details:
        completion["finalValueDetails"] = details
    return completion


def _transactions(contract: Contract) -> list[dict]:
    """The invoices settled under the contract, each a payment from the buyer to the supplier."""
    return [
        {
            "id": f"{contract.pk}-invoice-{invoice.pk}",
            "source": invoice.number,
            "date": stamp(invoice.paid_at),
            "value": money(invoice.amount, invoice.currency),
            "payer": reference(contract.buyer),
            "payee": reference(contract.supplier),
        }
        for invoice in Invoice.objects.filter(contract=contract, status=Invoice.Status.PAID).order_by("paid_at", "pk")
    ]


# Milestone.Status → OCDS milestoneStatus (closed codelist): met once the buyer accepted the delivery.
MILESTONE_STATUS = {
    "planned": "scheduled",
    "delivered": "scheduled",
    "rejected": "notMet",
    "accepted": "met",
    "invoiced": "met",
    "paid": "met",
}


def _milestones(contract: Contract) -> list[dict]:
    entries = []
    for milestone in contract.milestones.order_by("number"):
        entry = {
            "id": f"{contract.pk}-{milestone.number}",
            "title": milestone.description,
            "type": "delivery",
            "dueDate": day_start(milestone.due_date),
            "status": MILESTONE_STATUS[milestone.status],
        }
        if milestone.deliverables:
            entry["description"] = milestone.deliverables
        if milestone.accepted_at:
            entry["dateMet"] = stamp(milestone.accepted_at)
        entries.append(entry)
    return entries


# The release ------------------------------------------------------------------------------


def release(tender: Tender, *, release_id: str, tags: list[str], now: datetime) -> dict:
    """The release `release_id` with `tags`: the tender's public state at `now`, in the platform's language."""
    with override(settings.LANGUAGE_CODE):
        lots = list(tender.lots.order_by("number"))
        items = list(tender.items.select_related("lot").order_by("lot__number", "position", "pk"))
        bids = list(Bid.objects.entered().filter(tender=tender).select_related("organisation").order_by("received_at", "pk"))
        prices_read = read_out_prices(tender) if tender.is_past_deadline(now) else {}
        bids_part = bids_section(tender, bids, now, prices_read)
        awards = awards_section(tender, lots, items, prices_read)
        winners = set(Award.objects.filter(tender=tender).exclude(status=Award.Status.CANCELLED).values_list("supplier_id", flat=True))
        # Bidders are named once the opening has read their bids out, each firm once.
        tenderers = list({bid.organisation_id: bid.organisation for bid in bids}.values()) if bids_part and "details" in bids_part else []
        data = {
            "ocid": ocid_of(tender),
            "id": release_id,
            "date": stamp(now),
            "tag": tags,
            "initiationType": "tender",
            "language": settings.LANGUAGE_CODE.split("-")[0],  # ISO 639-1: zh-hans is zh
            "parties": parties(tender, tenderers, winners),
            "buyer": reference(tender.buyer),
            "tender": tender_section(tender, lots, items),
        }
        if tenderers:
            data["tender"]["numberOfTenderers"] = len(tenderers)
            data["tender"]["tenderers"] = [reference(o) for o in tenderers]
        if bids_part:
            data["bids"] = bids_part
        if awards:
            data["awards"] = awards
        if contracts := contracts_section(tender):
            data["contracts"] = contracts
            _add_payment_roles(data["parties"], contracts)
        return data


def _add_payment_roles(entries: list[dict], contracts: list[dict]) -> None:
    """The buyer is also `payer`, and each supplier paid also `payee`, once a transaction names them."""
    payers, payees = set(), set()
    for contract in contracts:
        for transaction in contract.get("implementation", {}).get("transactions", []):
            payers.add(transaction["payer"]["id"])
            payees.add(transaction["payee"]["id"])
    for party in entries:
        for role, ids in (("payer", payers), ("payee", payees)):
            if party["id"] in ids and role not in party["roles"]:
                party["roles"].append(role)
