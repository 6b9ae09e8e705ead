"""Milestones of an active contract: the supplier reports delivery, the buyer's procurement
officer accepts or rejects it, and the parties are told once when a milestone is overdue. One
function per use case, each owning its transaction.

Lock order, as in `contracts.actions`: the tender (where the contract may complete, and the
tender with it), then the contract, then the milestone.
"""

from datetime import date, datetime

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from contracts import access as contract_access
from contracts import closing
from contracts.actions import announce, buyer_officers, contract_path, lock, supplier_members
from contracts.models import Contract, Delivery, DeliveryDocument, Milestone
from contracts.signals import milestone_accepted
from marketplace import audit
from marketplace.errors import ActionError, Conflict, Forbidden
from marketplace.models import User
from marketplace.notify import notify
from suppliers.uploads import check_licence_file
from tenders.actions.common import lock as lock_tender
from tenders.actions.common import platform_language

MAX_DOCUMENTS = 10


def lock_milestone(contract: Contract, number: int) -> Milestone:
    return Milestone.objects.select_for_update().get(contract=contract, number=number)


def local_date(now: datetime) -> date:
    """The platform's calendar day at `now`: a milestone is due on a date where the buyer is,
    not in UTC (`TIME_ZONE`)."""
    return timezone.localdate(now, timezone.get_default_timezone())


def report_delivery(actor: User, milestone: Milestone, *, note: str, documents: list[UploadedFile] = ()) -> Milestone:
    """The winning firm reports that a milestone is delivered, with a note and optionally
    documents (PDF, PNG or JPEG, checked by their content). A milestone rejected before may be
    delivered again; the earlier delivery stays on record."""
    note = (note or "").strip()
    if not note:
        raise ActionError(_("Say what was delivered."), code="required", field="note")
    if len(documents) > MAX_DOCUMENTS:
        raise ActionError(_("Attach at most %(count)s files.") % {"count": MAX_DOCUMENTS}, code="too_many_files", field="documents")
    checked = [check_licence_file(upload, field="documents") for upload in documents]
    stored: list[DeliveryDocument] = []
    try:
        return _report_delivery(actor, milestone, note, checked, stored)
    except BaseException:
        # Nothing was recorded: the files written before the failure must not stay behind.
        for attached in stored:
            attached.file.delete(save=False)
        raise


def _report_delivery(actor: User, milestone: Milestone, note: str, checked: list, stored: list) -> Milestone:
    with transaction.atomic():
        contract = lock(milestone.contract_id)
        if not contract_access.report_delivery(actor, contract):
            raise Forbidden(_("Only the winning firm reports delivery on this contract."), code="not_the_supplier")
        _require_active(contract)
        milestone = lock_milestone(contract, milestone.number)
        if not milestone.awaits_delivery:
            raise Conflict(
                _("Milestone %(number)s is not awaiting delivery: it is %(status)s.")
                % {"number": milestone.number, "status": milestone.get_status_display()},
                code="not_awaiting_delivery",
            )
        now = timezone.now()
        milestone.deliver()
        milestone.delivered_at = now
        milestone.save()
        delivery = Delivery.objects.create(milestone=milestone, note=note, delivered_by=actor, delivered_at=now)
        for file in checked:
            attached = DeliveryDocument(
                delivery=delivery, filename=file.filename, media_type=file.media_type, size=file.size, sha256=file.sha256
            )
            attached.file.save(file.stored_name, file.upload, save=False)
            stored.append(attached)
            attached.save()
        audit.record(
            "milestone.delivered",
            actor=actor,
            organisation=contract.supplier,
            obj=milestone,
            payload={
                "contract": contract.pk,
                "number": milestone.number,
                "delivery": delivery.pk,
                "documents": [f.sha256 for f in checked],
            },
            now=now,
        )
        announce(contract, "milestone.delivered", {"milestone": milestone.number, "milestone_status": milestone.status})
        with platform_language():
            notify(
                buyer_officers(contract),
                kind="milestone.delivered",
                title=lambda: (
                    _("%(supplier)s delivered milestone %(milestone)s of contract %(number)s")
                    % {"supplier": contract.supplier.name, "milestone": milestone.number, "number": contract.number}
                ),
                body=note,
                url=contract_path(contract),
                organisation=contract.buyer,
            )
    return milestone


def accept_delivery(actor: User, milestone: Milestone) -> Milestone:
    """The buyer's procurement officer accepts the delivered milestone: its amount may now be
    invoiced (`milestone_accepted`), and with the last one accepted the contract is complete."""
    with transaction.atomic():
        contract, milestone = _lock_for_review(actor, milestone)
        now = timezone.now()
        milestone.accept()
        milestone.accepted_at = now
        milestone.save()
        _decide(milestone, actor, Delivery.Decision.ACCEPTED, "", now)
        audit.record(
            "milestone.accepted",
            actor=actor,
            organisation=contract.buyer,
            obj=milestone,
            payload={"contract": contract.pk, "number": milestone.number, "amount": milestone.amount, "currency": contract.currency},
            now=now,
        )
        milestone_accepted.send(sender=Milestone, milestone=milestone, actor=actor, now=now)
        announce(contract, "milestone.accepted", {"milestone": milestone.number, "milestone_status": milestone.status})
        with platform_language():
            notify(
                supplier_members(contract),
                kind="milestone.accepted",
                title=lambda: (
                    _("Milestone %(milestone)s of contract %(number)s is accepted")
                    % {"milestone": milestone.number, "number": contract.number}
                ),
                body=lambda: (
                    _("%(amount)s %(currency)s may now be invoiced.") % {"amount": milestone.amount, "currency": contract.currency}
                ),
                url=contract_path(contract),
                organisation=contract.supplier,
            )
        closing.complete_if_fulfilled(contract, actor=actor, now=now)
    return milestone


