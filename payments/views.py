"""Money pages: a firm's bid security for a tender and its money overview with its invoices; the
finance officers' desk (transfers to confirm, guarantees to check, invoices to approve, refunds
due, deposits held); the Stripe webhook.

A payment's state never changes from these pages' return from Stripe: only the webhook (or a
reconciliation fetch) and a finance officer's confirmation move it.
"""

import uuid
from collections import defaultdict
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from contracts.deliveries import local_date
from contracts.models import Contract, Milestone
from marketplace import access
from marketplace.access import organisations_where, supplier_firms
from marketplace.errors import ActionError
from marketplace.models import Organisation, Role
from payments import actions, connect, deposits, forms, invoices, ledger, webhooks
from payments.gateway import GatewayError
from payments.models import Gateway, Guarantee, Invoice, Payment, Purpose, Refund
from payments.money import Money
from tenders.models import Tender


@csrf_exempt  # Stripe signs the body instead; there is no session to protect
@require_POST
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    try:
        event = webhooks.verify(request.body, request.headers.get("Stripe-Signature"))
    except webhooks.BadSignature:
        return JsonResponse(
            {"errors": [{"field": None, "code": "bad_signature", "message": "The Stripe signature is missing, wrong or too old."}]},
            status=400,
        )
    row = webhooks.receive(event)
    return JsonResponse({"received": row.event_id, "outcome": row.outcome})


# A firm's side ---------------------------------------------------------------------------------


def _chosen_firm(request, firms: list[Organisation]) -> Organisation:
    wanted = request.GET.get("organisation") or request.POST.get("organisation")
    return next((f for f in firms if str(f.pk) == wanted), firms[0])


def _deposit_url(tender: Tender, firm: Organisation) -> str:
    return reverse("payments:deposit", args=[tender.pk]) + f"?organisation={firm.pk}"


@login_required
def deposit(request, tender_id: int):
    """The firm's bid security for one tender: pay the deposit, give a guarantee, see where it stands."""
    tender = Tender.objects.filter(pk=tender_id).select_related("buyer").first()
    if tender is None or not access.can(request.user, "view_tender", tender):
        raise Http404
    firms = [f for f in supplier_firms(request.user) if access.can(request.user, "give_bid_security", f)]
    if not firms:
        raise PermissionDenied("give_bid_security")
    firm = _chosen_firm(request, firms)
    guarantee_form = forms.GuaranteeForm()
    started = None
    status = 200
    if request.method == "POST":
        try:
            if request.POST.get("action") == "pay":
                started = deposits.start_deposit(request.user, firm, tender, gateway=request.POST.get("gateway"))
                if started.payment.gateway == Gateway.OFFLINE:
                    messages.success(request, _("Make the bank transfer quoting the reference shown below."))
                    return redirect(_deposit_url(tender, firm))
            elif request.POST.get("action") == "cancel":
                payment = get_object_or_404(Payment, pk=_uuid(request.POST.get("payment")), payer=firm, tender=tender)
                deposits.cancel_deposit(request.user, payment)
                messages.success(request, _("The payment was cancelled."))
                return redirect(_deposit_url(tender, firm))
            elif request.POST.get("action") == "guarantee":
                guarantee_form = forms.GuaranteeForm(request.POST, request.FILES)
                if guarantee_form.is_valid():
                    data = guarantee_form.cleaned_data
                    deposits.submit_guarantee(
                        request.user,
                        firm,
                        tender,
                        issuer=data["issuer"],
                        number=data["number"],
                        amount=guarantee_form.money(tender.currency),
                        valid_until=data["valid_until"],
                        document=data["document"],
                    )
                    messages.success(request, _("The guarantee was sent to the buyer's finance officers to check."))
                    return redirect(_deposit_url(tender, firm))
                status = 422
            else:
                raise Http404
        except ActionError as error:
            for problem in error.problems:
                if problem.field and problem.field in guarantee_form.fields and guarantee_form.is_bound:
                    guarantee_form.add_error(problem.field, str(problem.message))
                else:
                    messages.error(request, str(problem.message))
            status = error.status
        except GatewayError:
            messages.error(
                request, _("The card payment service cannot be reached just now. Try again in a few minutes, or pay by bank transfer.")
            )
            status = 503
    current = deposits.security(firm, tender)
    context = {
        "tender": tender,
        "firm": firm,
        "firms": firms,
        "security": current,
        "accepts": tender.accepts_bids_at(timezone.now()),
        "gateways": deposits.available_gateways(),
        "payments": Payment.objects.filter(purpose=Purpose.BID_DEPOSIT, tender=tender, payer=firm).prefetch_related("refunds"),
        "guarantees": Guarantee.objects.filter(tender=tender, organisation=firm),
        "guarantee_form": guarantee_form,
        "guarantee_until": deposits.guarantee_needed_until(tender),
        "stripe": _stripe_config(started, tender, firm) if started else None,
    }
    response = render(request, "payments/deposit.html", context, status=status)
    if started is not None:
        _allow_stripe_js(response)
    return response


