"""Amendments of an active contract: the buyer's procurement officer proposes one (a coded
rationale, the new value and / or the new end of the period) and signs it with their password;
the winning firm's administrator signs it too, and the contract changes, or declines it. One
function per use case, each owning its transaction.

The value may grow by at most `CONTRACT_AMENDMENT_MAX_INCREASE_PERCENT` of the value as signed,
counting every increase in force (政府采购法 Art. 49: supplementary contracts up to 10 %); a
reduction does not make room for a later increase. The limit is checked at the proposal and
again at the supplier's signature, under the contract's lock.

Lock order, as in `contracts.actions`: the contract, then the amendment, then the milestone.
"""

import hashlib
from datetime import date, datetime
from decimal import ROUND_DOWN, Decimal

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from contracts import access as contract_access
from contracts import certificates
from contracts.actions import announce, buyer_officers, contract_path, lock, supplier_signatories
from contracts.models import Amendment, AmendmentSignature, Contract, Milestone
from contracts.signals import contract_amended
from marketplace import audit, twofactor
from marketplace.errors import ActionError, Conflict, Forbidden, Problem
from marketplace.models import User
from marketplace.notify import notify
from tenders.actions.common import platform_language

CENTS = Decimal("0.01")


def lock_amendment(contract: Contract, number: int) -> Amendment:
    return Amendment.objects.select_for_update().get(contract=contract, number=number)


def value_as_signed(contract: Contract) -> Decimal:
    """The value both parties signed: before the first amendment, whatever became of it."""
    first = contract.amendments.order_by("number").first()
    return first.old_value if first is not None else contract.value


def allowed_increase(contract: Contract) -> Decimal:
    """How much amendments may add to the value in all (cents rounded down: "at most")."""
    limit = value_as_signed(contract) * settings.CONTRACT_AMENDMENT_MAX_INCREASE_PERCENT / 100
    return limit.quantize(CENTS, rounding=ROUND_DOWN)


def increase_problems(contract: Contract, amendment: Amendment) -> list[Problem]:
    if amendment.increase == 0:
        return []
    in_force = sum((a.increase for a in contract.amendments.in_force()), Decimal("0"))
    allowed = allowed_increase(contract)
    if in_force + amendment.increase <= allowed:
        return []
    message = _(
        "Amendments may raise the value by at most %(percent)s %% of the value as signed, %(allowed)s %(currency)s in all; "
        "with this one the increases would come to %(total)s %(currency)s."
    ) % {
        "percent": settings.CONTRACT_AMENDMENT_MAX_INCREASE_PERCENT,
        "allowed": allowed,
        "currency": contract.currency,
        "total": in_force + amendment.increase,
    }
    return [Problem(message, "over_increase_limit", "new_value")]


def milestone_taking_the_change(contract: Contract) -> Milestone | None:
    """The change of value goes to the last milestone still to be delivered, so that the
    milestones still sum to the value and the completed contract's final value is the amended one."""
    return contract.milestones.awaiting_delivery().order_by("-number").first()


def milestone_problems(contract: Contract, amendment: Amendment) -> list[Problem]:
    problems = []
    if amendment.new_value is not None:
        last = milestone_taking_the_change(contract)
        if last is None:
            problems.append(
                Problem(_("Every milestone is delivered: the value can no longer change."), "no_milestone_to_change", "new_value")
            )
        elif last.amount + amendment.new_value - amendment.old_value <= 0:
            problems.append(
                Problem(
                    _("The reduction is larger than milestone %(number)s, the last still to be delivered (%(amount)s %(currency)s).")
                    % {"number": last.number, "amount": last.amount, "currency": contract.currency},
                    "milestone_below_zero",
                    "new_value",
                )
            )
    if amendment.new_period_end is not None:
        latest_due = max((m.due_date for m in contract.milestones.all()), default=None)
        if latest_due is not None and amendment.new_period_end < latest_due:
            problems.append(
                Problem(
                    _("A milestone is due on %(date)s: the period cannot end before it.") % {"date": latest_due},
                    "before_milestone_due",
                    "new_period_end",
                )
            )
    return problems


def _input_problems(rationale: str, rationale_text: str, new_value: Decimal | None, new_period_end: date | None) -> list[Problem]:
    problems = []
    if rationale not in Amendment.Rationale.values:
        problems.append(Problem(_("Choose a rationale from the list."), "invalid_choice", "rationale"))
    elif rationale == Amendment.Rationale.OTHER and not rationale_text:
        problems.append(Problem(_("Explain the rationale: it is “other”."), "required", "rationale_text"))
    if new_value is None and new_period_end is None:
        problems.append(Problem(_("Change the value, the end of the period, or both."), "no_change", None))
    if new_value is not None and (new_value <= 0 or new_value != new_value.quantize(CENTS)):
        problems.append(Problem(_("Give the new value in cents, more than zero."), "invalid_amount", "new_value"))
    return problems