def reject_delivery(actor: User, milestone: Milestone, *, reason: str) -> Milestone:
    """The buyer's procurement officer rejects the delivery, saying why; the supplier may
    deliver again."""
    reason = (reason or "").strip()
    if not reason:
        raise ActionError(_("Say why the delivery is rejected."), code="required", field="reason")
    with transaction.atomic():
        contract, milestone = _lock_for_review(actor, milestone)
        now = timezone.now()
        milestone.reject()
        milestone.save()
        _decide(milestone, actor, Delivery.Decision.REJECTED, reason, now)
        audit.record(
            "milestone.rejected",
            actor=actor,
            organisation=contract.buyer,
            obj=milestone,
            payload={"contract": contract.pk, "number": milestone.number, "reason": reason},
            now=now,
        )
        announce(contract, "milestone.rejected", {"milestone": milestone.number, "milestone_status": milestone.status})
        with platform_language():
            notify(
                supplier_members(contract),
                kind="milestone.rejected",
                title=lambda: (
                    _("The delivery of milestone %(milestone)s of contract %(number)s was rejected")
                    % {"milestone": milestone.number, "number": contract.number}
                ),
                body=reason,
                url=contract_path(contract),
                organisation=contract.supplier,
            )
    return milestone


def flag_overdue(milestone_id: int, *, now: datetime | None = None) -> bool:
    """Tell both parties that a milestone's due date has passed without a delivery accepted
    or awaiting a decision. Once per milestone: the flag is set under the lock, so a sweep run
    twice, or by two workers, tells them once. Returns whether this call told them."""
    with transaction.atomic():
        contract_id = Milestone.objects.filter(pk=milestone_id).values_list("contract_id", flat=True).first()
        if contract_id is None:
            return False
        contract = lock(contract_id)
        milestone = Milestone.objects.select_for_update().get(pk=milestone_id)
        now = now or timezone.now()
        if contract.status != Contract.Status.ACTIVE or milestone.overdue_notified_at or not milestone.is_overdue_on(local_date(now)):
            return False
        milestone.overdue_notified_at = now
        milestone.save(update_fields=["overdue_notified_at"])
        audit.record(
            "milestone.overdue",
            organisation=contract.buyer,
            obj=milestone,
            payload={"contract": contract.pk, "number": milestone.number, "due_date": milestone.due_date},
            now=now,
        )
        announce(contract, "milestone.overdue", {"milestone": milestone.number, "milestone_status": milestone.status})
        with platform_language():
            notify(
                buyer_officers(contract) + supplier_members(contract),
                kind="milestone.overdue",
                title=lambda: (
                    _("Milestone %(milestone)s of contract %(number)s is overdue")
                    % {"milestone": milestone.number, "number": contract.number}
                ),
                body=lambda: _("It was due on %(date)s and has not been delivered.") % {"date": milestone.due_date.isoformat()},
                url=contract_path(contract),
                organisation=contract.buyer,
            )
    return True


def _lock_for_review(actor: User, milestone: Milestone) -> tuple[Contract, Milestone]:
    contract = Contract.objects.only("tender_id").get(pk=milestone.contract_id)
    lock_tender(contract.tender_id)
    contract = lock(contract)
    if not contract_access.review_delivery(actor, contract):
        raise Forbidden(_("Only the buyer's procurement officers accept or reject deliveries."), code="not_the_buyer")
    _require_active(contract)
    milestone = lock_milestone(contract, milestone.number)
    if milestone.status != Milestone.Status.DELIVERED:
        raise Conflict(
            _("Milestone %(number)s has no delivery awaiting a decision: it is %(status)s.")
            % {"number": milestone.number, "status": milestone.get_status_display()},
            code="not_delivered",
        )
    return contract, milestone


def _decide(milestone: Milestone, actor: User, decision: str, reason: str, now: datetime) -> None:
    delivery = milestone.deliveries.filter(decision="").order_by("-delivered_at", "-pk").first()
    delivery.decision, delivery.decided_by, delivery.decided_at, delivery.reason = decision, actor, now, reason
    delivery.save()


def _require_active(contract: Contract) -> None:
    if contract.status != Contract.Status.ACTIVE:
        raise Conflict(
            _("Deliveries are made on an active contract; this one is %(status)s.") % {"status": contract.get_status_display()},
            code="not_active",
        )
