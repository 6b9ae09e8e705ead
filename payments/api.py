"""Money in the API: a firm's bid security for a tender (pay the deposit, give a guarantee), the
payments and refunds a person may read, and the finance officers' confirmations and checks.
Errors have the DESIGN.md shape (`marketplace.rest`); a payment's state never changes from a
payer's call, only from the gateway's webhook or a finance officer's confirmation."""

from django.http import FileResponse, Http404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, permissions, serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from marketplace import access
from marketplace.access import FIRM_ROLES, organisations_where, supplier_firms
from marketplace.errors import ActionError
from marketplace.models import Organisation, Role
from payments import actions, connect, deposits, invoices
from payments.gateway import GatewayError
from payments.models import ConnectedAccount, Gateway, Guarantee, Invoice, Payment, Purpose, Refund
from payments.money import Money
from tenders.models import Tender

MONEY = {"max_digits": 20, "decimal_places": 2}
ERRORS = {
    401: OpenApiResponse(description="not signed in"),
    403: OpenApiResponse(description="not allowed"),
    404: OpenApiResponse(description="no such object, or not visible to you"),
    409: OpenApiResponse(description="the object's state does not allow it"),
    503: OpenApiResponse(description="the payment gateway cannot be reached; nothing was lost, try again"),
    422: OpenApiResponse(description="the rules refuse it; every problem is listed"),
}


class GatewayUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The card payment service cannot be reached just now; try again, or pay by bank transfer."
    default_code = "gateway_unavailable"


class RefundSerializer(serializers.ModelSerializer):
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = Refund
        fields = ["id", "status", "amount", "currency", "reason", "due_at", "overdue", "gateway_reference", "created_at", "succeeded_at"]

    def get_overdue(self, refund: Refund) -> bool:
        return bool(refund.due_at and refund.status != Refund.Status.SUCCEEDED and refund.due_at < timezone.now())


class PaymentSerializer(serializers.ModelSerializer):
    payer = serializers.CharField(source="payer.name")
    payee = serializers.CharField(source="payee.name")
    tender = serializers.IntegerField(source="tender_id", allow_null=True)
    refunds = RefundSerializer(many=True)

    class Meta:
        model = Payment
        fields = [
            "id",
            "purpose",
            "status",
            "tender",
            "payer",
            "payee",
            "amount",
            "currency",
            "gateway",
            "gateway_reference",
            "created_at",
            "succeeded_at",
            "forfeited_at",
            "failure_reason",
            "refunds",
        ]


class GuaranteeSerializer(serializers.ModelSerializer):
    organisation = serializers.CharField(source="organisation.name")

    class Meta:
        model = Guarantee
        fields = [
            "id",
            "tender",
            "organisation",
            "status",
            "issuer",
            "number",
            "amount",
            "currency",
            "valid_until",
            "document_sha256",
            "submitted_at",
            "decided_at",
            "reason",
            "released_at",
            "release_due_at",
        ]


class SecuritySerializer(serializers.Serializer):
    tender = serializers.IntegerField()
    organisation = serializers.IntegerField()
    deposit = serializers.DecimalField(**MONEY, allow_null=True, help_text="The deposit owed; null when the firm owes none.")
    currency = serializers.CharField()
    satisfied = serializers.BooleanField(help_text="The firm's bid security stands: it may bid.")
    guarantee_accepted = serializers.BooleanField(help_text="The tender takes a bank guarantee instead of the deposit.")
    guarantee_valid_until = serializers.DateField(allow_null=True, help_text="The last day a guarantee must cover.")
    gateways = serializers.ListField(child=serializers.CharField())
    payments = PaymentSerializer(many=True)
    guarantees = GuaranteeSerializer(many=True)


class StartDepositSerializer(serializers.Serializer):
    organisation = serializers.IntegerField(required=False, help_text="The firm paying (default: your only firm).")
    gateway = serializers.ChoiceField(choices=Gateway.choices, required=False)


class StartedSerializer(serializers.Serializer):
    payment = PaymentSerializer()
    reference = serializers.CharField(help_text="The RF… reference to quote on the transfer, or the PaymentIntent's id.")
    client_secret = serializers.CharField(help_text="Stripe: for the Payment Element (empty for a transfer).")


