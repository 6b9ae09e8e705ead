"""A tender's public life: publication, amendments, cancellation and closing at the deadline."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace import audit, live
from marketplace.errors import ActionError, Conflict, Problem
from marketplace.models import Organisation, User
from marketplace.notify import notify
from suppliers import cpv
from tenders import rules, signals
from tenders.actions.common import follower_users, lock, model_problems, tender_path
from tenders.models import Amendment, Lot, ReferenceCounter, Tender

# What an amendment may change. The method, currency, envelopes, award method and custody are
# fixed at publication: the sealing keys and every bid depend on them.
AMENDABLE_FIELDS = (
    "title",
    "description",
    "main_category",
    "estimated_value",
    "deposit_amount",
    "deposit_waived_for_sme",
    "deposit_guarantee_accepted",
    "bid_validity_days",
    "min_bids",
    "standstill_days",
    "clarification_deadline",
    "submission_deadline",
)
AMENDABLE_LOT_FIELDS = ("title", "description", "estimated_value")


def _reason_required() -> str:
    return _("Give the reason for the amendment: it is published with it.")


def publish_tender(actor: User, tender: Tender) -> Tender:
    """Validate everything, then publish: reference, audit, live announcement, closing task.

    Other apps take part through `publication_check` (they may refuse, with reasons) and
    `tender_published` (sealing keys, supplier alerts), in this transaction.
    """
    # tenders.tasks runs close_tender from this module: imported here, the one way round.
    from tenders.tasks import ensure_closing_sweep, schedule_closing

    with transaction.atomic():
        tender = lock(tender)
        if tender.status != Tender.Status.DRAFT:
            raise Conflict(_("This tender has already been published."), code="not_draft")
        now = timezone.now()
        problems = rules.publication_problems(tender, now)
        for _receiver, found in signals.publication_check.send(sender=Tender, tender=tender, actor=actor, now=now):
            problems += list(found or [])
        if problems:
            raise ActionError(problems=problems)
        tender.reference = next_reference(tender.buyer, now)
        tender.publish()
        tender.published_at = now
        tender.save()
        signals.tender_published.send(sender=Tender, tender=tender, actor=actor, now=now)
        schedule_closing(tender)
        ensure_closing_sweep()
        audit.record(
            "tender.published",
            actor=actor,
            organisation=tender.buyer,
            obj=tender,
            payload={"reference": tender.reference, "submission_deadline": tender.submission_deadline},
            now=now,
        )
        announcement = {"reference": tender.reference, "title": f"{tender.reference} {tender.title}", "url": tender_path(tender)}
        live.publish(f"tender.{tender.pk}", "tender.published", announcement | {"status": tender.status})
        live.publish("public", "tender.published", announcement)
    return tender


def next_reference(buyer: Organisation, now: datetime) -> str:
    """`<AGENCY>-<year>-<sequence>`, gap-free: the counter row stays locked until the publication
    commits, and rolls back with it."""
    year = timezone.localdate(now).year
    counter = ReferenceCounter.objects.select_for_update().filter(buyer=buyer, year=year).first()
    if counter is None:
        try:
            with transaction.atomic():
                ReferenceCounter.objects.create(buyer=buyer, year=year)
        except IntegrityError:
            pass  # another publication created it first; the lock below waits for it to commit
        counter = ReferenceCounter.objects.select_for_update().get(buyer=buyer, year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"{buyer.code.upper()}-{year}-{counter.last:04d}"


def amend_tender(
    actor: User, tender: Tender, *, reason: str, changes: dict[str, Any], lot_changes: dict[int, dict[str, Any]] | None = None
) -> Amendment:
    """Change a published tender before its deadline, publicly: every field old → new."""
    with transaction.atomic():
        tender = lock(tender)
        now = timezone.now()
        ensure_amendable(tender, now)
        problems = [Problem(_("This field cannot be amended."), "not_amendable", name) for name in changes if name not in AMENDABLE_FIELDS]
        if not reason.strip():
            problems.append(Problem(_reason_required(), "required", "reason"))
        lots = {lot.number: lot for lot in tender.lots.all()}
        for number, fields in (lot_changes or {}).items():
            if number not in lots:
                problems.append(Problem(_("There is no lot %(number)s.") % {"number": number}, "unknown_lot", f"lots.{number}"))
            problems += [
                Problem(_("This field cannot be amended."), "not_amendable", f"lots.{number}.{name}")
                for name in fields
                if name not in AMENDABLE_LOT_FIELDS
            ]
        if tender.divided_into_lots and "estimated_value" in changes:
            problems.append(
                Problem(_("The value of a tender divided into lots is the sum of its lots: amend the lots."), "lots", "estimated_value")
            )
        if problems:
            raise ActionError(problems=problems)

        if changes.get("main_category"):
            changes = changes | {"main_category": cpv.normalise(changes["main_category"])}
        change_list = _apply(tender, changes)
        for number, fields in (lot_changes or {}).items():
            change_list += _apply(lots[number], fields, prefix=f"lots.{number}.")
        if tender.divided_into_lots and any("estimated_value" in f for f in (lot_changes or {}).values()):
            total = rules.lots_total([lot.estimated_value for lot in lots.values()])
            change_list += _apply(tender, {"estimated_value": total})
        elif not tender.divided_into_lots and ({"title", "estimated_value"} & set(changes)):
            lots[1].title, lots[1].estimated_value = tender.title, tender.estimated_value

        tender.category_codes = Tender.categories_of(tender.main_category, tender.items.values_list("cpv", flat=True))
        problems = model_problems(tender, exclude=["buyer", "created_by", "reference", "status", "search_document", "category_codes"])
        for number, lot in lots.items():
            problems += model_problems(lot, exclude=["tender"], prefix=f"lots.{number}.")
        problems += _amended_deadline_problems(tender, now, {change["field"] for change in change_list})
        if not change_list:
            problems.append(Problem(_("The amendment changes nothing."), "no_change", None))
        if problems:
            raise ActionError(problems=problems)
        tender.save()
        for lot in lots.values():
            lot.save()
        return record_amendment(actor, tender, now, reason, change_list)


def ensure_amendable(tender: Tender, now: datetime) -> None:
    if tender.status != Tender.Status.PUBLISHED:
        raise Conflict(_("Only a published tender can be amended, before its deadline."), code="not_published")
    if tender.is_past_deadline(now):
        raise Conflict(_("The submission deadline has passed: the tender can no longer be amended."), code="deadline_passed")


def record_amendment(actor: User, tender: Tender, now: datetime, reason: str, changes: list[dict]) -> Amendment:
    """Number and publish an amendment of a locked, published tender whose changes are saved;
    move the deadline out if too little time is left to respond."""
    from tenders.tasks import schedule_closing  # lazy, as in publish_tender

    if not reason.strip():
        raise ActionError(_reason_required(), code="required", field="reason")
    deadline_extended = False
    earliest = rules.earliest_deadline(tender, now)
    if tender.submission_deadline < earliest:
        # The law counts the minimum time to respond from the amendment, not from publication.
        extended = _next_minute(earliest)
        changes.append(
            {"field": "submission_deadline", "old": _plain(tender.submission_deadline), "new": _plain(extended), "automatic": True}
        )
        tender.submission_deadline = extended
        tender.save(update_fields=["submission_deadline", "updated_at"])
        deadline_extended = True
    number = tender.amendments.count() + 1
    amendment = Amendment.objects.create(
        tender=tender,
        number=number,
        reason=reason.strip(),
        changes=changes,
        deadline_extended=deadline_extended,
        created_by=actor,
        created_at=now,
    )
    signals.tender_amended.send(sender=Tender, tender=tender, amendment=amendment, actor=actor, now=now)
    if any(change["field"] == "submission_deadline" for change in changes):
        schedule_closing(tender)
    notify(
        follower_users(tender),
        kind="tender.amended",
        title=lambda: _("%(reference)s was amended (amendment %(number)s)") % {"reference": tender.reference, "number": number},
        body=reason.strip(),
        url=tender_path(tender),
    )
    audit.record(
        "tender.amended",
        actor=actor,
        organisation=tender.buyer,
        obj=tender,
        payload={"number": number, "reason": amendment.reason, "changes": changes, "deadline_extended": deadline_extended},
        now=now,
    )
    live.publish(
        f"tender.{tender.pk}",
        "tender.amended",
        {"number": number, "reason": amendment.reason, "changes": changes, "submission_deadline": tender.submission_deadline},
    )
    return amendment


def cancel_tender(actor: User, tender: Tender, *, reason: str) -> Tender:
    """Cancel before the opening, with a public reason; its sealed bids are never opened."""
    with transaction.atomic():
        tender = lock(tender)
        now = timezone.now()
        if tender.status == Tender.Status.DRAFT:
            raise Conflict(_("A draft is not cancelled but discarded: it was never public."), code="draft")
        if tender.status not in (Tender.Status.PUBLISHED, Tender.Status.CLOSED):
            raise Conflict(_("The tender can be cancelled here only before the opening starts."), code="opening_started")
        if not reason.strip():
            raise ActionError(_("Give the reason for the cancellation: it is published as a notice."), code="required", field="reason")
        tender.cancel()
        tender.cancelled_at, tender.cancellation_reason = now, reason.strip()
        tender.save(update_fields=["status", "cancelled_at", "cancellation_reason", "updated_at"])
        signals.tender_cancelled.send(sender=Tender, tender=tender, actor=actor, now=now)
        notify(
            follower_users(tender),
            kind="tender.cancelled",
            title=lambda: _("%(reference)s was cancelled") % {"reference": tender.reference},
            body=tender.cancellation_reason,
            url=tender_path(tender),
        )
        audit.record(
            "tender.cancelled", actor=actor, organisation=tender.buyer, obj=tender, payload={"reason": tender.cancellation_reason}, now=now
        )
        notice = {"reference": tender.reference, "reason": tender.cancellation_reason, "status": tender.status}
        live.publish(f"tender.{tender.pk}", "tender.cancelled", notice)
        live.publish("public", "tender.cancelled", notice | {"title": f"{tender.reference} {tender.title}", "url": tender_path(tender)})
    return tender


def close_tender(tender_id: int) -> bool:
    """Close a published tender whose deadline has passed. Idempotent: run twice, or by two
    workers at once, it closes the tender once (the row lock orders them, the state check
    stops the second). Returns whether this call closed it."""
    with transaction.atomic():
        tender = Tender.objects.select_for_update().select_related("buyer").filter(pk=tender_id).first()
        now = timezone.now()
        if tender is None or tender.status != Tender.Status.PUBLISHED or not tender.is_past_deadline(now):
            return False
        tender.close()
        tender.closed_at = now
        tender.save(update_fields=["status", "closed_at", "updated_at"])
        signals.tender_closed.send(sender=Tender, tender=tender, now=now)
        audit.record(
            "tender.closed", organisation=tender.buyer, obj=tender, payload={"submission_deadline": tender.submission_deadline}, now=now
        )
        live.publish(f"tender.{tender.pk}", "tender.closed", {"reference": tender.reference, "status": tender.status})
    return True


def complete_tender(actor: User | None, tender: Tender, *, now: datetime) -> Tender:
    """Every contract of the awarded tender is completed or terminated: the procurement is
    complete. The contracts app decides when, and calls this inside its own transaction,
    holding the tender's lock (`tenders.actions.common.lock`)."""
    if tender.status != Tender.Status.AWARDED:
        raise Conflict(_("Only an awarded tender can be completed."), code="not_awarded")
    tender.complete()
    tender.save(update_fields=["status", "updated_at"])
    audit.record("tender.completed", actor=actor, organisation=tender.buyer, obj=tender, payload={}, now=now)
    live.publish(f"tender.{tender.pk}", "tender.completed", {"reference": tender.reference, "status": tender.status})
    return tender


