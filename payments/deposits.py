"""Bid security: what a firm must give before it may bid, and when it gets it back.

A tender may ask a bid deposit (`Tender.deposit_amount`, in the tender's currency). A firm gives
it as a **paid deposit** (a bank transfer a finance officer of the buyer confirms, or a Stripe
payment confirmed by its webhook) or, where the tender accepts it, as a **bank guarantee** the
buyer's finance officer checks. Until one of them stands, `bid_eligibility_check` tells the firm
why it cannot bid yet (`payments.receivers`).

The deposit comes back, within 5 working days (政府采购法实施条例 Art. 33), to:

| who | from when |
|---|---|
| every firm, when the tender is cancelled or unsuccessful | the cancellation, the notice |
| a firm with no bid in the box: it withdrew before the deadline, or never bid | the withdrawal, the deadline |
| each firm not awarded | the award notice (or its award's cancellation after a challenge) |
| the winner | its last contract for the tender signed by both parties |
| a firm that paid twice | the second payment |

A winner that refuses to sign forfeits it (`contracts.signals.contract_refused`). Guarantees
are released on the same rules and called on the same refusal. `return_due_deposits` applies
the rules; `payments.tasks` runs it after each of those events and on a sweep, so a missed run
is caught up: each refund is asked once (its idempotency key is the deposit's id), so running it
twice, late or concurrently does no harm.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from bidding.models import Bid
from contracts.models import Contract
from evaluation.actions.common import firm_members
from evaluation.models import Award, AwardNotice
from marketplace import audit, live
from marketplace.access import FIRM_ROLES
from marketplace.errors import ActionError, Conflict, Forbidden
from marketplace.models import Membership, Organisation, Role, User
from marketplace.notify import notify
from payments import actions, ledger
from payments.gateway import GatewayError, configured_gateway_name
from payments.models import Gateway, Guarantee, Payment, Purpose, Refund
from payments.money import Money
from suppliers.models import Supplier
from suppliers.uploads import check_licence_file
from tenders.actions.common import platform_language
from tenders.models import Tender

# Why a deposit comes back; the words go into the refund's reason and the firm's notification.
CAUSES = {
    "tender_cancelled": gettext_lazy("The tender was cancelled."),
    "tender_unsuccessful": gettext_lazy("The tender was unsuccessful."),
    "not_bidding": gettext_lazy("Your firm has no bid in the tender."),
    "not_awarded": gettext_lazy("Your bid was not awarded."),
    "contract_signed": gettext_lazy("Your contract was signed by both parties."),
    "paid_twice": gettext_lazy("The deposit was paid more than once."),
}
WORKING_DAYS_TO_RETURN = 5


@dataclass(frozen=True)
class Security:
    """What stands as a firm's bid security for a tender, if anything."""

    required: Money | None  # None: the firm owes none
    deposit: Payment | None = None  # the paid deposit that counts
    guarantee: Guarantee | None = None  # the accepted guarantee that counts
    pending: Payment | None = None  # a deposit payment under way
    pending_guarantee: Guarantee | None = None  # a guarantee waiting for the buyer's check

    @property
    def satisfied(self) -> bool:
        return self.required is None or self.deposit is not None or self.guarantee is not None


def deposit_required(supplier, tender) -> Decimal | None:
    """The deposit this firm owes for this tender, or None when it owes none."""
    if not tender.deposit_amount:
        return None
    if tender.deposit_waived_for_sme and supplier is not None and supplier.is_sme:
        return None
    return tender.deposit_amount


def required_money(organisation: Organisation, tender: Tender) -> Money | None:
    if not tender.deposit_amount:
        return None
    supplier = Supplier.objects.filter(organisation=organisation).first() if tender.deposit_waived_for_sme else None
    amount = deposit_required(supplier, tender)
    return Money(amount, tender.currency) if amount is not None else None