class GuaranteeRequestSerializer(serializers.Serializer):
    organisation = serializers.IntegerField(required=False)
    issuer = serializers.CharField(max_length=200)
    number = serializers.CharField(max_length=100)
    amount = serializers.DecimalField(**MONEY)
    valid_until = serializers.DateField()
    document = serializers.FileField()


class ConfirmTransferSerializer(serializers.Serializer):
    bank_reference = serializers.CharField(max_length=200)
    received = serializers.DecimalField(**MONEY, help_text="The amount that arrived, in the payment's currency.")


class ConfirmRefundSerializer(serializers.Serializer):
    bank_reference = serializers.CharField(max_length=200)


class DecisionSerializer(serializers.Serializer):
    accept = serializers.BooleanField()
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True)


def _firm(request, wanted) -> Organisation:
    firms = supplier_firms(request.user)
    if not firms:
        raise ActionError("Only a supplier firm's administrators and bidders give bid security.", code="not_a_firm")
    if wanted in (None, ""):
        return firms[0]
    found = next((f for f in firms if str(f.pk) == str(wanted)), None)
    if found is None:
        raise Http404
    return found


def _tender(request, pk: int) -> Tender:
    tender = Tender.objects.filter(pk=pk).select_related("buyer").first()
    if tender is None or not access.can(request.user, "view_tender", tender):
        raise Http404
    return tender


def _security(tender: Tender, firm: Organisation) -> dict:
    current = deposits.security(firm, tender)
    return {
        "tender": tender.pk,
        "organisation": firm.pk,
        "deposit": current.required.amount if current.required else None,
        "currency": tender.currency,
        "satisfied": current.satisfied,
        "guarantee_accepted": tender.deposit_guarantee_accepted,
        "guarantee_valid_until": deposits.guarantee_needed_until(tender),
        "gateways": deposits.available_gateways(),
        "payments": Payment.objects.filter(tender=tender, payer=firm).select_related("payer", "payee").prefetch_related("refunds"),
        "guarantees": Guarantee.objects.filter(tender=tender, organisation=firm).select_related("organisation"),
    }


class SignedIn(APIView):
    permission_classes = [permissions.IsAuthenticated]


class BidSecurityView(SignedIn):
    @extend_schema(
        parameters=[OpenApiParameter("organisation", int, description="The firm (default: your only firm).")],
        responses={200: SecuritySerializer, **ERRORS},
    )
    def get(self, request, pk: int):
        """Where your firm's bid security for the tender stands: what is owed, paid, given."""
        tender = _tender(request, pk)
        return Response(SecuritySerializer(_security(tender, _firm(request, request.query_params.get("organisation")))).data)


class StartDepositView(SignedIn):
    @extend_schema(request=StartDepositSerializer, responses={201: StartedSerializer, **ERRORS})
    def post(self, request, pk: int):
        """Start (or resume) paying the deposit: a bank transfer (quote the reference; finance
        confirms it) or, where Stripe is configured, a PaymentIntent for the Payment Element.
        409 `already_paid` once paid; 503 while Stripe cannot be reached."""
        data = StartDepositSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        tender, firm = _tender(request, pk), _firm(request, data.validated_data.get("organisation"))
        try:
            started = deposits.start_deposit(request.user, firm, tender, gateway=data.validated_data.get("gateway"))
        except GatewayError:
            raise GatewayUnavailable from None
        payment = Payment.objects.select_related("payer", "payee").prefetch_related("refunds").get(pk=started.payment.pk)
        body = {"payment": payment, "reference": started.reference, "client_secret": started.client_secret}
        return Response(StartedSerializer(body).data, status=status.HTTP_201_CREATED)