def _apply(obj: Tender | Lot, values: dict[str, Any], prefix: str = "") -> list[dict]:
    changes = []
    for name, new in values.items():
        old = getattr(obj, name)
        if isinstance(new, str):
            new = new.strip()
        if _plain(old) != _plain(new):
            changes.append({"field": prefix + name, "old": _plain(old), "new": _plain(new)})
            setattr(obj, name, new)
    return changes


def _amended_deadline_problems(tender: Tender, now: datetime, changed: set[str]) -> list[Problem]:
    """A deadline the amendment moves must be lawful from now; one it leaves alone may have passed
    (the clarification period may be over while bids are still open)."""
    problems = []
    if "submission_deadline" in changed:
        problems += rules.submission_deadline_problems(tender, now)
    if "clarification_deadline" in changed:
        problems += rules.clarification_deadline_problems(tender, now)
    return problems + rules.deadline_order_problems(tender)


def _next_minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0) + (timedelta(minutes=1) if moment.second or moment.microsecond else timedelta(0))


def _plain(value: Any) -> Any:
    """A JSON value that reads back as it was written (amendments are stored as JSON); amounts
    with their two decimals, so 1000 and 1000.00 are the same amount."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, Decimal):
        return str(value.quantize(Decimal("0.01")))
    return value
