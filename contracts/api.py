"""Contracts in the API: the list and each contract (public once signed by both), the signed
document, the parties' actions (prepare, write milestones, send, sign, decline, deliver,
accept or reject a delivery, amend, terminate), the rating of the supplier's performance and its
answer, a firm's performance record, the platform's root certificate, and checking a signed
PDF. Errors have the DESIGN.md shape (`marketplace.rest`)."""

import dataclasses

from django.conf import settings
from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import generics, permissions, serializers
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from contracts import access as contract_access
from contracts import actions, amendments, authority, closing, deliveries, document, performance, signatures
from contracts import serializers as contract_serializers
from contracts.filters import ContractFilter
from contracts.models import Contract, DeliveryDocument, PerformanceRating
from contracts.queries import amendment_for, contract_for, milestone_for
from marketplace import access
from marketplace.errors import TooLarge
from suppliers.views.common import public_supplier_for

PEM_CHAIN = "application/pem-certificate-chain"  # RFC 8555 §9.1


class PemRenderer(BaseRenderer):
    media_type = PEM_CHAIN
    format = "pem"
    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data


class RootCertificateView(APIView):
    """The platform's root certificate, in PEM. Trust it in a PDF reader (or any X.509 tool) and
    the signatures on Tenderhall contracts show as valid."""

    authentication_classes = []
    # JSON first: the certificate itself is written as PEM whatever was asked, and an error (an
    # unknown `?format=`, say) is answered in the API's JSON error shape, not labelled as PEM.
    renderer_classes = [JSONRenderer, PemRenderer]

    @extend_schema(auth=[], responses={(200, PEM_CHAIN): OpenApiResponse(OpenApiTypes.STR, description=_("The root certificate (PEM)."))})
    def get(self, request):
        response = HttpResponse(authority.root_pem(), content_type=PEM_CHAIN)
        response["Content-Disposition"] = 'inline; filename="tenderhall-root.pem"'
        response["Cache-Control"] = "public, max-age=3600"
        return response


class VerifyRequestSerializer(serializers.Serializer):
    document = serializers.FileField(help_text="The signed PDF.")
    signature = serializers.FileField(required=False, help_text="Optionally, a detached CMS signature (.p7s) over the same PDF.")


_signer = inline_serializer(
    "ContractSigner",
    {
        "name": serializers.CharField(),
        "email": serializers.CharField(),
        "organisation": serializers.CharField(),
        "organisation_identifier": serializers.CharField(),
        "country": serializers.CharField(),
        "certificate_serial": serializers.CharField(),
        "certificate_fingerprint": serializers.CharField(),
        "issuer": serializers.CharField(),
    },
    allow_null=True,
)
_verification = inline_serializer(
    "ContractDocumentVerification",
    {
        "sha256": serializers.CharField(),
        "size": serializers.IntegerField(),
        "valid": serializers.BooleanField(help_text="At least one signature, and every signature valid."),
        "signatures": inline_serializer(
            "ContractSignatureCheck",
            {
                "field": serializers.CharField(),
                "valid": serializers.BooleanField(),
                "intact": serializers.BooleanField(),
                "trusted": serializers.BooleanField(),
                "coverage": serializers.ChoiceField(["entire_file", "entire_revision", "partial"]),
                "byte_range": serializers.ListField(child=serializers.IntegerField()),
                "signed_bytes": serializers.IntegerField(),
                "changes_after": serializers.ChoiceField(["none", "signatures", "archival", "other"]),
                "signed_at": serializers.DateTimeField(allow_null=True),
                "signer": _signer,
                "problems": serializers.ListField(child=serializers.CharField()),
            },
            many=True,
        ),
        "detached": inline_serializer(
            "DetachedSignatureCheck",
            {
                "intact": serializers.BooleanField(),
                "trust": serializers.ChoiceField(["not_checked"]),
                "signed_at": serializers.DateTimeField(allow_null=True),
                "signer": _signer,
                "problems": serializers.ListField(child=serializers.CharField()),
            },
            allow_null=True,
        ),
    },
)


class VerifyDocumentView(APIView):
    """Anyone may check a signed contract PDF: each signature, valid or not, by whom, when, over
    which bytes, against the platform's root certificate."""

    parser_classes = [MultiPartParser]

    @extend_schema(request={"multipart/form-data": VerifyRequestSerializer}, responses={200: _verification})
    def post(self, request):
        serializer = VerifyRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        document = _read(serializer.validated_data["document"], "document")
        result = signatures.verify_pdf(document)
        detached = None
        if "signature" in serializer.validated_data:
            detached = dataclasses.asdict(signatures.verify_detached(document, _read(serializer.validated_data["signature"], "signature")))
        return Response(
            {
                "sha256": result.sha256,
                "size": result.size,
                "valid": result.all_valid,
                "signatures": [dataclasses.asdict(check) for check in result.signatures],
                "detached": detached,
            }
        )