class GiveGuaranteeView(SignedIn):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request={"multipart/form-data": GuaranteeRequestSerializer}, responses={201: GuaranteeSerializer, **ERRORS})
    def post(self, request, pk: int):
        """Give a bank guarantee as the bid security; the buyer's finance officers check it."""
        data = GuaranteeRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        tender, firm = _tender(request, pk), _firm(request, data.validated_data.get("organisation"))
        given = data.validated_data
        guarantee = deposits.submit_guarantee(
            request.user,
            firm,
            tender,
            issuer=given["issuer"],
            number=given["number"],
            amount=Money(given["amount"], tender.currency),
            valid_until=given["valid_until"],
            document=given["document"],
        )
        return Response(GuaranteeSerializer(guarantee).data, status=status.HTTP_201_CREATED)


class PaymentListView(SignedIn):
    @extend_schema(responses={200: PaymentSerializer(many=True), **ERRORS})
    def get(self, request):
        """The payments you may read, newest first: your firms' own, and those your agency's
        finance officers handle (deposits it holds, invoices it pays). At most 500."""
        firms = organisations_where(request.user, *FIRM_ROLES)
        agencies = organisations_where(request.user, Role.FINANCE_OFFICER)
        payments = (
            Payment.objects.filter(payer__in=firms)
            | Payment.objects.filter(payee__in=agencies)
            | Payment.objects.filter(payer__in=agencies, purpose=Purpose.INVOICE_SETTLEMENT)
        ).distinct()
        rows = payments.select_related("payer", "payee").prefetch_related("refunds").order_by("-created_at")[:500]
        return Response(PaymentSerializer(rows, many=True).data)


class ConfirmTransferView(SignedIn):
    @extend_schema(request=ConfirmTransferSerializer, responses={200: PaymentSerializer, **ERRORS})
    def post(self, request, pk):
        """A finance officer of the agency confirms the bank transfer arrived (422 `amount_mismatch` for another amount)."""
        payment = _readable_payment(request, pk)
        data = ConfirmTransferSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        payment = actions.confirm_offline_payment(
            request.user,
            payment,
            bank_reference=data.validated_data["bank_reference"],
            received=Money(data.validated_data["received"], payment.currency),
        )
        return Response(PaymentSerializer(_reloaded(payment)).data)


class ConfirmRefundView(SignedIn):
    @extend_schema(request=ConfirmRefundSerializer, responses={200: RefundSerializer, **ERRORS})
    def post(self, request, pk):
        """A finance officer of the agency records the transfer back of a pending refund."""
        refund = Refund.objects.filter(pk=pk).select_related("payment").first()
        if refund is None:
            raise Http404
        _readable_payment(request, refund.payment_id)
        data = ConfirmRefundSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        refund = actions.confirm_offline_refund(request.user, refund, bank_reference=data.validated_data["bank_reference"])
        return Response(RefundSerializer(refund).data)


class GuaranteeDecisionView(SignedIn):
    @extend_schema(request=DecisionSerializer, responses={200: GuaranteeSerializer, **ERRORS})
    def post(self, request, pk: int):
        """A finance officer of the buyer accepts the guarantee or refuses it with a reason."""
        guarantee = Guarantee.objects.filter(pk=pk).select_related("tender", "organisation").first()
        if guarantee is None or not access.can(request.user, "view_guarantee", guarantee):
            raise Http404
        data = DecisionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        guarantee = deposits.decide_guarantee(
            request.user, guarantee, accept=data.validated_data["accept"], reason=data.validated_data.get("reason", "")
        )
        return Response(GuaranteeSerializer(guarantee).data)


def _readable_payment(request, pk) -> Payment:
    """The payment, if the person is of its payer or a finance officer of its payee or payer; else 404."""
    payment = Payment.objects.filter(pk=pk).select_related("payer", "payee").first()
    mine = {o.pk for o in organisations_where(request.user, *FIRM_ROLES, Role.FINANCE_OFFICER)}
    if payment is None or not {payment.payer_id, payment.payee_id} & mine:
        raise Http404
    return payment


def _reloaded(payment: Payment) -> Payment:
    return Payment.objects.select_related("payer", "payee").prefetch_related("refunds").get(pk=payment.pk)


# Invoices -----------------------------------------------------------------------------------


