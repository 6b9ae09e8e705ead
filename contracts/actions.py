"""Every state-changing use case of a contract, one function each, owning its transaction.

Lock order: the tender (where the award changes too), then the contract.
"""

from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from bidding import opened
from contracts import certificates, document, signatures
from contracts.models import Contract, ContractItem, ContractSignature, Milestone
from contracts.signals import contract_refused, contract_signed
from evaluation.actions import cancel_confirmed_award
from evaluation.models import Award
from marketplace import audit, live, twofactor
from marketplace.access import FIRM_ROLES, has_role
from marketplace.errors import ActionError, Conflict, Forbidden, Problem
from marketplace.models import Role, User
from marketplace.notify import notify
from marketplace.timefmt import shown
from suppliers.models import Supplier
from tenders.actions.common import lock as lock_tender
from tenders.actions.common import platform_language

# What the officer may change in a draft; everything else is fixed by the award (政府采购法 Art. 46).
EDITABLE = ("period_start", "period_end", "special_terms", "buyer_signatories", "supplier_signatories")
FIXED_BY_AWARD = ("value", "currency", "items", "supplier", "buyer", "lot", "number")
SIGNATURE_FIELDS = {Contract.Party.SUPPLIER: "SupplierSignature", Contract.Party.BUYER: "BuyerSignature"}


def contract_path(contract: Contract) -> str:
    return reverse("contracts:detail", args=[contract.pk])


def lock(contract: Contract | int) -> Contract:
    pk = contract.pk if isinstance(contract, Contract) else contract
    return Contract.objects.select_for_update().select_related("tender", "lot", "buyer", "supplier").get(pk=pk)


# Drawing up ------------------------------------------------------------------------------


def draw_up_contract(award: Award, *, actor: User | None, now: datetime) -> Contract:
    """The draft contract of a confirmed award, made once (a second call returns the first).
    Runs inside `confirm_awards`' transaction, which holds the tender's lock."""
    existing = Contract.objects.filter(award=award).first()
    if existing is not None:
        return existing
    tender = award.tender
    number = f"{tender.reference}-C{Contract.objects.filter(tender=tender).count() + 1}"
    try:
        with transaction.atomic():
            contract = Contract.objects.create(
                award=award,
                tender=tender,
                lot=award.lot,
                buyer=tender.buyer,
                supplier=award.supplier,
                number=number,
                buyer_details=_buyer_details(tender),
                supplier_details=_supplier_details(award.supplier),
                value=award.price,
                currency=award.currency,
                signing_deadline=now + timedelta(days=settings.CONTRACT_SIGNING_DAYS),
                created_at=now,
            )
            items = list(award.lot.items.order_by("position", "pk"))
            unit_prices = lot_unit_prices(items, opened.prices(award.bid).get(award.lot.number), award.price)
            ContractItem.objects.bulk_create(
                ContractItem(
                    contract=contract,
                    position=position,
                    description=item.description,
                    quantity=item.quantity,
                    unit=item.unit,
                    cpv=item.cpv,
                    unit_price=unit_prices[position - 1],
                )
                for position, item in enumerate(items, start=1)
            )
    except IntegrityError:
        # The same award confirmed twice at once: the first draft stands.
        return Contract.objects.get(award=award)
    audit.record(
        "contract.drawn_up",
        actor=actor,
        organisation=tender.buyer,
        obj=contract,
        payload={"number": number, "award": award.pk, "value": contract.value, "currency": contract.currency},
        now=now,
    )
    announce(contract, "contract.drawn_up")
    with platform_language():
        notify(
            buyer_officers(contract),
            kind="contract.drawn_up",
            title=lambda: _("Contract %(number)s is ready to prepare") % {"number": number},
            body=lambda: (
                _("Set the period and the signatories, then send it for signature before %(deadline)s.")
                % {"deadline": shown(contract.signing_deadline)}
            ),
            url=contract_path(contract),
            organisation=contract.buyer,
        )
    return contract