def guarantee_needed_until(tender: Tender) -> date | None:
    """The last day a guarantee must cover: the bids' validity after the deadline."""
    if tender.submission_deadline is None:
        return None
    local = timezone.localtime(tender.submission_deadline)
    return (local + timedelta(days=tender.bid_validity_days)).date()


def security(organisation: Organisation, tender: Tender) -> Security:
    required = required_money(organisation, tender)
    if required is None:
        return Security(required=None)
    deposits = Payment.objects.filter(purpose=Purpose.BID_DEPOSIT, tender=tender, payer=organisation)
    paid = next(
        (
            p
            for p in deposits.filter(status=Payment.Status.SUCCEEDED, forfeited_at=None).order_by("succeeded_at")
            if p.money.currency == required.currency and p.amount >= required.amount and actions.refundable(p) == p.money
        ),
        None,
    )
    guarantees = Guarantee.objects.filter(tender=tender, organisation=organisation)
    accepted = next(
        (
            g
            for g in guarantees.filter(status=Guarantee.Status.ACCEPTED)
            if g.currency == required.currency and g.amount >= required.amount and g.valid_until >= guarantee_needed_until(tender)
        ),
        None,
    )
    return Security(
        required=required,
        deposit=paid,
        guarantee=accepted,
        pending=deposits.filter(status__in=[Payment.Status.CREATED, Payment.Status.PENDING, Payment.Status.FAILED]).first(),
        pending_guarantee=guarantees.filter(status=Guarantee.Status.SUBMITTED).first(),
    )


def deposit_satisfied(organisation: Organisation, tender: Tender) -> bool:
    return security(organisation, tender).satisfied


def _require_firm_member(actor: User, organisation: Organisation) -> None:
    if not Membership.objects.active().filter(user=actor, organisation=organisation, role__in=FIRM_ROLES).exists():
        raise Forbidden(_("Only the firm's administrators and bidders may do this."), code="not_member")


def _require_open_for_security(tender: Tender, now: datetime) -> None:
    if not tender.accepts_bids_at(now):
        raise Conflict(_("This tender no longer takes bids, so it takes no bid security either."), code="not_accepting")


# Paying the deposit --------------------------------------------------------------------------


def start_deposit(actor: User, organisation: Organisation, tender: Tender, *, gateway: str | None = None) -> actions.PaymentStart:
    """Start (or resume) paying this firm's deposit for the tender, by bank transfer or Stripe.

    One deposit payment is under way at a time: asking again returns it. Raises `Conflict` when
    the deposit is already paid or a guarantee stands, and `GatewayError` when Stripe is down
    (the payment stays recorded; asking again retries with the same idempotency key).
    """
    gateway = gateway or configured_gateway_name()
    if gateway not in available_gateways():
        raise ActionError(_("This way of paying is not available."), code="invalid", field="gateway")
    _require_firm_member(actor, organisation)
    with transaction.atomic():
        # Under the tender's lock: two clicks (or two tabs) cannot start two payments.
        tender = Tender.objects.select_for_update().select_related("buyer").get(pk=tender.pk)
        _require_open_for_security(tender, timezone.now())
        current = security(organisation, tender)
        if current.required is None:
            raise Conflict(_("Your firm owes no deposit for this tender."), code="no_deposit")
        if current.deposit is not None:
            raise Conflict(_("Your firm already paid the deposit for this tender."), code="already_paid")
        if current.guarantee is not None:
            raise Conflict(_("A bank guarantee already stands as your firm's bid security."), code="guarantee_accepted")
        pending = current.pending
        if pending is not None and pending.gateway != gateway:
            raise Conflict(
                _("Your firm already started paying by %(gateway)s; cancel that payment first.")
                % {"gateway": pending.get_gateway_display()},
                code="payment_under_way",
            )
        if pending is None:
            attempt = Payment.objects.filter(purpose=Purpose.BID_DEPOSIT, tender=tender, payer=organisation, gateway=gateway).count() + 1
            key = f"deposit:{tender.pk}:{organisation.pk}:{gateway}:{attempt}"
        else:
            key = pending.idempotency_key
    return actions.create_payment(
        actor,
        payer=organisation,
        payee=tender.buyer,
        purpose=Purpose.BID_DEPOSIT,
        amount=current.required,
        idempotency_key=key,
        tender=tender,
        description=_("Bid deposit for %(reference)s") % {"reference": tender.reference},
        gateway=gateway,
    )


