"""How an active contract ends: completed when its obligations are fulfilled, or terminated by
the buyer with a reason and the amount paid. When the last contract of a tender ends, the
tender is completed too (`tenders.actions.complete_tender`).

Lock order, as in `contracts.actions`: the tender, then the contract.
"""

from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from contracts import access as contract_access
from contracts.actions import announce, buyer_officers, contract_path, lock, supplier_members
from contracts.models import Contract
from contracts.signals import contract_closed
from evaluation.models import Award
from marketplace import audit
from marketplace.errors import ActionError, Conflict, Forbidden, Problem
from marketplace.models import User
from marketplace.notify import notify
from tenders.actions import complete_tender
from tenders.actions.common import lock as lock_tender
from tenders.actions.common import platform_language
from tenders.models import Tender


def complete_if_fulfilled(contract: Contract, *, actor: User | None, now: datetime) -> bool:
    """Complete the contract if its obligations are fulfilled (`Contract.obligations_fulfilled`),
    with the accepted milestones as its final value. Runs inside the caller's transaction, which
    holds the contract's lock (and, but for an invoice's settlement, the tender's). Returns whether it completed the contract."""
    if contract.status != Contract.Status.ACTIVE or not contract.obligations_fulfilled():
        return False
    contract.complete()
    contract.completed_at = now
    contract.final_value = sum((m.amount for m in contract.milestones.all()), Decimal("0"))
    contract.save()
    audit.record(
        "contract.completed",
        actor=actor,
        organisation=contract.buyer,
        obj=contract,
        payload={"final_value": contract.final_value, "currency": contract.currency},
        now=now,
    )
    announce(contract, "contract.completed")
    contract_closed.send(sender=Contract, contract=contract, cause="completed", actor=actor, now=now)
    with platform_language():
        notify(
            buyer_officers(contract) + supplier_members(contract),
            kind="contract.completed",
            title=lambda: _("Contract %(number)s is completed") % {"number": contract.number},
            body=lambda: _("Every milestone is accepted and paid."),
            url=contract_path(contract),
            organisation=contract.buyer,
        )
    _complete_tender_if_performed(contract.tender_id, actor=actor, now=now)
    return True


def terminate_contract(actor: User, contract: Contract, *, reason: str, amount_paid: Decimal) -> Contract:
    """The buyer's procurement officer ends an active contract early, saying why and how much
    was paid under it (at most its value): that amount is its final value."""
    reason = (reason or "").strip()
    problems = []
    if not reason:
        problems.append(Problem(_("Say why the contract is terminated."), "required", "reason"))
    if amount_paid is None or amount_paid < 0 or amount_paid != amount_paid.quantize(Decimal("0.01")):
        problems.append(Problem(_("Give the amount paid in cents, zero or more."), "invalid_amount", "amount_paid"))
    if problems:
        raise ActionError(problems=problems)
    with transaction.atomic():
        lock_tender(contract.tender_id)
        contract = lock(contract)
        if not contract_access.terminate_contract(actor, contract):
            raise Forbidden(_("Only the buyer's procurement officers terminate a contract."), code="not_the_buyer")
        if contract.status != Contract.Status.ACTIVE:
            raise Conflict(
                _("Only an active contract can be terminated; this one is %(status)s.") % {"status": contract.get_status_display()},
                code="not_active",
            )
        if amount_paid > contract.value:
            raise ActionError(
                _("The amount paid cannot exceed the contract value, %(value)s %(currency)s.")
                % {"value": contract.value, "currency": contract.currency},
                code="over_value",
                field="amount_paid",
            )
        now = timezone.now()
        contract.terminate()
        contract.terminated_at, contract.termination_reason, contract.final_value = now, reason, amount_paid
        contract.save()
        audit.record(
            "contract.terminated",
            actor=actor,
            organisation=contract.buyer,
            obj=contract,
            payload={"reason": reason, "amount_paid": amount_paid, "currency": contract.currency},
            now=now,
        )
        announce(contract, "contract.terminated")
        contract_closed.send(sender=Contract, contract=contract, cause="terminated", actor=actor, now=now)
        with platform_language():
            notify(
                buyer_officers(contract) + supplier_members(contract),
                kind="contract.terminated",
                title=lambda: _("Contract %(number)s is terminated") % {"number": contract.number},
                body=reason,
                url=contract_path(contract),
                organisation=contract.buyer,
            )
        _complete_tender_if_performed(contract.tender_id, actor=actor, now=now)
    return contract


def tender_performed(tender_id: int) -> bool:
    """Whether every award of the tender that stands has a contract completed or terminated.
    A lot whose contract was refused (award cancelled) holds nothing open; its re-award does,
    from the moment it is made."""
    standing = Award.objects.filter(tender_id=tender_id).exclude(status=Award.Status.CANCELLED)
    finished = Contract.objects.finished().filter(award__in=standing).count()
    return finished > 0 and finished == standing.count()


def _complete_tender_if_performed(tender_id: int, *, actor: User | None, now: datetime) -> None:
    tender = Tender.objects.select_related("buyer").get(pk=tender_id)  # locked by the caller
    if tender.status == Tender.Status.AWARDED and tender_performed(tender_id):
        complete_tender(actor, tender, now=now)