def _allow_stripe_js(response: HttpResponse) -> None:
    # Stripe.js and its frames come from Stripe (the platform's own policy allows only itself).
    origin = _origin(settings.STRIPE_JS_URL)
    response.headers["Content-Security-Policy"] = (
        f"default-src 'self'; script-src 'self' {origin}; frame-src {origin}; connect-src 'self' {origin} {_origin(settings.STRIPE_API_BASE)}; "
        "img-src 'self' data:; style-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    )


def _stripe_config(started: actions.PaymentStart, tender: Tender, firm: Organisation) -> dict:
    return _payment_element(started, _deposit_url(tender, firm))


def _payment_element(started: actions.PaymentStart, return_url: str) -> dict:
    return {
        "js": settings.STRIPE_JS_URL,
        "config": (
            {
                "publishableKey": settings.STRIPE_PUBLISHABLE_KEY,
                "clientSecret": started.client_secret,
                "returnUrl": return_url,
                "messages": {"failed": _("The payment did not go through:"), "done": _("Paid. The page updates when Stripe confirms it.")},
            }
        ),
    }


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _uuid(value):
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise Http404 from None


@login_required
def overview(request):
    """A firm's money: its deposits, guarantees and refunds, newest first. Finance officers go to their desk."""
    firms = supplier_firms(request.user)
    if not firms:
        if access.can(request.user, "work_finance"):
            return redirect("payments:finance")
        raise PermissionDenied("give_bid_security")
    today = local_date(timezone.now())
    to_invoice = (
        Milestone.objects.filter(
            contract__supplier__in=firms, status=Milestone.Status.ACCEPTED, contract__status__in=Contract.PUBLIC_STATUSES
        )
        .select_related("contract")
        .order_by("contract", "number")
    )
    return render(
        request,
        "payments/overview.html",
        {
            "payments": Payment.objects.filter(payer__in=firms).select_related("tender", "payee").prefetch_related("refunds")[:200],
            "guarantees": Guarantee.objects.filter(organisation__in=firms).select_related("tender")[:200],
            "to_invoice": [
                (m, forms.InvoiceForm(initial={"amount": m.amount, "issued_on": today}, auto_id=f"id_invoice_{m.pk}_%s"))
                for m in to_invoice
            ],
            "invoices": Invoice.objects.filter(supplier__in=firms).select_related("contract", "milestone")[:200],
            "today": today,
            "now": timezone.now(),
            # Offline configuration: the option is not offered at all.
            "connect": [(f, connect.account_of(f.pk)) for f in firms if access.can(request.user, "manage_payouts", f)]
            if connect.available()
            else [],
        },
    )


# Stripe Connect: the firm's connected account ------------------------------------------------


def _payout_firm(request) -> Organisation:
    if not connect.available():
        raise Http404
    firms = supplier_firms(request.user)
    wanted = request.GET.get("organisation") or request.POST.get("organisation")
    firm = next((f for f in firms if str(f.pk) == wanted), None) if wanted else (firms[0] if firms else None)
    if firm is None and firms:
        raise Http404  # another firm's
    if firm is None or not access.can(request.user, "manage_payouts", firm):
        raise PermissionDenied("manage_payouts")
    return firm


def _onboarding_redirect(request, firm: Organisation) -> HttpResponse:
    try:
        return redirect(connect.start_onboarding(request.user, firm))
    except ActionError as error:
        for problem in error.problems:
            messages.error(request, str(problem.message))
    except GatewayError:
        messages.error(request, _("Stripe cannot be reached just now; try again in a few minutes."))
    return redirect("payments:overview")


@login_required
@require_POST
def connect_onboard(request):
    """The firm's administrator asks to receive invoice payments through Stripe: off to Stripe's onboarding."""
    return _onboarding_redirect(request, _payout_firm(request))


@login_required
def connect_refresh(request):
    """Stripe sends the administrator here when an onboarding link expired: a new one."""
    return _onboarding_redirect(request, _payout_firm(request))


@login_required
def connect_return(request):
    """Back from Stripe's onboarding: what the account can do is asked of Stripe, not taken from this visit."""
    firm = _payout_firm(request)
    try:
        account = connect.refresh_account(firm)
    except GatewayError:
        messages.error(request, _("Stripe cannot be reached just now; the page shows your account as Stripe last reported it."))
        return redirect("payments:overview")
    if account is None:
        messages.error(request, _("Your firm has no Stripe account yet."))
    elif account.can_receive_transfers:
        messages.success(request, _("Your Stripe account is ready: approved invoices are paid out to it."))
    else:
        messages.info(request, _("Stripe has not enabled your account yet; finish what Stripe asks, or wait for its check."))
    return redirect("payments:overview")


@login_required
@require_POST
def submit_invoice(request, contract_id: int, number: int):
    milestone = Milestone.objects.filter(contract_id=contract_id, number=number).select_related("contract").first()
    if milestone is None or not access.can(request.user, "give_bid_security", milestone.contract.supplier):
        raise Http404
    form = forms.InvoiceForm(request.POST, request.FILES)
    try:
        if not form.is_valid():
            raise ActionError(" ".join(str(e) for errors in form.errors.values() for e in errors), code="invalid")
        invoice = invoices.submit_invoice(request.user, milestone, document=form.cleaned_data.pop("document"), **form.cleaned_data)
    except ActionError as error:
        for problem in error.problems:
            messages.error(request, str(problem.message))
    else:
        messages.success(
            request, _("Invoice %(number)s is submitted; it is to be paid by %(due)s.") % {"number": invoice.number, "due": invoice.due_on}
        )
    return redirect("payments:overview")


@login_required
def invoice_document(request, invoice_id: int):
    invoice = Invoice.objects.filter(pk=invoice_id).first()
    if invoice is None or not access.can(request.user, "view_invoice", invoice):
        raise Http404
    return FileResponse(invoice.document.open("rb"), as_attachment=True, filename=f"invoice-{invoice.number}.pdf")


@login_required
def guarantee_document(request, guarantee_id: int):
    guarantee = Guarantee.objects.filter(pk=guarantee_id).select_related("tender").first()
    if guarantee is None or not access.can(request.user, "view_guarantee", guarantee):
        raise Http404
    return FileResponse(guarantee.document.open("rb"), as_attachment=True, filename=f"guarantee-{guarantee.number}{_suffix(guarantee)}")


def _suffix(guarantee: Guarantee) -> str:
    name = guarantee.document.name
    return name[name.rfind(".") :] if "." in name else ""


# The finance officers' desk --------------------------------------------------------------------


@login_required
def finance(request):
    agencies = organisations_where(request.user, Role.FINANCE_OFFICER)
    if not agencies:
        raise PermissionDenied("work_finance")
    now = timezone.now()
    held = defaultdict(lambda: {"count": 0, "total": None, "tender": None})
    for payment in Payment.objects.filter(
        payee__in=agencies, purpose=Purpose.BID_DEPOSIT, status=Payment.Status.SUCCEEDED, forfeited_at=None
    ).select_related("tender"):
        left = actions.refundable(payment)
        if left.amount <= 0:
            continue
        row = held[payment.tender_id]
        row["tender"], row["count"] = payment.tender, row["count"] + 1
        row["total"] = left if row["total"] is None else row["total"] + left
    refunds = list(
        Refund.objects.filter(payment__payee__in=agencies)
        .exclude(status__in=[Refund.Status.SUCCEEDED, Refund.Status.CANCELLED])
        .select_related("payment", "payment__payer", "payment__tender")
        .order_by("due_at")
    )
    return render(
        request,
        "payments/finance.html",
        {
            "agencies": agencies,
            "transfers": Payment.objects.filter(
                Q(payee__in=agencies, purpose=Purpose.BID_DEPOSIT) | Q(payer__in=agencies, purpose=Purpose.INVOICE_SETTLEMENT),
                gateway=Gateway.OFFLINE,
                status=Payment.Status.PENDING,
            )
            .select_related("payer", "payee", "tender")
            .order_by("created_at"),
            "invoices_to_approve": Invoice.objects.filter(buyer__in=agencies, status=Invoice.Status.SUBMITTED)
            .select_related("supplier", "contract", "milestone")
            .order_by("due_on"),
            "invoices_overdue": Invoice.objects.filter(buyer__in=agencies).overdue_on(local_date(now)).count(),
            "invoices_to_pay": Invoice.objects.filter(
                buyer__in=agencies, status=Invoice.Status.APPROVED, payment__gateway=Gateway.STRIPE
            ).select_related("supplier", "contract", "payment"),
            "transfers_failing": Invoice.objects.filter(
                buyer__in=agencies,
                transfer_status__in=[Invoice.TransferStatus.FAILED, Invoice.TransferStatus.QUEUED],
            ).select_related("supplier", "contract"),
            "invoices_paid": Invoice.objects.filter(buyer__in=agencies, status=Invoice.Status.PAID)
            .select_related("supplier", "contract")
            .order_by("-paid_at")[:20],
            "today": local_date(now),
            "reject_invoice_form": forms.RejectInvoiceForm(),
            "guarantees": Guarantee.objects.filter(tender__buyer__in=agencies, status=Guarantee.Status.SUBMITTED).select_related(
                "organisation", "tender"
            ),
            "refunds": refunds,
            "overdue": sum(1 for r in refunds if r.due_at and r.due_at < now),
            "held": sorted(held.values(), key=lambda r: r["tender"].pk),
            "accepted_guarantees": Guarantee.objects.filter(tender__buyer__in=agencies, status=Guarantee.Status.ACCEPTED).select_related(
                "organisation", "tender"
            ),
            "made": Refund.objects.filter(payment__payee__in=agencies, status=Refund.Status.SUCCEEDED)
            .select_related("payment", "payment__payer", "payment__tender")
            .order_by("-succeeded_at")[:20],
            "unbalanced": ledger.unbalanced_transactions(),
            "now": now,
            "transfer_form": forms.ConfirmTransferForm(),
            "refund_form": forms.ConfirmRefundForm(),
            "refuse_form": forms.RefuseGuaranteeForm(),
        },
    )


def _finance_post(request, work) -> HttpResponse:
    if not access.can(request.user, "work_finance"):
        raise PermissionDenied("work_finance")
    try:
        done = work()
    except ActionError as error:
        for problem in error.problems:
            messages.error(request, str(problem.message))
    except GatewayError:
        messages.error(request, _("The payment gateway cannot be reached just now; try again in a few minutes."))
    else:
        messages.success(request, done)
    return redirect("payments:finance")


@login_required
@require_POST
def confirm_transfer(request, payment_id):
    payment = get_object_or_404(Payment, pk=payment_id)
    form = forms.ConfirmTransferForm(request.POST)

    def work():
        if not form.is_valid():
            raise ActionError(_("Give the bank's reference and the amount received."), code="invalid")
        actions.confirm_offline_payment(
            request.user,
            payment,
            bank_reference=form.cleaned_data["bank_reference"],
            received=Money(form.cleaned_data["received"], payment.currency),
        )
        return _("The transfer %(reference)s is confirmed.") % {"reference": payment.gateway_reference}

    return _finance_post(request, work)


@login_required
@require_POST
def approve_invoice(request, invoice_id: int):
    invoice = get_object_or_404(Invoice, pk=invoice_id)

    def work():
        approved = invoices.approve_invoice(request.user, invoice)
        if approved.payment.gateway == Gateway.STRIPE:
            return _("Invoice %(number)s is approved: pay it through Stripe from its payment page.") % {"number": invoice.number}
        return _("Invoice %(number)s is approved: record the treasury transfer once it is made.") % {"number": invoice.number}

    return _finance_post(request, work)


@login_required
def pay_invoice(request, invoice_id: int):
    """The buyer's finance officer pays an approved invoice settled through Stripe (Payment Element)."""
    invoice = Invoice.objects.filter(pk=invoice_id).select_related("buyer", "supplier", "contract", "payment").first()
    if invoice is None or not access.can(request.user, "view_invoice", invoice):
        raise Http404
    if not access.can(request.user, "work_finance", invoice.buyer):
        raise PermissionDenied("work_finance")
    try:
        started = invoices.start_settlement_payment(request.user, invoice)
    except ActionError as error:
        for problem in error.problems:
            messages.error(request, str(problem.message))
        return redirect("payments:finance")
    except GatewayError:
        messages.error(request, _("The payment gateway cannot be reached just now; try again in a few minutes."))
        return redirect("payments:finance")
    context = {
        "invoice": invoice,
        "stripe": _payment_element(started, reverse("payments:finance")),
    }
    response = render(request, "payments/pay_invoice.html", context)
    _allow_stripe_js(response)
    return response


@login_required
@require_POST
def reject_invoice(request, invoice_id: int):
    invoice = get_object_or_404(Invoice, pk=invoice_id)
    form = forms.RejectInvoiceForm(request.POST)

    def work():
        if not form.is_valid():
            raise ActionError(_("Say why the invoice is rejected."), code="required")
        invoices.reject_invoice(request.user, invoice, reason=form.cleaned_data["reason"])
        return _("Invoice %(number)s is rejected; the supplier is told why.") % {"number": invoice.number}

    return _finance_post(request, work)


@login_required
@require_POST
def confirm_refund(request, refund_id):
    refund = get_object_or_404(Refund, pk=refund_id)
    form = forms.ConfirmRefundForm(request.POST)

    def work():
        if not form.is_valid():
            raise ActionError(_("Give the bank's reference of the transfer back."), code="invalid")
        actions.confirm_offline_refund(request.user, refund, bank_reference=form.cleaned_data["bank_reference"])
        return _("The refund is recorded as made.")

    return _finance_post(request, work)


@login_required
@require_POST
def decide_guarantee(request, guarantee_id: int):
    guarantee = get_object_or_404(Guarantee, pk=guarantee_id)
    form = forms.RefuseGuaranteeForm(request.POST)
    accept = request.POST.get("decision") == "accept"

    def work():
        reason = form.cleaned_data["reason"] if form.is_valid() else ""
        deposits.decide_guarantee(request.user, guarantee, accept=accept, reason=reason)
        return _("The guarantee is accepted: the firm may bid.") if accept else _("The guarantee is refused; the firm is told why.")

    return _finance_post(request, work)