def lot_unit_prices(items, bid_lot_price: Decimal | None, awarded: Decimal) -> list[Decimal | None]:
    """Unit prices for the lot's items. A bid prices a lot as a whole, so a unit price follows
    from it only for a single-item lot whose price divides exactly by the quantity; otherwise
    the items carry their quantities and the lot's price is the contract value, unsplit."""
    price = bid_lot_price if bid_lot_price is not None else awarded
    if len(items) == 1:
        unit = (price / items[0].quantity).quantize(Decimal("0.01"))
        if unit * items[0].quantity == price:
            return [unit]
    return [None] * len(items)


def _signatory(user: User) -> dict:
    return {"name": user.full_name or user.email, "title": "", "email": user.email}


def _buyer_details(tender) -> dict:
    officers = list(User.objects.with_membership(Role.PROCUREMENT_OFFICER, organisation=tender.buyer_id).order_by("pk"))
    named = [u for u in officers if u.pk == tender.created_by_id] or officers[:1]
    return {
        "legal_name": tender.buyer.name,
        "country": tender.buyer.country,
        "registration_number": "",
        "address": "",
        "signatories": [_signatory(u) for u in named],
    }


def _supplier_details(organisation) -> dict:
    registration = Supplier.objects.filter(organisation=organisation).first()
    admins = User.objects.with_membership(Role.SUPPLIER_ADMIN, organisation=organisation).order_by("pk")
    return {
        "legal_name": registration.legal_name if registration else organisation.name,
        "country": registration.country if registration else organisation.country,
        "registration_number": registration.registration_number if registration else "",
        "address": registration.address if registration else "",
        "signatories": [_signatory(u) for u in admins],
    }


# Preparing the draft ---------------------------------------------------------------------


def edit_draft(actor: User, contract: Contract, changes: dict) -> Contract:
    """The buyer's officer changes what the rules let them change in a draft. `changes` holds
    only the fields sent; any field fixed by the award is refused, and nothing is changed."""
    problems = [
        Problem(_("Fixed by the award: the contract may not depart from the winning bid."), "fixed_by_award", name)
        for name in changes
        if name in FIXED_BY_AWARD
    ]
    problems += [
        Problem(_("This field cannot be changed."), "not_editable", name) for name in changes if name not in EDITABLE + FIXED_BY_AWARD
    ]
    if problems:
        raise ActionError(problems=problems)
    with transaction.atomic():
        contract = lock(contract)
        _require(contract, Contract.Status.DRAFT, _("Only a draft contract can be edited."))
        start = changes.get("period_start", contract.period_start)
        end = changes.get("period_end", contract.period_end)
        if start and end and end < start:
            raise ActionError(_("The period cannot end before it starts."), code="period_reversed", field="period_end")
        now = timezone.now()
        before = _editable_values(contract)
        for name in ("period_start", "period_end", "special_terms"):
            if name in changes:
                setattr(contract, name, changes[name])
        for party in ("buyer", "supplier"):
            if f"{party}_signatories" in changes:
                details = getattr(contract, f"{party}_details")
                details["signatories"] = [
                    {"name": s["name"], "title": s.get("title", ""), "email": s.get("email", "")} for s in changes[f"{party}_signatories"]
                ]
        after = _editable_values(contract)
        if after == before:
            return contract
        contract.version += 1
        contract.save()
        audit.record(
            "contract.edited",
            actor=actor,
            organisation=contract.buyer,
            obj=contract,
            payload={"changes": {k: [before[k], after[k]] for k in after if before[k] != after[k]}, "version": contract.version},
            now=now,
        )
        announce(contract, "contract.edited")
    return contract


def _editable_values(contract: Contract) -> dict:
    return audit.json_safe(
        {
            "period_start": contract.period_start,
            "period_end": contract.period_end,
            "special_terms": contract.special_terms,
            "buyer_signatories": contract.buyer_details["signatories"],
            "supplier_signatories": contract.supplier_details["signatories"],
        }
    )


