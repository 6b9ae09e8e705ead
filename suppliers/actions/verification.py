"""The registry's decisions on a firm: verify, return for correction, suspend, debar, lift."""

from dataclasses import dataclass
from datetime import date, datetime

from django.db import transaction
from django.utils import formats, timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_fsm import can_proceed

from marketplace import audit
from marketplace.errors import ActionError, Conflict
from marketplace.models import User
from suppliers.actions.common import lock_supplier, tell_firm
from suppliers.models import Supplier


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ActionError(_("Give the reason: the firm will read it."), code="required", field="reason")
    return reason


def _end_date(until: date | None, today: date, *, required: bool) -> date | None:
    if until is None:
        if required:
            raise ActionError(_("A debarment has an end date."), code="required", field="until")
        return None
    if until < today:
        raise ActionError(_("The end date cannot be in the past."), code="in_the_past", field="until")
    return until


def _refuse_unless(transition, message: str) -> None:
    if not can_proceed(transition):
        raise Conflict(message, code="wrong_state")


def _day(value: date | None) -> str:
    return formats.date_format(value, "DATE_FORMAT") if value else _("until lifted")


@transaction.atomic
def verify_supplier(officer: User, supplier: Supplier, now: datetime | None = None) -> Supplier:
    now = now or timezone.now()
    supplier = lock_supplier(supplier)
    _refuse_unless(supplier.verify, _("Only a registration waiting for verification can be verified."))
    supplier.verify()
    supplier.verified_at, supplier.status_reason = now, ""
    supplier.save()
    audit.record("supplier.verified", actor=officer, organisation=supplier.organisation, obj=supplier, now=now)
    tell_firm(
        supplier,
        kind="supplier.verified",
        title=lambda: _("%(name)s is verified") % {"name": supplier.legal_name},
        body=lambda: _("Your firm's registration is verified: it may now bid on any tender it qualifies for."),
    )
    return supplier


@transaction.atomic
def return_for_correction(officer: User, supplier: Supplier, reason: str, now: datetime | None = None) -> Supplier:
    now = now or timezone.now()
    reason = _reason(reason)
    supplier = lock_supplier(supplier)
    _refuse_unless(supplier.return_for_correction, _("Only a registration waiting for verification can be returned."))
    supplier.return_for_correction()
    supplier.status_reason = reason
    supplier.save()
    audit.record("supplier.returned", actor=officer, organisation=supplier.organisation, obj=supplier, payload={"reason": reason}, now=now)
    tell_firm(
        supplier,
        kind="supplier.returned",
        title=lambda: _("Your registration needs a correction"),
        body=lambda: (
            _("The registry returned your registration: %(reason)s Correct it, then resubmit it from your firm's page.")
            % {"reason": reason}
        ),
        admins_only=True,
    )
    return supplier


@dataclass(frozen=True)
class Restriction:
    """How the registry bars a firm from bidding for a time: what differs between a suspension
    and a debarment."""

    transition: str  # the Supplier transition
    event: str  # the audit action and the notification's kind
    end_date_required: bool
    wrong_state: Promise  # why the firm's state refuses it
    title: Promise  # "%(name)s …"
    body: Promise  # "… %(until)s … %(reason)s"


SUSPENSION = Restriction(
    transition="suspend",
    event="supplier.suspended",
    end_date_required=False,
    wrong_state=gettext_lazy("Only a verified firm can be suspended."),
    title=gettext_lazy("%(name)s is suspended"),
    body=gettext_lazy("Your firm may not bid until %(until)s. Reason: %(reason)s"),
)
DEBARMENT = Restriction(
    transition="debar",
    event="supplier.debarred",
    end_date_required=True,
    wrong_state=gettext_lazy("Only a verified or suspended firm can be debarred."),
    title=gettext_lazy("%(name)s is debarred"),
    body=gettext_lazy("Your firm may not bid until %(until)s; it is on the public debarment list. Reason: %(reason)s"),
)


@transaction.atomic
def restrict_supplier(
    officer: User, supplier: Supplier, restriction: Restriction, reason: str, until: date | None, now: datetime | None = None
) -> Supplier:
    """Suspend or debar the firm from today until `until` (inclusive; a suspension may have none)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    reason, until = _reason(reason), _end_date(until, today, required=restriction.end_date_required)
    supplier = lock_supplier(supplier)
    transition = getattr(supplier, restriction.transition)
    _refuse_unless(transition, str(restriction.wrong_state))
    transition()
    supplier.status_reason, supplier.restricted_from, supplier.restricted_until = reason, today, until
    supplier.save()
    audit.record(
        restriction.event,
        actor=officer,
        organisation=supplier.organisation,
        obj=supplier,
        payload={"reason": reason, "from": today, "until": until},
        now=now,
    )
    tell_firm(
        supplier,
        kind=restriction.event,
        title=lambda: restriction.title % {"name": supplier.legal_name},
        body=lambda: restriction.body % {"until": _day(until), "reason": reason},
    )
    return supplier


def suspend_supplier(officer: User, supplier: Supplier, reason: str, until: date | None = None, now: datetime | None = None) -> Supplier:
    return restrict_supplier(officer, supplier, SUSPENSION, reason, until, now)


def debar_supplier(officer: User, supplier: Supplier, reason: str, until: date | None, now: datetime | None = None) -> Supplier:
    return restrict_supplier(officer, supplier, DEBARMENT, reason, until, now)


def _lift(supplier: Supplier, *, actor: User | None, action: str, reason: str, now: datetime) -> None:
    previous = supplier.status
    supplier.lift()
    supplier.status_reason, supplier.restricted_from, supplier.restricted_until = "", None, None
    supplier.save()
    audit.record(
        action, actor=actor, organisation=supplier.organisation, obj=supplier, payload={"from": previous, "reason": reason}, now=now
    )
    tell_firm(
        supplier,
        kind="supplier.lifted",
        title=lambda: _("%(name)s may bid again") % {"name": supplier.legal_name},
        body=lambda: _("The restriction on your firm has been lifted."),
    )


@transaction.atomic
def lift_restriction(officer: User, supplier: Supplier, reason: str, now: datetime | None = None) -> Supplier:
    now = now or timezone.now()
    reason = _reason(reason)
    supplier = lock_supplier(supplier)
    _refuse_unless(supplier.lift, _("Only a suspended or debarred firm can have its restriction lifted."))
    _lift(supplier, actor=officer, action="supplier.lifted", reason=reason, now=now)
    return supplier


def end_expired_restrictions(now: datetime | None = None) -> int:
    """Suspensions and debarments end by themselves after their last day (daily upkeep)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    ended = 0
    for pk in Supplier.objects.restriction_over_before(today).values_list("pk", flat=True):
        with transaction.atomic():
            supplier = lock_supplier(pk)
            # An officer may have changed it since the list was read.
            if supplier.restricted_until is None or supplier.restricted_until >= today or not can_proceed(supplier.lift):
                continue
            _lift(supplier, actor=None, action="supplier.restriction_ended", reason="end date passed", now=now)
            ended += 1
    return ended