def _read(upload, field: str) -> bytes:
    if upload.size > settings.CONTRACT_DOCUMENT_MAX_BYTES:
        raise TooLarge(
            _("The file is larger than %(limit)s MiB.") % {"limit": settings.CONTRACT_DOCUMENT_MAX_BYTES // (1024 * 1024)}, field=field
        )
    return upload.read()


ERRORS = {
    400: OpenApiResponse(description="malformed input"),
    403: OpenApiResponse(description="not allowed, or a wrong password"),
    404: OpenApiResponse(description="not found, or not visible to you"),
    409: OpenApiResponse(description="the contract's state or the signing deadline does not allow it"),
    422: OpenApiResponse(description="the rules refuse it; every problem is listed"),
}


def contract_data(request, contract) -> dict:
    return contract_serializers.ContractSerializer(contract, context={"request": request}).data


def milestone_data(request, milestone) -> dict:
    return contract_serializers.MilestoneSerializer(milestone, context={"request": request}).data


class ContractListView(generics.ListAPIView):
    """Contracts, newest first: the public sees those signed by both parties; the parties and
    auditors also see drafts and contracts awaiting signatures."""

    serializer_class = contract_serializers.ContractSummarySerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = ContractFilter

    def get_queryset(self):
        contracts = Contract.objects.select_related("tender", "lot")
        return contract_access.visible_contracts(self.request.user, contracts).order_by("-created_at", "-pk")


class ContractDetailView(APIView):
    @extend_schema(responses={200: contract_serializers.ContractSerializer, **ERRORS})
    def get(self, request, pk: int):
        """One contract: parties, value, items, period, signatures, the document's SHA-256."""
        return Response(contract_data(request, contract_for(request.user, pk)))

    @extend_schema(request=contract_serializers.DraftChangesSerializer, responses={200: contract_serializers.ContractSerializer, **ERRORS})
    def patch(self, request, pk: int):
        """The buyer's officer edits the draft: period, signatories, special terms. A field the
        award fixed (value, currency, items, supplier) is refused (422 `fixed_by_award`)."""
        contract = contract_for(request.user, pk, "prepare_contract")
        serializer = contract_serializers.DraftChangesSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        others = {name: request.data[name] for name in request.data if name not in contract_serializers.DraftChangesSerializer().fields}
        contract = actions.edit_draft(request.user, contract, dict(serializer.validated_data) | others)
        return Response(contract_data(request, contract))


class ContractDocumentView(APIView):
    renderer_classes = [JSONRenderer]

    @extend_schema(responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY), **ERRORS})
    def get(self, request, pk: int):
        """The contract's PDF: signed by both once active, otherwise as it stands (its parties only)."""
        contract = contract_for(request.user, pk)
        source = contract.signed_document or contract.document
        if not source:
            raise Http404
        with source.open("rb") as file:
            response = HttpResponse(file.read(), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{contract.number}.pdf"'
        response["X-Content-SHA256"] = contract.signed_sha256 or contract.document_sha256
        return response


class ContractAction(APIView):
    permission_classes = [permissions.IsAuthenticated]


class SendForSignatureView(ContractAction):
    @extend_schema(request=None, responses={200: contract_serializers.ContractSerializer, **ERRORS})
    def post(self, request, pk: int):
        """Render the document (a few seconds, in this request) and send it to the parties to sign."""
        contract = actions.send_for_signature(request.user, contract_for(request.user, pk, "prepare_contract"))
        return Response(contract_data(request, contract))


class SignView(ContractAction):
    @extend_schema(request=contract_serializers.SignSerializer, responses={200: contract_serializers.ContractSerializer, **ERRORS})
    def post(self, request, pk: int):
        """Sign for your party with your password: the supplier's administrator first, then the
        buyer's procurement officer. A wrong password is a 403 `wrong_password`; whoever has an
        authenticator app sends its code as `otp` too (403 `otp_required`, `wrong_otp`, `otp_used`;
        429 `otp_throttled` after repeated wrong codes)."""
        contract = contract_for(request.user, pk)
        serializer = contract_serializers.SignSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        contract = actions.sign_contract(request.user, contract, **serializer.validated_data)
        return Response(contract_data(request, contract))


class DeclineView(ContractAction):
    @extend_schema(request=contract_serializers.DeclineSerializer, responses={200: contract_serializers.ContractSerializer, **ERRORS})
    def post(self, request, pk: int):
        """The winning firm declines the contract, with its reason: contract and award are cancelled."""
        contract = contract_for(request.user, pk)
        serializer = contract_serializers.DeclineSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        contract = actions.decline_contract(request.user, contract, reason=serializer.validated_data["reason"])
        return Response(contract_data(request, contract))


class MilestonesView(ContractAction):
    @extend_schema(request=contract_serializers.MilestonesSerializer, responses={200: contract_serializers.ContractSerializer, **ERRORS})
    def put(self, request, pk: int):
        """The buyer's officer writes the draft's milestones, all at once. Their amounts must sum
        to the contract value exactly (else 422 `amounts_do_not_sum`), each due within the
        period. An empty list leaves the default: sending makes one milestone for the whole
        value, due at the period end."""
        contract = contract_for(request.user, pk, "prepare_contract")
        serializer = contract_serializers.MilestonesSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        plans = [
            document.Milestone(m["description"], m["due_date"], m["amount"], m["deliverables"])
            for m in serializer.validated_data["milestones"]
        ]
        return Response(contract_data(request, actions.set_milestones(request.user, contract, plans)))


class DeliverView(ContractAction):
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(
        request={"multipart/form-data": contract_serializers.DeliverSerializer, "application/json": contract_serializers.DeliverSerializer},
        responses={200: contract_serializers.MilestoneSerializer, 413: OpenApiResponse(description="a file over the limit"), **ERRORS},
    )
    def post(self, request, pk: int, number: int):
        """The winning firm reports the milestone delivered, with a note and optional documents;
        a rejected delivery may be reported again. Another firm: 403 `not_the_supplier`."""
        milestone = milestone_for(request.user, pk, number)
        serializer = contract_serializers.DeliverSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        milestone = deliveries.report_delivery(
            request.user, milestone, note=serializer.validated_data["note"], documents=serializer.validated_data["documents"]
        )
        return Response(milestone_data(request, milestone))


class AcceptDeliveryView(ContractAction):
    @extend_schema(request=None, responses={200: contract_serializers.MilestoneSerializer, **ERRORS})
    def post(self, request, pk: int, number: int):
        """The buyer's procurement officer accepts the delivered milestone (409 `not_delivered`
        if there is no delivery awaiting a decision). The last acceptance completes the contract."""
        milestone = deliveries.accept_delivery(request.user, milestone_for(request.user, pk, number))
        return Response(milestone_data(request, milestone))


class RejectDeliveryView(ContractAction):
    @extend_schema(request=contract_serializers.RejectSerializer, responses={200: contract_serializers.MilestoneSerializer, **ERRORS})
    def post(self, request, pk: int, number: int):
        """The buyer's procurement officer rejects the delivery with a reason; the firm may deliver again."""
        milestone = milestone_for(request.user, pk, number)
        serializer = contract_serializers.RejectSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        milestone = deliveries.reject_delivery(request.user, milestone, reason=serializer.validated_data["reason"])
        return Response(milestone_data(request, milestone))


class TerminateView(ContractAction):
    @extend_schema(request=contract_serializers.TerminateSerializer, responses={200: contract_serializers.ContractSerializer, **ERRORS})
    def post(self, request, pk: int):
        """The buyer's procurement officer terminates an active contract, with the reason and
        the amount paid under it (at most its value)."""
        contract = contract_for(request.user, pk)
        serializer = contract_serializers.TerminateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        contract = closing.terminate_contract(
            request.user, contract, reason=serializer.validated_data["reason"], amount_paid=serializer.validated_data["amount_paid"]
        )
        return Response(contract_data(request, contract))


def amendment_data(request, amendment) -> dict:
    return contract_serializers.ContractAmendmentSerializer(amendment, context={"request": request}).data


class AmendmentsView(APIView):
    permission_classes = [permissions.IsAuthenticatedOrReadOnly]

    @extend_schema(responses={200: contract_serializers.ContractAmendmentSerializer(many=True), **ERRORS})
    def get(self, request, pk: int):
        """The contract's amendments, oldest first: public with the contract."""
        contract = contract_for(request.user, pk)
        found = contract.amendments.prefetch_related("signatures__signed_by", "signatures__organisation", "signatures__certificate")
        return Response(contract_serializers.ContractAmendmentSerializer(found, many=True, context={"request": request}).data)

    @extend_schema(
        request=contract_serializers.ProposeContractAmendmentSerializer,
        responses={201: contract_serializers.ContractAmendmentSerializer, **ERRORS},
    )
    def post(self, request, pk: int):
        """The buyer's procurement officer proposes an amendment of an active contract and signs
        it for the buyer with their password. The value may grow by at most
        `CONTRACT_AMENDMENT_MAX_INCREASE_PERCENT` of the value as signed, all increases counted
        (else 422 `over_increase_limit`); one proposal at a time (409 `amendment_pending`)."""
        contract = contract_for(request.user, pk)
        serializer = contract_serializers.ProposeContractAmendmentSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        amendment = amendments.propose_amendment(request.user, contract, **serializer.validated_data)
        return Response(amendment_data(request, amendment), status=201)


class SignAmendmentView(ContractAction):
    @extend_schema(request=contract_serializers.SignSerializer, responses={200: contract_serializers.ContractAmendmentSerializer, **ERRORS})
    def post(self, request, pk: int, number: int):
        """The winning firm's administrator signs the proposed amendment with their password: it
        is in force and the contract changes. Signing again is a 409 `already_signed`."""
        amendment = amendment_for(request.user, pk, number)
        serializer = contract_serializers.SignSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        amendment = amendments.sign_amendment(request.user, amendment, **serializer.validated_data)
        return Response(amendment_data(request, amendment))


class DeclineAmendmentView(ContractAction):
    @extend_schema(
        request=contract_serializers.DeclineSerializer, responses={200: contract_serializers.ContractAmendmentSerializer, **ERRORS}
    )
    def post(self, request, pk: int, number: int):
        """The winning firm's administrator declines the proposed amendment, saying why: nothing changes."""
        amendment = amendment_for(request.user, pk, number)
        serializer = contract_serializers.DeclineSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        amendment = amendments.decline_amendment(request.user, amendment, reason=serializer.validated_data["reason"])
        return Response(amendment_data(request, amendment))


class DeliveryDocumentView(APIView):
    renderer_classes = [JSONRenderer]

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY), **ERRORS})
    def get(self, request, pk: int, document_id: int):
        """A file attached to a delivery: for the parties and auditors only, even on a public contract."""
        contract = contract_for(request.user, pk)
        attached = DeliveryDocument.objects.filter(pk=document_id, delivery__milestone__contract=contract).first()
        # Not 403: whether a firm attached a file is not the public's to learn.
        if attached is None or not access.can(request.user, "read_delivery_documents", contract):
            raise Http404
        with attached.file.open("rb") as file:
            response = HttpResponse(file.read(), content_type=attached.media_type)
        response["Content-Disposition"] = f'attachment; filename="{attached.filename}"'
        response["X-Content-SHA256"] = attached.sha256
        return response