def set_milestones(actor: User, contract: Contract, milestones: list[document.Milestone]) -> Contract:
    """The buyer's officer writes the draft's payment milestones, replacing those written
    before (numbered in the order given). Their amounts must sum to the contract value exactly
    and each falls due within the period of performance; an empty list leaves the default, one
    milestone for the whole value due at the period end, which sending writes."""
    with transaction.atomic():
        contract = lock(contract)
        _require(contract, Contract.Status.DRAFT, _("Only a draft contract's milestones can be written."))
        if milestones:
            problems = milestone_problems(contract, milestones)
            if problems:
                raise ActionError(problems=problems)
        now = timezone.now()
        before = _milestone_values(contract.milestones.all())
        after = _milestone_values(milestones)
        if after == before:
            return contract
        contract.milestones.all().delete()
        Milestone.objects.bulk_create(
            Milestone(
                contract=contract,
                number=number,
                description=plan.description,
                deliverables=plan.deliverables,
                due_date=plan.due_date,
                amount=plan.amount,
            )
            for number, plan in enumerate(milestones, start=1)
        )
        contract.version += 1
        contract.save()
        audit.record(
            "contract.milestones_set",
            actor=actor,
            organisation=contract.buyer,
            obj=contract,
            payload={"milestones": [before, after], "version": contract.version},
            now=now,
        )
        announce(contract, "contract.edited")
    return contract


def milestone_problems(contract: Contract, milestones: list[document.Milestone]) -> list[Problem]:
    """What is wrong with these milestones for this contract: each amount positive and in cents,
    each due date within the period, and the amounts summing to the value to the cent (the
    contract may not pay more or less than the winning bid, 政府采购法 Art. 46)."""
    problems = []
    for index, plan in enumerate(milestones):
        if plan.amount <= 0 or plan.amount != plan.amount.quantize(Decimal("0.01")):
            problems.append(Problem(_("Give a positive amount in cents."), "invalid_amount", f"milestones[{index}].amount"))
        early = contract.period_start is not None and plan.due_date < contract.period_start
        late = contract.period_end is not None and plan.due_date > contract.period_end
        if early or late:
            problems.append(
                Problem(
                    _("The due date must fall within the period of performance."), "due_outside_period", f"milestones[{index}].due_date"
                )
            )
    total = sum((plan.amount for plan in milestones), Decimal("0"))
    if total != contract.value:
        problems.append(
            Problem(
                _("The milestones add up to %(total)s %(currency)s; the contract value is %(value)s %(currency)s.")
                % {"total": total, "value": contract.value, "currency": contract.currency},
                "amounts_do_not_sum",
                "milestones",
            )
        )
    return problems


def _milestone_values(milestones) -> list[dict]:
    return audit.json_safe(
        [{"description": m.description, "deliverables": m.deliverables, "due_date": m.due_date, "amount": m.amount} for m in milestones]
    )


def planned_milestones(contract: Contract, language: str) -> list[document.Milestone]:
    """The milestones the document will state: those written, or else one for the whole value
    due at the period end, described in the document's language."""
    written = [document.Milestone(m.description, m.due_date, m.amount, m.deliverables) for m in contract.milestones.all()]
    if written:
        return written
    with translation.override(language):
        return [document.Milestone(_("Performance of the whole contract"), contract.period_end, contract.value)]