def _change_problems(contract: Contract, amendment: Amendment) -> list[Problem]:
    problems = []
    if amendment.new_value is not None and amendment.new_value == contract.value:
        problems.append(Problem(_("The new value is the contract's value."), "unchanged", "new_value"))
    if amendment.new_period_end is not None:
        if amendment.new_period_end == contract.period_end:
            problems.append(Problem(_("The new end of the period is the contract's."), "unchanged", "new_period_end"))
        elif contract.period_start is not None and amendment.new_period_end < contract.period_start:
            problems.append(Problem(_("The period cannot end before it starts."), "before_period_start", "new_period_end"))
    return problems


def _require_password(actor: User, password: str, otp: str | None) -> None:
    """Signing re-authenticates: the password, and a fresh code of whoever has an authenticator app."""
    if not actor.check_password(password or ""):
        raise Forbidden(_("The password is not correct: the amendment was not signed."), code="wrong_password", field="password")
    twofactor.require_code(actor, otp, purpose="contract.amendment")


def _require_active(contract: Contract) -> None:
    if contract.status != Contract.Status.ACTIVE:
        raise Conflict(
            _("Only an active contract can be amended; this one is %(status)s.") % {"status": contract.get_status_display()},
            code="not_active",
        )


def _sign(actor: User, contract: Contract, amendment: Amendment, party: str, now: datetime) -> AmendmentSignature:
    """Sign the amendment's canonical text with the signatory's certificate key (ECDSA P-256)."""
    organisation = contract.supplier if party == Contract.Party.SUPPLIER else contract.buyer
    details = contract.supplier_details if party == Contract.Party.SUPPLIER else contract.buyer_details
    certificate = certificates.signatory_certificate(
        actor, organisation, now=now, country=details["country"], registration_number=details["registration_number"]
    )
    key = serialization.load_der_private_key(certificates.unwrapped_key(certificate), password=None)
    text = amendment.canonical_text().encode()
    signature = AmendmentSignature.objects.create(
        amendment=amendment,
        party=party,
        signed_by=actor,
        organisation=organisation,
        certificate=certificate,
        signed_at=now,
        sha256=hashlib.sha256(text).hexdigest(),
        signature=key.sign(text, ec.ECDSA(hashes.SHA256())),
    )
    audit.record(
        "contract.amendment_signed",
        actor=actor,
        organisation=organisation,
        obj=contract,
        payload={"amendment": amendment.number, "party": party, "certificate": certificate.serial, "sha256": signature.sha256},
        now=now,
    )
    return signature


def propose_amendment(
    actor: User,
    contract: Contract,
    *,
    rationale: str,
    rationale_text: str = "",
    new_value: Decimal | None = None,
    new_period_end: date | None = None,
    password: str,
    otp: str | None = None,
) -> Amendment:
    """The buyer's procurement officer proposes an amendment of an active contract and signs it
    for the buyer with their password; the winning firm is asked to sign it too."""
    rationale_text = (rationale_text or "").strip()
    problems = _input_problems(rationale, rationale_text, new_value, new_period_end)
    if problems:
        raise ActionError(problems=problems)
    _require_password(actor, password, otp)
    with transaction.atomic():
        contract = lock(contract)
        if not contract_access.propose_amendment(actor, contract):
            raise Forbidden(_("Only the buyer's procurement officers propose amendments."), code="not_the_buyer")
        _require_active(contract)
        if contract.amendments.filter(status=Amendment.Status.PROPOSED).exists():
            raise Conflict(_("An amendment is already awaiting the supplier's signature."), code="amendment_pending")
        now = timezone.now()
        amendment = Amendment(
            contract=contract,
            number=contract.amendments.count() + 1,
            rationale=rationale,
            rationale_text=rationale_text,
            old_value=contract.value,
            new_value=new_value,
            old_period_end=contract.period_end,
            new_period_end=new_period_end,
            proposed_by=actor,
            proposed_at=now,
        )
        problems = _change_problems(contract, amendment) + increase_problems(contract, amendment) + milestone_problems(contract, amendment)
        if problems:
            raise ActionError(problems=problems)
        amendment.sha256 = hashlib.sha256(amendment.canonical_text().encode()).hexdigest()
        amendment.save()
        audit.record(
            "contract.amendment_proposed",
            actor=actor,
            organisation=contract.buyer,
            obj=contract,
            payload=audit.json_safe(
                {
                    "amendment": amendment.number,
                    "rationale": rationale,
                    "rationale_text": rationale_text,
                    "value": [amendment.old_value, new_value],
                    "period_end": [amendment.old_period_end, new_period_end],
                    "sha256": amendment.sha256,
                }
            ),
            now=now,
        )
        _sign(actor, contract, amendment, Contract.Party.BUYER, now)
        announce(contract, "contract.amendment_proposed", {"amendment": amendment.number})
        with platform_language():
            notify(
                supplier_signatories(contract),
                kind="contract.amendment_to_sign",
                title=lambda: (
                    _("Amendment %(amendment)s of contract %(number)s awaits your signature")
                    % {"amendment": amendment.number, "number": contract.number}
                ),
                body=lambda: amendment.get_rationale_display(),
                url=contract_path(contract),
                organisation=contract.supplier,
            )
    return amendment