def cancel_deposit(actor: User, payment: Payment) -> Payment:
    """The firm abandons a deposit payment no money arrived for (to pay another way)."""
    _require_firm_member(actor, payment.payer)
    if payment.purpose != Purpose.BID_DEPOSIT:
        raise Conflict(_("This is not a bid deposit."), code="not_deposit")
    return actions.cancel_payment(actor, payment, reason=_("Cancelled by the firm."))


def available_gateways() -> list[str]:
    """Bank transfer always; Stripe as well where it is configured."""
    return [Gateway.OFFLINE, Gateway.STRIPE] if settings.STRIPE_SECRET_KEY else [Gateway.OFFLINE]


# Guarantees -----------------------------------------------------------------------------------


def submit_guarantee(
    actor: User,
    organisation: Organisation,
    tender: Tender,
    *,
    issuer: str,
    number: str,
    amount: Money,
    valid_until: date,
    document: UploadedFile,
) -> Guarantee:
    """The firm gives a bank guarantee as its bid security; the buyer's finance officers check it."""
    _require_firm_member(actor, organisation)
    issuer, number = (issuer or "").strip(), (number or "").strip()
    if not issuer:
        raise ActionError(_("Name the bank or insurer that issued the guarantee."), code="required", field="issuer")
    if not number:
        raise ActionError(_("Give the guarantee's number."), code="required", field="number")
    if not isinstance(amount, Money) or amount.amount <= 0:
        raise ActionError(_("Give the guaranteed amount."), code="required", field="amount")
    if document is None:
        raise ActionError(_("Attach the guarantee document."), code="required", field="document")
    checked = check_licence_file(document, field="document")
    with transaction.atomic():
        tender = Tender.objects.select_for_update().select_related("buyer").get(pk=tender.pk)
        now = timezone.now()
        _require_open_for_security(tender, now)
        if not tender.deposit_guarantee_accepted:
            raise Conflict(_("This tender takes its bid security as a paid deposit only."), code="guarantee_not_accepted")
        current = security(organisation, tender)
        if current.required is None:
            raise Conflict(_("Your firm owes no deposit for this tender."), code="no_deposit")
        if current.satisfied:
            raise Conflict(_("Your firm's bid security for this tender already stands."), code="already_secured")
        if current.pending_guarantee is not None:
            raise Conflict(_("A guarantee of your firm waits for the buyer's check already."), code="guarantee_pending")
        if amount.currency != current.required.currency:
            raise ActionError(
                _("The guarantee must be in the tender's currency (%(currency)s).") % {"currency": current.required.currency},
                code="currency_mismatch",
                field="amount",
            )
        if amount.amount < current.required.amount:
            raise ActionError(
                _("The guarantee covers %(amount)s; the deposit is %(required)s.") % {"amount": amount, "required": current.required},
                code="amount_too_low",
                field="amount",
            )
        needed = guarantee_needed_until(tender)
        if valid_until < needed:
            raise ActionError(
                _("The guarantee must stay valid until at least %(date)s, the end of the bids' validity.") % {"date": needed.isoformat()},
                code="expires_too_soon",
                field="valid_until",
            )
        guarantee = Guarantee(
            tender=tender,
            organisation=organisation,
            issuer=issuer[:200],
            number=number[:100],
            amount=amount.amount,
            currency=amount.currency,
            valid_until=valid_until,
            document_sha256=checked.sha256,
            submitted_by=actor,
            submitted_at=now,
        )
        guarantee.document.save(checked.stored_name, checked.upload, save=False)
        try:
            with transaction.atomic():
                guarantee.save()
        except IntegrityError:
            guarantee.document.delete(save=False)
            raise Conflict(
                _("This guarantee (issuer and number) is already given for a bid."), code="guarantee_reused", field="number"
            ) from None
        _audit_guarantee("guarantee.submitted", guarantee, actor, now, sha256=checked.sha256)
        live.publish(f"org.{organisation.pk}", "guarantee.submitted", _guarantee_event(guarantee))
        with platform_language():
            notify(
                _finance_officers(tender.buyer),
                kind="guarantee.submitted",
                title=lambda: _("A bank guarantee for %(reference)s waits for your check") % {"reference": tender.reference},
                body=lambda: f"{guarantee.issuer} {guarantee.number}: {guarantee.money}",
                url="/payments/finance/",
                organisation=tender.buyer,
            )
    return guarantee