def send_for_signature(actor: User, contract: Contract) -> Contract:
    """Render the document and send it to the parties for signature.

    Rendering takes seconds (the CJK font is subset for each document), so it runs in the
    request before any lock is taken; under the lock the draft must still be the version that
    was rendered, or the officer is asked to send again.
    """
    contract = Contract.objects.select_related("tender", "lot", "buyer", "supplier").get(pk=contract.pk)
    _require(contract, Contract.Status.DRAFT, _("Only a draft contract can be sent for signature."))
    missing = [
        Problem(_("Set the period of performance first."), "required", name)
        for name in ("period_start", "period_end")
        if getattr(contract, name) is None
    ]
    missing += [
        Problem(_("Name at least one signatory."), "required", f"{party}_signatories")
        for party in ("buyer", "supplier")
        if not getattr(contract, f"{party}_details")["signatories"]
    ]
    if missing:
        raise ActionError(problems=missing)
    language = actor.reading_language
    milestones = planned_milestones(contract, language)
    problems = milestone_problems(contract, milestones)
    if problems:
        raise ActionError(problems=problems)
    now = timezone.now()
    rendered = document.render(contract_document(contract, issued_on=now.date(), milestones=milestones), language)
    with transaction.atomic():
        locked = lock(contract)
        _require(locked, Contract.Status.DRAFT, _("Only a draft contract can be sent for signature."))
        if locked.version != contract.version:
            raise Conflict(_("The draft changed while it was being rendered: send it again."), code="draft_changed")
        if not locked.milestones.exists():
            [whole] = milestones
            Milestone.objects.create(contract=locked, number=1, description=whole.description, due_date=whole.due_date, amount=whole.amount)
        locked.document.save(f"{locked.number}-{rendered.sha256[:16]}.pdf", ContentFile(rendered.pdf), save=False)
        locked.document_sha256, locked.document_language = rendered.sha256, language
        locked.send_for_signature()
        locked.sent_at = now
        locked.save()
        audit.record(
            "contract.sent_for_signature",
            actor=actor,
            organisation=locked.buyer,
            obj=locked,
            payload={"sha256": rendered.sha256, "language": language, "version": locked.version},
            now=now,
        )
        announce(locked, "contract.sent_for_signature")
        with platform_language():
            notify(
                supplier_signatories(locked),
                kind="contract.to_sign",
                title=lambda: _("Contract %(number)s is ready for your signature") % {"number": locked.number},
                body=lambda: _("Sign it before %(deadline)s, or the award lapses.") % {"deadline": shown(locked.signing_deadline)},
                url=contract_path(locked),
                organisation=locked.supplier,
            )
    return locked


def contract_document(contract: Contract, *, issued_on, milestones: list[document.Milestone] = ()) -> document.ContractDocument:
    def party(details: dict) -> document.Party:
        return document.Party(
            details["legal_name"],
            details["country"],
            details["registration_number"],
            details["address"],
            tuple(document.Signatory(s["name"], s.get("title", ""), s.get("email", "")) for s in details["signatories"]),
        )

    return document.ContractDocument(
        number=contract.number,
        tender_reference=contract.tender.reference,
        tender_title=contract.tender.title,
        buyer=party(contract.buyer_details),
        supplier=party(contract.supplier_details),
        lot_number=contract.lot.number,
        lot_title=contract.lot.title,
        items=tuple(document.Item(i.description, i.quantity, i.unit, i.unit_price) for i in contract.items.all()),
        value=contract.value,
        currency=contract.currency,
        period_start=contract.period_start,
        period_end=contract.period_end,
        issued_on=issued_on,
        milestones=tuple(milestones),
        special_terms=contract.special_terms,
    )


# Signing ---------------------------------------------------------------------------------


def signing_party(user: User, contract: Contract) -> str | None:
    """For which party `user` may sign this contract: a supplier administrator of the winning
    firm, a procurement officer of the buyer."""
    if has_role(user, contract.supplier_id, Role.SUPPLIER_ADMIN):
        return Contract.Party.SUPPLIER
    if has_role(user, contract.buyer_id, Role.PROCUREMENT_OFFICER):
        return Contract.Party.BUYER
    return None