def sign_amendment(actor: User, amendment: Amendment, *, password: str, otp: str | None = None) -> Amendment:
    """The winning firm's administrator signs a proposed amendment with their password: signed
    by both parties, it is in force and the contract's value and period are the new ones. The
    increase limit is checked again: the setting, or the milestones, may have changed since."""
    _require_password(actor, password, otp)
    with transaction.atomic():
        contract = lock(amendment.contract_id)
        amendment = lock_amendment(contract, amendment.number)
        if contract_access.accept_amendment(actor, contract):
            party = Contract.Party.SUPPLIER
        elif contract_access.propose_amendment(actor, contract):
            party = Contract.Party.BUYER
        else:
            raise Forbidden(_("You do not sign for either party of this contract."), code="not_a_signatory")
        if amendment.signatures.filter(party=party).exists():
            raise Conflict(_("Your party has already signed this amendment."), code="already_signed")
        if amendment.status != Amendment.Status.PROPOSED:
            raise Conflict(_("This amendment is no longer awaiting signature."), code="not_proposed")
        _require_active(contract)
        problems = increase_problems(contract, amendment) + milestone_problems(contract, amendment)
        if problems:
            raise ActionError(problems=problems)
        now = timezone.now()
        _sign(actor, contract, amendment, party, now)
        changes = _apply(contract, amendment)
        amendment.activate()
        amendment.decided_at = now
        amendment.save()
        audit.record(
            "contract.amended",
            actor=actor,
            organisation=contract.buyer,
            obj=contract,
            payload=audit.json_safe({"amendment": amendment.number, "rationale": amendment.rationale, **changes}),
            now=now,
        )
        contract_amended.send(sender=Contract, contract=contract, amendment=amendment, actor=actor, now=now)
        announce(contract, "contract.amended", {"amendment": amendment.number})
        with platform_language():
            notify(
                buyer_officers(contract),
                kind="contract.amended",
                title=lambda: _("Contract %(number)s is amended") % {"number": contract.number},
                body=lambda: _("The supplier signed amendment %(amendment)s; it is in force.") % {"amendment": amendment.number},
                url=contract_path(contract),
                organisation=contract.buyer,
            )
    return amendment


def _apply(contract: Contract, amendment: Amendment) -> dict:
    """Change the contract (and the milestone taking the change of value); returns the changes, old → new."""
    changes = {}
    if amendment.new_value is not None:
        last = Milestone.objects.select_for_update().get(pk=milestone_taking_the_change(contract).pk)
        new_amount = last.amount + amendment.new_value - contract.value
        changes["value"] = [contract.value, amendment.new_value]
        changes["milestone"] = {"number": last.number, "amount": [last.amount, new_amount]}
        last.amount = new_amount
        last.save(update_fields=["amount"])
        contract.value = amendment.new_value
    if amendment.new_period_end is not None:
        changes["period_end"] = [contract.period_end, amendment.new_period_end]
        contract.period_end = amendment.new_period_end
    contract.save()
    return changes


def decline_amendment(actor: User, amendment: Amendment, *, reason: str) -> Amendment:
    """The winning firm's administrator declines a proposed amendment, saying why: nothing changes."""
    reason = (reason or "").strip()
    if not reason:
        raise ActionError(_("Say why the amendment is declined."), code="required", field="reason")
    with transaction.atomic():
        contract = lock(amendment.contract_id)
        amendment = lock_amendment(contract, amendment.number)
        if not contract_access.accept_amendment(actor, contract):
            raise Forbidden(_("Only the winning firm's administrators decline an amendment."), code="not_the_supplier")
        if amendment.status != Amendment.Status.PROPOSED:
            raise Conflict(_("This amendment is no longer awaiting signature."), code="not_proposed")
        now = timezone.now()
        amendment.decline()
        amendment.decided_at, amendment.decline_reason = now, reason
        amendment.save()
        audit.record(
            "contract.amendment_declined",
            actor=actor,
            organisation=contract.supplier,
            obj=contract,
            payload={"amendment": amendment.number, "reason": reason},
            now=now,
        )
        announce(contract, "contract.amendment_declined", {"amendment": amendment.number})
        with platform_language():
            notify(
                buyer_officers(contract),
                kind="contract.amendment_declined",
                title=lambda: (
                    _("The supplier declined amendment %(amendment)s of contract %(number)s")
                    % {"amendment": amendment.number, "number": contract.number}
                ),
                body=reason,
                url=contract_path(contract),
                organisation=contract.buyer,
            )
    return amendment