def decide_guarantee(actor: User, guarantee: Guarantee, *, accept: bool, reason: str = "") -> Guarantee:
    """A finance officer of the buyer accepts the guarantee (the firm may bid) or refuses it with a reason."""
    reason = (reason or "").strip()
    if not accept and not reason:
        raise ActionError(_("Give the reason for refusing the guarantee: the firm reads it."), code="required", field="reason")
    with transaction.atomic():
        guarantee = Guarantee.objects.select_for_update().select_related("tender", "tender__buyer", "organisation").get(pk=guarantee.pk)
        actions.require_finance_officer(actor, guarantee.tender.buyer)
        if guarantee.status != Guarantee.Status.SUBMITTED:
            raise Conflict(
                _("This guarantee is %(status)s already.") % {"status": guarantee.get_status_display().lower()}, code="already_decided"
            )
        now = timezone.now()
        if accept:
            guarantee.accept(actor, now)
        else:
            guarantee.refuse(actor, now, reason)
        guarantee.save()
        _audit_guarantee(f"guarantee.{guarantee.status}", guarantee, actor, now, reason=guarantee.reason)
        live.publish(f"org.{guarantee.organisation_id}", f"guarantee.{guarantee.status}", _guarantee_event(guarantee))
        with platform_language():
            notify(
                firm_members(guarantee.organisation_id),
                kind=f"guarantee.{guarantee.status}",
                title=lambda: (
                    (
                        _("Your guarantee for %(reference)s was accepted: your firm may bid")
                        if accept
                        else _("Your guarantee for %(reference)s was refused")
                    )
                    % {"reference": guarantee.tender.reference}
                ),
                body=lambda: guarantee.reason,
                url=f"/payments/deposits/{guarantee.tender_id}/?organisation={guarantee.organisation_id}",
                organisation=guarantee.organisation,
            )
    return guarantee


# Returning and forfeiting ----------------------------------------------------------------------


def add_working_days(moment: datetime, days: int) -> datetime:
    """`days` working days (Monday to Friday) after `moment`, at the end of that day in the
    platform's time zone. Public holidays are not known to the platform and count as working days."""
    local = timezone.localtime(moment)
    day = local.date()
    while days:
        day += timedelta(days=1)
        if day.weekday() < 5:
            days -= 1
    end = datetime.combine(day, datetime.max.time().replace(microsecond=0))
    return timezone.make_aware(end, local.tzinfo)