def sign_contract(actor: User, contract: Contract, *, password: str, otp: str | None = None) -> Contract:
    """The actor re-authenticates with their password (and a fresh code from their authenticator
    app, if they have one) and the platform signs the document in their name (PAdES, an
    incremental update): the supplier first, then the buyer. Signed by both, the contract is
    active and public."""
    if not actor.check_password(password or ""):
        raise Forbidden(_("The password is not correct: the contract was not signed."), code="wrong_password", field="password")
    twofactor.require_code(actor, otp, purpose="contract.sign")
    with transaction.atomic():
        contract = lock(contract)
        party = signing_party(actor, contract)
        if party is None:
            raise Forbidden(_("You do not sign for either party of this contract."), code="not_a_signatory")
        _require(contract, Contract.Status.AWAITING_SIGNATURES, _("This contract is not awaiting signatures."))
        now = timezone.now()
        if contract.signatures.filter(party=party).exists():
            raise Conflict(_("Your party has already signed this contract."), code="already_signed")
        if party == Contract.Party.BUYER and not contract.signatures.filter(party=Contract.Party.SUPPLIER).exists():
            raise Conflict(_("The supplier signs first."), code="supplier_signs_first")
        if party == Contract.Party.SUPPLIER and contract.signing_period_over(now):
            raise Conflict(
                _("The signing period ended at %(deadline)s.") % {"deadline": shown(contract.signing_deadline)}, code="signing_period_over"
            )
        organisation = contract.supplier if party == Contract.Party.SUPPLIER else contract.buyer
        details = contract.supplier_details if party == Contract.Party.SUPPLIER else contract.buyer_details
        certificate = certificates.signatory_certificate(
            actor, organisation, now=now, country=details["country"], registration_number=details["registration_number"]
        )
        source = contract.signed_document or contract.document
        with source.open("rb") as file:
            unsigned = file.read()
        signed = signatures.sign_pdf(
            unsigned,
            certificate,
            field_name=SIGNATURE_FIELDS[party],
            now=now,
            reason=_("Signed for %(organisation)s") % {"organisation": details["legal_name"]},
            location=settings.SITE_URL,
        )
        rendered = document.RenderedDocument(signed, contract.document_language)
        contract.signed_document.save(f"{contract.number}-{party}-{rendered.sha256[:16]}.pdf", ContentFile(signed), save=False)
        contract.signed_sha256 = rendered.sha256
        ContractSignature.objects.create(
            contract=contract,
            party=party,
            signed_by=actor,
            organisation=organisation,
            certificate=certificate,
            field_name=SIGNATURE_FIELDS[party],
            signed_at=now,
            sha256=rendered.sha256,
        )
        audit.record(
            "contract.signed",
            actor=actor,
            organisation=organisation,
            obj=contract,
            payload={"party": party, "certificate": certificate.serial, "sha256": rendered.sha256},
            now=now,
        )
        if party == Contract.Party.BUYER:
            contract.activate()
            contract.signed_at = now
            audit.record(
                "contract.activated", actor=actor, organisation=contract.buyer, obj=contract, payload={"sha256": rendered.sha256}, now=now
            )
        contract.save()
        if party == Contract.Party.BUYER:
            contract_signed.send(sender=Contract, contract=contract, actor=actor, now=now)
        announce(contract, "contract.signed", {"party": party})
        with platform_language():
            if party == Contract.Party.SUPPLIER:
                notify(
                    buyer_officers(contract),
                    kind="contract.signed",
                    title=lambda: (
                        _("%(supplier)s signed contract %(number)s") % {"supplier": contract.supplier.name, "number": contract.number}
                    ),
                    body=lambda: _("Countersign it to make it active."),
                    url=contract_path(contract),
                    organisation=contract.buyer,
                )
            else:
                notify(
                    supplier_signatories(contract),
                    kind="contract.active",
                    title=lambda: _("Contract %(number)s is signed by both parties") % {"number": contract.number},
                    body=lambda: _("The contract is active and published."),
                    url=contract_path(contract),
                    organisation=contract.supplier,
                )
    return contract


# Refusal ---------------------------------------------------------------------------------