class InvoiceSerializer(serializers.ModelSerializer):
    supplier = serializers.CharField(source="supplier.name")
    buyer = serializers.CharField(source="buyer.name")
    contract_number = serializers.CharField(source="contract.number")
    milestone = serializers.IntegerField(source="milestone.number")
    payment = serializers.UUIDField(source="payment_id", allow_null=True, help_text="the payment order, once approved")
    overdue = serializers.SerializerMethodField(help_text="unpaid past its due date")

    class Meta:
        model = Invoice
        fields = [
            "id",
            "contract",
            "contract_number",
            "milestone",
            "supplier",
            "buyer",
            "status",
            "number",
            "issued_on",
            "amount",
            "currency",
            "document_sha256",
            "submitted_at",
            "due_on",
            "overdue",
            "decided_at",
            "reason",
            "payment",
            "fee",
            "paid_at",
            "transfer_status",
            "transfer_reference",
            "transfer_failure",
            "transferred_at",
        ]

    def get_overdue(self, invoice) -> bool:
        return invoice.is_overdue_on(timezone.localdate())


class InvoiceRequestSerializer(serializers.Serializer):
    number = serializers.CharField(max_length=60)
    issued_on = serializers.DateField()
    amount = serializers.DecimalField(**MONEY)
    document = serializers.FileField(help_text="the invoice as a PDF")


class RejectInvoiceSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=1000)


def _readable_invoice(request, pk: int) -> Invoice:
    invoice = Invoice.objects.filter(pk=pk).select_related("supplier", "buyer", "contract", "milestone").first()
    if invoice is None or not access.can(request.user, "view_invoice", invoice):
        raise Http404
    return invoice


class InvoiceListView(SignedIn):
    @extend_schema(responses={200: InvoiceSerializer(many=True), **ERRORS})
    def get(self, request):
        """The invoices you may read, newest first: your firms' own and those your agency pays. At most 500."""
        firms = organisations_where(request.user, *FIRM_ROLES)
        agencies = organisations_where(request.user, Role.FINANCE_OFFICER)
        rows = (Invoice.objects.filter(supplier__in=firms) | Invoice.objects.filter(buyer__in=agencies)).distinct()
        rows = rows.select_related("supplier", "buyer", "contract", "milestone").order_by("-submitted_at", "-pk")[:500]
        return Response(InvoiceSerializer(rows, many=True).data)


class SubmitInvoiceView(SignedIn):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request={"multipart/form-data": InvoiceRequestSerializer}, responses={201: InvoiceSerializer, **ERRORS})
    def post(self, request, pk: int, number: int):
        """The supplier invoices an accepted milestone (at most its amount; the PDF). 409
        `not_invoiceable` unless accepted and not invoiced yet, `number_used`; 422 `over_milestone`, `not_pdf`."""
        from contracts.queries import milestone_for

        milestone = milestone_for(request.user, pk, number)
        data = InvoiceRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        given = dict(data.validated_data)
        invoice = invoices.submit_invoice(request.user, milestone, document=given.pop("document"), **given)
        return Response(InvoiceSerializer(_readable_invoice(request, invoice.pk)).data, status=status.HTTP_201_CREATED)


class ApproveInvoiceView(SignedIn):
    @extend_schema(request=None, responses={200: InvoiceSerializer, **ERRORS})
    def post(self, request, pk: int):
        """A finance officer of the buyer approves the invoice: the payment order (`payment`) is
        created, settled when the treasury transfer is confirmed (`POST /api/v1/payments/<id>/confirm/`)
        or, for a supplier paid through Stripe Connect, when its PaymentIntent (`POST …/pay/`) succeeds.
        503 while Stripe cannot be reached (approving again retries it)."""
        try:
            invoice = invoices.approve_invoice(request.user, _readable_invoice(request, pk))
        except GatewayError:
            raise GatewayUnavailable from None
        return Response(InvoiceSerializer(_readable_invoice(request, invoice.pk)).data)