def due_back(tender: Tender, organisation: Organisation, now: datetime) -> tuple[str, datetime] | None:
    """Why and since when this firm's bid security for the tender is due back, or None while it
    is still held (or it was forfeited)."""
    if tender.status == Tender.Status.CANCELLED:
        return "tender_cancelled", tender.cancelled_at or now
    if tender.status == Tender.Status.UNSUCCESSFUL:
        notice = AwardNotice.objects.filter(tender=tender).order_by("-published_at").first()
        return "tender_unsuccessful", notice.published_at if notice else tender.updated_at
    bids = Bid.objects.filter(tender=tender, organisation=organisation)
    if tender.status == Tender.Status.PUBLISHED and tender.accepts_bids_at(now):
        if bids.live().exists():
            return None
        withdrawn = bids.filter(status=Bid.Status.WITHDRAWN).order_by("-withdrawn_at").first()
        return ("not_bidding", withdrawn.withdrawn_at) if withdrawn else None
    if tender.submission_deadline is None or now < tender.submission_deadline:
        return None
    if not bids.entered().exists():
        return "not_bidding", tender.submission_deadline
    notice = AwardNotice.objects.filter(tender=tender, kind=AwardNotice.Kind.AWARD).order_by("-published_at").first()
    if notice is None:
        return None  # opening and evaluation: every bidder stays bound
    awards = list(Award.objects.filter(tender=tender, supplier=organisation))
    standing = [a for a in awards if a.status != Award.Status.CANCELLED]
    if not standing:
        cancelled = [a.cancelled_at for a in awards if a.cancelled_at]
        return "not_awarded", max([notice.published_at, *cancelled])
    contracts = list(Contract.objects.filter(award__in=standing))
    signed = Contract.PUBLIC_STATUSES
    if len(contracts) == len(standing) and all(c.status in signed and c.signed_at for c in contracts):
        return "contract_signed", max(c.signed_at for c in contracts)
    return None


def return_due_deposits(*, tender_id: int | None = None, now: datetime | None = None) -> dict:
    """Ask the refund of every deposit due back (and release every guarantee), once each.

    Refunds the gateway could not take yet stay `created`; `retry_refunds` sends them again.
    """
    now = now or timezone.now()
    payments = Payment.objects.filter(purpose=Purpose.BID_DEPOSIT, status=Payment.Status.SUCCEEDED, forfeited_at=None)
    guarantees = Guarantee.objects.standing()
    if tender_id is not None:
        payments, guarantees = payments.filter(tender_id=tender_id), guarantees.filter(tender_id=tender_id)
    refunded, released, failed = 0, 0, 0
    first_paid: dict[tuple[int, int], str] = {}
    for payment in payments.select_related("tender", "payer").order_by("succeeded_at", "pk"):
        first = first_paid.setdefault((payment.tender_id, payment.payer_id), str(payment.pk))
        cause = ("paid_twice", payment.succeeded_at) if first != str(payment.pk) else due_back(payment.tender, payment.payer, now)
        if cause is None or payment.refunds.exists():
            continue  # held still, or asked already (a failed refund waits for finance on the dashboard)
        try:
            refund = actions.request_refund(
                None,
                payment,
                reason=str(CAUSES[cause[0]]),
                idempotency_key=f"deposit:{payment.pk}:return",
                due_at=add_working_days(cause[1], WORKING_DAYS_TO_RETURN),
            )
        except GatewayError:
            failed += 1  # recorded as `created`; the sweep sends it again
            continue
        except ActionError:
            continue  # forfeited or refunded meanwhile by a concurrent run
        refunded += 1
        _tell_firm_of_refund(payment, refund, cause[0])
    for guarantee in guarantees.select_related("tender", "organisation"):
        cause = due_back(guarantee.tender, guarantee.organisation, now)
        if cause is not None and release_guarantee(guarantee, cause=cause[0], since=cause[1]):
            released += 1
    return {"refunds": refunded, "released": released, "gateway_errors": failed}


def retry_refunds(now: datetime | None = None) -> int:
    """Send again every refund the gateway did not take yet."""
    sent = 0
    for refund in Refund.objects.filter(status=Refund.Status.CREATED).order_by("created_at")[:500]:
        try:
            actions.send_refund(refund)
        except GatewayError:
            continue
        sent += 1
    return sent