def rating_data(contract: Contract) -> dict:
    rating = PerformanceRating.objects.get(contract=contract)
    rating.contract = contract
    return contract_serializers.RatingSerializer(rating).data


class RatingView(APIView):
    permission_classes = [permissions.IsAuthenticatedOrReadOnly]

    @extend_schema(responses={200: contract_serializers.RatingSerializer, **ERRORS})
    def get(self, request, pk: int):
        """The rating of the supplier's performance with the facts the platform recorded beside
        it, and the supplier's answer: public, as the contract is. 404 until rated."""
        contract = contract_for(request.user, pk)
        if not PerformanceRating.objects.filter(contract=contract).exists():
            raise Http404
        return Response(rating_data(contract))

    @extend_schema(request=contract_serializers.RateSerializer, responses={201: contract_serializers.RatingSerializer, **ERRORS})
    def post(self, request, pk: int):
        """The buyer's procurement officer rates a completed or terminated contract, once:
        quality, timeliness and compliance from 1 to 5, with a comment. A second rating is a 409
        `already_rated`; an active contract a 409 `not_finished`."""
        contract = contract_for(request.user, pk)
        serializer = contract_serializers.RateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        performance.rate_performance(request.user, contract, **serializer.validated_data)
        return Response(rating_data(contract), status=201)


class RatingAnswerView(ContractAction):
    @extend_schema(request=contract_serializers.AnswerSerializer, responses={200: contract_serializers.RatingSerializer, **ERRORS})
    def post(self, request, pk: int):
        """The rated firm's administrator or bidder answers the rating, once (then 409
        `already_answered`). Another firm: 403 `not_the_supplier`."""
        contract = contract_for(request.user, pk)
        serializer = contract_serializers.AnswerSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        performance.answer_rating(request.user, contract, answer=serializer.validated_data["answer"])
        return Response(rating_data(contract))


class SupplierPerformanceView(APIView):
    @extend_schema(responses={200: contract_serializers.SupplierPerformanceSerializer, 404: ERRORS[404]})
    def get(self, request, pk: int):
        """A firm's performance record, public: its rated contracts, newest first, and the
        average and count of each score."""
        supplier = public_supplier_for(request, pk)
        record = performance.supplier_record(supplier.organisation_id)
        return Response(contract_serializers.SupplierPerformanceSerializer({"supplier": supplier.pk, **record}).data)
