"""Stripe Connect: a supplier firm receives its invoices' settlements on its own Stripe account.

The firm's administrator asks for it on the firm's money page: the platform creates the firm's
Express account (once: idempotency key `account:<org id>:create`, in the registry's country,
asking for the `transfers` capability) and sends the administrator to Stripe's onboarding link.
What the account can do is Stripe's word, read from `accounts.retrieve` when the administrator
comes back and from each `account.updated` webhook; never from the return page itself.

Once the account can receive transfers, an approved invoice's payment order is a PaymentIntent
in the contract's `transfer_group` (`payments.invoices.approve_invoice`), which the buyer's
finance officer pays. When it succeeds, `settle` posts the payout and queues `send_transfer`
after the commit: a Transfer of the invoice less the platform fee to the connected account, from
the settlement's charge (`source_transaction`), key `invoice:<id>:transfer`, so however often the
task runs Stripe makes one Transfer. A refused Transfer stays on the finance desk; the sweep
sends again those Stripe may take on a second try.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from contracts.actions import supplier_members
from marketplace import audit, live
from marketplace.access import has_role
from marketplace.errors import Conflict, Forbidden
from marketplace.models import Organisation, Role, User
from marketplace.notify import notify
from payments.gateway import GatewayAccount, GatewayError, gateway_for
from payments.models import ConnectedAccount, Gateway, Invoice
from suppliers.models import Supplier
from tenders.actions.common import platform_language

# A Stripe write the sweep may send again sooner than this is left to the task that runs it.
TRANSFER_QUIET = timedelta(minutes=2)


def available() -> bool:
    """Connect is offered only where Stripe is configured."""
    return bool(settings.STRIPE_SECRET_KEY)


def account_of(organisation_id: int) -> ConnectedAccount | None:
    return ConnectedAccount.objects.filter(organisation_id=organisation_id).first()


def receives_transfers(organisation_id: int) -> bool:
    account = account_of(organisation_id) if available() else None
    return account is not None and account.can_receive_transfers


def require_supplier_admin(actor: User, organisation: Organisation) -> None:
    if not has_role(actor, organisation, Role.SUPPLIER_ADMIN):
        raise Forbidden(_("Only the firm's administrators choose how it is paid."), code="not_supplier_admin")


def _site_url(name: str, organisation: Organisation) -> str:
    return f"{settings.SITE_URL}{reverse(name)}?organisation={organisation.pk}"


def start_onboarding(actor: User, organisation: Organisation) -> str:
    """The firm's Stripe onboarding link (its account created the first time); a new link each call."""
    if not available():
        raise Conflict(_("Payments through Stripe are not configured on this platform."), code="not_configured")
    require_supplier_admin(actor, organisation)
    supplier = Supplier.objects.filter(organisation=organisation).first()
    if supplier is None:
        raise Conflict(_("Register the firm in the supplier registry first: Stripe needs its country."), code="not_registered")
    gateway = gateway_for(Gateway.STRIPE)
    if account_of(organisation.pk) is None:
        # Outside any transaction; a retry after a crash sends the same key and gets the same account.
        reported = gateway.create_account(organisation, country=supplier.country, email=supplier.contact_email)
        with transaction.atomic():
            account, created = ConnectedAccount.objects.get_or_create(
                organisation=organisation,
                defaults={"stripe_account": reported.reference, "country": reported.country or supplier.country, "created_by": actor},
            )
            if created:
                now = timezone.now()
                _copy(account, reported, now)
                account.save()
                _audit("connect.account_created", account, actor, now)
    with transaction.atomic():
        account = ConnectedAccount.objects.select_for_update().get(organisation=organisation)
        account.links_created += 1
        account.save(update_fields=["links_created"])
    return gateway.create_account_link(
        organisation,
        account.stripe_account,
        number=account.links_created,
        refresh_url=_site_url("payments:connect-refresh", organisation),
        return_url=_site_url("payments:connect-return", organisation),
    )


def refresh_account(organisation: Organisation) -> ConnectedAccount | None:
    """Ask Stripe what the firm's account can do now, and record it."""
    account = account_of(organisation.pk)
    if account is None or not available():
        return account
    apply_account(gateway_for(Gateway.STRIPE).retrieve_account(account.stripe_account), source="retrieve")
    account.refresh_from_db()
    return account


def apply_account(reported: GatewayAccount, *, source: str) -> tuple[ConnectedAccount | None, bool]:
    """Record what Stripe reports of a connected account: (the account, whether anything changed);
    (None, False) when it is no account of this platform. Applying the same report twice changes nothing."""
    with transaction.atomic():
        account = ConnectedAccount.objects.select_for_update().filter(stripe_account=reported.reference).first()
        if account is None:
            return None, False
        before = _state(account)
        now = timezone.now()
        _copy(account, reported, now)
        if _state(account) == before:
            return account, False
        account.save()
        _audit("connect.account_updated", account, None, now, source=source)
        live.publish(
            f"org.{account.organisation_id}",
            "connect.account_updated",
            {"account": account.stripe_account, "can_receive_transfers": account.can_receive_transfers},
        )
    return account, True


def _state(account: ConnectedAccount) -> tuple:
    return (account.details_submitted, account.payouts_enabled, account.transfers, list(account.requirements_due))