def release_guarantee(guarantee: Guarantee, *, cause: str, since: datetime) -> bool:
    with transaction.atomic():
        guarantee = Guarantee.objects.select_for_update().select_related("tender", "organisation").get(pk=guarantee.pk)
        if guarantee.status not in (Guarantee.Status.SUBMITTED, Guarantee.Status.ACCEPTED):
            return False
        now = timezone.now()
        guarantee.release_due_at = add_working_days(since, WORKING_DAYS_TO_RETURN)
        guarantee.release(now, str(CAUSES[cause]))
        guarantee.save()
        _audit_guarantee("guarantee.released", guarantee, None, now, cause=cause)
        live.publish(f"org.{guarantee.organisation_id}", "guarantee.released", _guarantee_event(guarantee))
        with platform_language():
            notify(
                firm_members(guarantee.organisation_id),
                kind="guarantee.released",
                title=lambda: (
                    _("Release notice: your guarantee for %(reference)s is no longer needed") % {"reference": guarantee.tender.reference}
                ),
                body=lambda: (
                    _("%(issuer)s guarantee %(number)s is released. %(cause)s")
                    % {"issuer": guarantee.issuer, "number": guarantee.number, "cause": CAUSES[cause]}
                ),
                url="/payments/",
                organisation=guarantee.organisation,
            )
    return True


def forfeit_security(tender: Tender, organisation: Organisation, *, reason: str, now: datetime) -> list[Payment]:
    """The winner refused to sign: the buyer keeps its deposit and calls its guarantee. Runs in
    the refusing action's transaction."""
    forfeited = []
    for payment in Payment.objects.select_for_update().filter(
        purpose=Purpose.BID_DEPOSIT, tender=tender, payer=organisation, status=Payment.Status.SUCCEEDED, forfeited_at=None
    ):
        held = ledger.held_balance(payment)
        if held.amount <= 0:
            continue
        payment.forfeited_at = now
        payment.save(update_fields=["forfeited_at"])
        ledger.deposit_forfeited(payment, held, now)
        audit.record(
            "payment.forfeited", organisation=organisation, obj=payment, payload={"amount": str(held.amount), "reason": reason}, now=now
        )
        live.publish(f"org.{organisation.pk}", "payment.forfeited", {"payment": str(payment.pk), "tender": tender.pk})
        forfeited.append(payment)
    for guarantee in Guarantee.objects.select_for_update().filter(
        tender=tender, organisation=organisation, status=Guarantee.Status.ACCEPTED
    ):
        guarantee.claim(now, reason)
        guarantee.save()
        _audit_guarantee("guarantee.claimed", guarantee, None, now, reason=reason)
    return forfeited


def refunds_overdue(now: datetime):
    return Refund.objects.filter(due_at__lt=now).exclude(status=Refund.Status.SUCCEEDED)


# Helpers --------------------------------------------------------------------------------------


def _tell_firm_of_refund(payment: Payment, refund: Refund, cause: str) -> None:
    with transaction.atomic(), platform_language():
        notify(
            firm_members(payment.payer_id),
            kind="refund.requested",
            title=lambda: _("Your deposit for %(reference)s is on its way back") % {"reference": payment.tender.reference},
            body=lambda: (
                _("%(amount)s, due by %(due)s. %(cause)s")
                % {"amount": refund.money, "due": timezone.localtime(refund.due_at).date().isoformat(), "cause": CAUSES[cause]}
            ),
            url="/payments/",
            organisation=payment.payer,
        )


def _finance_officers(organisation: Organisation) -> list[User]:
    return list(User.objects.with_membership(Role.FINANCE_OFFICER, organisation=organisation))


def _audit_guarantee(action: str, guarantee: Guarantee, actor: User | None, now: datetime, **payload) -> None:
    audit.record(
        action,
        actor=actor,
        organisation=guarantee.organisation,
        obj=guarantee,
        payload={
            "tender": guarantee.tender_id,
            "issuer": guarantee.issuer,
            "number": guarantee.number,
            "amount": str(guarantee.amount),
            "currency": guarantee.currency,
        }
        | payload,
        now=now,
    )


def _guarantee_event(guarantee: Guarantee) -> dict:
    return {"guarantee": guarantee.pk, "tender": guarantee.tender_id, "status": guarantee.status}