def decline_contract(actor: User, contract: Contract, *, reason: str) -> Contract:
    """The winning firm declines the contract: it is cancelled, and so is the award."""
    reason = (reason or "").strip()
    if not reason:
        raise ActionError(_("Say why the contract is declined."), code="required", field="reason")
    with transaction.atomic():
        lock_tender(contract.tender_id)
        contract = lock(contract)
        if signing_party(actor, contract) != Contract.Party.SUPPLIER:
            raise Forbidden(_("Only the winning firm's administrator can decline the contract."), code="not_the_supplier")
        if contract.status not in Contract.SIGNABLE_STATUSES:
            raise Conflict(_("This contract can no longer be declined."), code="not_declinable")
        if contract.signatures.filter(party=Contract.Party.SUPPLIER).exists():
            raise Conflict(_("Your firm has already signed this contract."), code="already_signed")
        return _cancel(contract, actor=actor, reason=reason, cause="declined", now=timezone.now())


def expire_contract(contract: Contract | int, *, now: datetime | None = None) -> bool:
    """Cancel a contract the supplier did not sign by the signing deadline (with its award).
    Idempotent, and harmless when run early: the deadline is checked under the lock."""
    with transaction.atomic():
        pk = contract.pk if isinstance(contract, Contract) else contract
        tender_id = Contract.objects.filter(pk=pk).values_list("tender_id", flat=True).first()
        if tender_id is None:
            return False
        lock_tender(tender_id)
        contract = lock(pk)
        now = now or timezone.now()
        if contract.status != Contract.Status.AWAITING_SIGNATURES or not contract.signing_period_over(now):
            return False
        if contract.signatures.filter(party=Contract.Party.SUPPLIER).exists():
            return False
        reason = _("The supplier did not sign by %(deadline)s.") % {"deadline": contract.signing_deadline.isoformat()}
        _cancel(contract, actor=None, reason=reason, cause="expired", now=now)
    return True


def _cancel(contract: Contract, *, actor: User | None, reason: str, cause: str, now: datetime) -> Contract:
    contract.cancel()
    contract.cancelled_at, contract.cancellation_reason = now, reason
    contract.save()
    audit.record(
        "contract.cancelled", actor=actor, organisation=contract.buyer, obj=contract, payload={"cause": cause, "reason": reason}, now=now
    )
    cancel_confirmed_award(actor, contract.award, reason=reason, now=now)
    contract_refused.send(sender=Contract, contract=contract, cause=cause, reason=reason, actor=actor, now=now)
    announce(contract, "contract.cancelled", {"cause": cause})
    with platform_language():
        notify(
            buyer_officers(contract) + supplier_signatories(contract),
            kind="contract.cancelled",
            title=lambda: _("Contract %(number)s is cancelled") % {"number": contract.number},
            body=reason,
            url=contract_path(contract),
            organisation=contract.buyer,
        )
    return contract


# Shared ----------------------------------------------------------------------------------


def _require(contract: Contract, status: str, message: str) -> None:
    if contract.status != status:
        raise Conflict(message, code=f"not_{status}")


def buyer_officers(contract: Contract) -> list[User]:
    return list(User.objects.with_membership(Role.PROCUREMENT_OFFICER, organisation=contract.buyer_id))


def supplier_signatories(contract: Contract) -> list[User]:
    return list(User.objects.with_membership(Role.SUPPLIER_ADMIN, organisation=contract.supplier_id))


def supplier_members(contract: Contract) -> list[User]:
    """The winning firm's administrators and bidders: those who deliver."""
    return list(User.objects.with_membership(*FIRM_ROLES, organisation=contract.supplier_id))


def announce(contract: Contract, kind: str, extra: dict | None = None) -> None:
    """Both parties' members and the tender's watchers hear of it (stored now, sent after commit)."""
    payload = {"contract": contract.pk, "number": contract.number, "status": contract.status, "lot": contract.lot.number} | (extra or {})
    for subject in (f"org.{contract.buyer_id}", f"org.{contract.supplier_id}", f"tender.{contract.tender_id}"):
        live.publish(subject, kind, payload)