def _copy(account: ConnectedAccount, reported: GatewayAccount, now: datetime) -> None:
    account.details_submitted = reported.details_submitted
    account.payouts_enabled = reported.payouts_enabled
    account.transfers = reported.transfers
    account.requirements_due = reported.requirements_due[:50]
    account.updated_at = now


def _audit(action: str, account: ConnectedAccount, actor: User | None, now: datetime, **payload) -> None:
    audit.record(
        action,
        actor=actor,
        organisation=account.organisation,
        obj=account,
        payload={
            "account": account.stripe_account,
            "details_submitted": account.details_submitted,
            "payouts_enabled": account.payouts_enabled,
            "transfers": account.transfers,
        }
        | payload,
        now=now,
    )


# The payout's Transfer ---------------------------------------------------------------------


def send_transfer(invoice_id: int) -> Invoice:
    """Make (or make again, with the same idempotency key) the Transfer of a settled invoice to
    the supplier's connected account; record Stripe's answer. A call for an invoice whose Transfer
    is made, or refused for good, changes nothing."""
    invoice = Invoice.objects.select_related("payment", "supplier").get(pk=invoice_id)
    if invoice.transfer_status == Invoice.TransferStatus.MADE or invoice.transfer_status == Invoice.TransferStatus.NONE:
        return invoice
    if invoice.transfer_status == Invoice.TransferStatus.FAILED and not invoice.transfer_retryable:
        return invoice
    account = account_of(invoice.supplier_id)
    if account is None or not account.can_receive_transfers:
        return _transfer_failed(invoice, _("The supplier's Stripe account cannot receive transfers just now."), retryable=True)
    try:
        reported = gateway_for(Gateway.STRIPE).create_transfer(
            invoice,
            destination=account.stripe_account,
            amount=invoice.payout,
            source_transaction=invoice.payment.confirmation_reference,
        )
    except GatewayError as exc:
        return _transfer_failed(invoice, str(exc), retryable=exc.retryable)
    if reported.amount != invoice.payout or reported.destination != account.stripe_account:
        return _transfer_failed(
            invoice,
            f"Stripe's {reported.reference} is {reported.amount} to {reported.destination}, not {invoice.payout} to {account.stripe_account}",
            retryable=False,
        )
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().select_related("contract", "buyer", "supplier").get(pk=invoice_id)
        if invoice.transfer_status != Invoice.TransferStatus.MADE:
            now = timezone.now()
            invoice.transfer_status = Invoice.TransferStatus.MADE
            invoice.transfer_reference = reported.reference
            invoice.transfer_failure, invoice.transfer_retryable = "", False
            invoice.transfer_attempts += 1
            invoice.transferred_at = now
            invoice.save()
            _audit_invoice("invoice.transferred", invoice, now, transfer=reported.reference, amount=str(reported.amount))
            _announce(invoice, "invoice.transferred")
            with platform_language():
                notify(
                    supplier_members(invoice.contract),
                    kind="invoice.transferred",
                    title=lambda: _("Invoice %(number)s is paid out to your Stripe account") % {"number": invoice.number},
                    body=lambda: (
                        _("%(amount)s, Stripe transfer %(transfer)s.") % {"amount": invoice.payout, "transfer": reported.reference}
                    ),
                    url=reverse("payments:overview"),
                    organisation=invoice.supplier,
                )
    return invoice


def _transfer_failed(invoice: Invoice, reason: str, *, retryable: bool) -> Invoice:
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().select_related("buyer", "supplier").get(pk=invoice.pk)
        if invoice.transfer_status == Invoice.TransferStatus.MADE:
            return invoice
        now = timezone.now()
        invoice.transfer_status = Invoice.TransferStatus.FAILED
        invoice.transfer_failure, invoice.transfer_retryable = reason[:500], retryable
        invoice.transfer_attempts += 1
        invoice.save()
        _audit_invoice("invoice.transfer_failed", invoice, now, reason=invoice.transfer_failure, retryable=retryable)
        _announce(invoice, "invoice.transfer_failed")
    return invoice


def transfers_due(now: datetime | None = None):
    """Transfers the sweep sends (again): refused for a reason that may pass, or queued by a task that did not run."""
    quiet = (now or timezone.now()) - TRANSFER_QUIET
    return Invoice.objects.filter(
        status=Invoice.Status.PAID, paid_at__lt=quiet, transfer_status__in=[Invoice.TransferStatus.QUEUED, Invoice.TransferStatus.FAILED]
    ).exclude(transfer_status=Invoice.TransferStatus.FAILED, transfer_retryable=False)


def retry_transfers(now: datetime | None = None) -> int:
    """Send again every transfer due; the number made."""
    made = 0
    for pk in list(transfers_due(now).values_list("pk", flat=True)):
        if send_transfer(pk).transfer_status == Invoice.TransferStatus.MADE:
            made += 1
    return made


def _audit_invoice(action: str, invoice: Invoice, now: datetime, **payload) -> None:
    audit.record(
        action,
        organisation=invoice.buyer,
        obj=invoice,
        payload={"contract": invoice.contract_id, "number": invoice.number, "payout": str(invoice.payout)} | payload,
        now=now,
    )


def _announce(invoice: Invoice, kind: str) -> None:
    payload = {"invoice": invoice.pk, "contract": invoice.contract_id, "transfer_status": invoice.transfer_status}
    for organisation_id in sorted({invoice.buyer_id, invoice.supplier_id}):
        live.publish(f"org.{organisation_id}", kind, payload)