class PayInvoiceView(SignedIn):
    @extend_schema(request=None, responses={200: StartedSerializer, **ERRORS})
    def post(self, request, pk: int):
        """A finance officer of the buyer pays an approved invoice settled through Stripe: the
        PaymentIntent (in the contract's `transfer_group`) and its client secret for the Payment
        Element; the same one every time. 409 `not_payable` for a treasury transfer, `not_open` once paid."""
        invoice = _readable_invoice(request, pk)
        try:
            started = invoices.start_settlement_payment(request.user, invoice)
        except GatewayError:
            raise GatewayUnavailable from None
        payment = _reloaded(started.payment)
        return Response(
            StartedSerializer({"payment": payment, "reference": started.reference, "client_secret": started.client_secret}).data
        )


class RejectInvoiceView(SignedIn):
    @extend_schema(request=RejectInvoiceSerializer, responses={200: InvoiceSerializer, **ERRORS})
    def post(self, request, pk: int):
        """A finance officer of the buyer rejects the invoice with a reason; the milestone may be invoiced again."""
        invoice = _readable_invoice(request, pk)
        data = RejectInvoiceSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        invoice = invoices.reject_invoice(request.user, invoice, reason=data.validated_data["reason"])
        return Response(InvoiceSerializer(_readable_invoice(request, invoice.pk)).data)


class InvoiceDocumentView(SignedIn):
    @extend_schema(responses={(200, "application/pdf"): OpenApiResponse(description="the invoice as submitted"), **ERRORS})
    def get(self, request, pk: int):
        """The invoice's PDF, for the supplier and the buyer's finance officers."""
        invoice = _readable_invoice(request, pk)
        return FileResponse(
            invoice.document.open("rb"), as_attachment=True, filename=f"invoice-{invoice.number}.pdf", content_type="application/pdf"
        )


# Stripe Connect ---------------------------------------------------------------------------


class ConnectedAccountSerializer(serializers.ModelSerializer):
    organisation = serializers.IntegerField(source="organisation_id")
    can_receive_transfers = serializers.BooleanField(help_text="Stripe enabled it: approved invoices are paid out to it.")

    class Meta:
        model = ConnectedAccount
        fields = [
            "organisation",
            "stripe_account",
            "country",
            "details_submitted",
            "payouts_enabled",
            "transfers",
            "requirements_due",
            "can_receive_transfers",
            "updated_at",
        ]


class OnboardingRequestSerializer(serializers.Serializer):
    organisation = serializers.IntegerField(required=False, help_text="The firm (default: your only firm).")


class OnboardingSerializer(serializers.Serializer):
    url = serializers.URLField(help_text="Stripe's single-use onboarding link, valid for a few minutes.")
    account = ConnectedAccountSerializer()


def _payout_firm(request, wanted) -> Organisation:
    if not connect.available():
        raise Http404
    firm = _firm(request, wanted)
    if not access.can(request.user, "manage_payouts", firm):
        raise exceptions.PermissionDenied("Only the firm's administrators choose how it is paid.")
    return firm


class ConnectedAccountView(SignedIn):
    @extend_schema(
        parameters=[OpenApiParameter("organisation", int, description="The firm (default: your only firm).")],
        responses={200: ConnectedAccountSerializer, **ERRORS},
    )
    def get(self, request):
        """The firm's Stripe connected account as Stripe last reported it (404 before onboarding, or without Stripe)."""
        firm = _payout_firm(request, request.query_params.get("organisation"))
        account = connect.account_of(firm.pk)
        if account is None:
            raise Http404
        return Response(ConnectedAccountSerializer(account).data)


class OnboardingView(SignedIn):
    @extend_schema(request=OnboardingRequestSerializer, responses={201: OnboardingSerializer, **ERRORS})
    def post(self, request):
        """The firm's administrator asks to receive invoice payments through Stripe: the firm's
        account is created the first time, and a new onboarding link is returned each time. 409
        `not_registered` for a firm not in the supplier registry; 503 while Stripe cannot be reached."""
        data = OnboardingRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        firm = _payout_firm(request, data.validated_data.get("organisation"))
        try:
            url = connect.start_onboarding(request.user, firm)
        except GatewayError:
            raise GatewayUnavailable from None
        body = {"url": url, "account": connect.account_of(firm.pk)}
        return Response(OnboardingSerializer(body).data, status=status.HTTP_201_CREATED)
