"""Shapes of the contracts API: contracts out, and the input of each action in."""

import base64

from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from contracts import access as contract_access
from contracts import performance
from contracts.deliveries import local_date
from contracts.models import (
    SCORE_FIELDS,
    SCORE_RANGE,
    Amendment,
    AmendmentSignature,
    Contract,
    ContractItem,
    ContractSignature,
    Delivery,
    DeliveryDocument,
    Milestone,
    PerformanceRating,
)


class ContractItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = ContractItem
        fields = ["position", "description", "quantity", "unit", "cpv", "unit_price"]


class ContractSignatureSerializer(serializers.ModelSerializer):
    signed_by = serializers.SerializerMethodField()
    organisation = serializers.CharField(source="organisation.name")
    certificate = serializers.SerializerMethodField()

    class Meta:
        model = ContractSignature
        fields = ["party", "signed_by", "organisation", "field_name", "signed_at", "certificate", "sha256"]

    def get_signed_by(self, signature) -> str:
        return signature.signed_by.full_name or signature.signed_by.email

    def get_certificate(self, signature) -> dict:
        return {
            "serial": signature.certificate.serial,
            "fingerprint": signature.certificate.fingerprint,
            "subject": signature.certificate.subject,
        }


class DeliveryDocumentSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = DeliveryDocument
        fields = ["id", "filename", "media_type", "size", "sha256", "url"]

    def get_url(self, document) -> str:
        return reverse("api-contract-delivery-document", args=[document.delivery.milestone.contract_id, document.pk])


def _reads_working_papers(context: dict, delivery) -> bool:
    request = context.get("request")
    return request is not None and contract_access.read_delivery_documents(request.user, delivery.milestone.contract)


class DeliverySerializer(serializers.ModelSerializer):
    delivered_by = serializers.SerializerMethodField()
    documents = serializers.SerializerMethodField()

    class Meta:
        model = Delivery
        fields = ["delivered_at", "delivered_by", "note", "decision", "decided_at", "reason", "documents"]

    def get_delivered_by(self, delivery) -> str:
        """The person who reported it, for the parties and auditors; the firm, for everyone else."""
        if _reads_working_papers(self.context, delivery):
            return delivery.delivered_by.full_name or delivery.delivered_by.email
        return delivery.milestone.contract.supplier_details["legal_name"]

    @extend_schema_field(DeliveryDocumentSerializer(many=True))
    def get_documents(self, delivery) -> list:
        """The attached files are listed to the parties and auditors only (`read_delivery_documents`)."""
        if not _reads_working_papers(self.context, delivery):
            return []
        return DeliveryDocumentSerializer(delivery.documents.all(), many=True).data


class MilestoneSerializer(serializers.ModelSerializer):
    deliveries = DeliverySerializer(many=True, read_only=True)
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = Milestone
        fields = [
            "number",
            "description",
            "deliverables",
            "due_date",
            "amount",
            "status",
            "overdue",
            "delivered_at",
            "accepted_at",
            "invoiced_at",
            "paid_at",
            "deliveries",
        ]

    def get_overdue(self, milestone) -> bool:
        """Past its due date (the platform's calendar) and still to be delivered."""
        return milestone.contract.status == Contract.Status.ACTIVE and milestone.is_overdue_on(local_date(timezone.now()))


class ContractAmendmentSignatureSerializer(serializers.ModelSerializer):
    signed_by = serializers.SerializerMethodField()
    organisation = serializers.CharField(source="organisation.name")
    certificate = serializers.SerializerMethodField()
    signature = serializers.SerializerMethodField()

    class Meta:
        model = AmendmentSignature
        fields = ["party", "signed_by", "organisation", "signed_at", "certificate", "sha256", "signature"]

    def get_signed_by(self, signature) -> str:
        return signature.signed_by.full_name or signature.signed_by.email

    def get_certificate(self, signature) -> dict:
        return {
            "serial": signature.certificate.serial,
            "fingerprint": signature.certificate.fingerprint,
            "pem": signature.certificate.certificate_pem,
        }

    def get_signature(self, signature) -> str:
        """ECDSA P-256 / SHA-256 over the amendment's `canonical_text`, DER, in base64."""
        return base64.b64encode(bytes(signature.signature)).decode("ascii")


class ContractAmendmentSerializer(serializers.ModelSerializer):
    signatures = ContractAmendmentSignatureSerializer(many=True, read_only=True)
    canonical_text = serializers.SerializerMethodField()

    class Meta:
        model = Amendment
        fields = [
            "number",
            "rationale",
            "rationale_text",
            "status",
            "old_value",
            "new_value",
            "old_period_end",
            "new_period_end",
            "proposed_at",
            "decided_at",
            "decline_reason",
            "sha256",
            "canonical_text",
            "signatures",
        ]

    def get_canonical_text(self, amendment) -> str:
        """The text both parties sign (JSON, sorted keys); `sha256` is its digest in UTF-8."""
        return amendment.canonical_text()


class ContractSummarySerializer(serializers.ModelSerializer):
    tender = serializers.SerializerMethodField()
    buyer = serializers.SerializerMethodField()
    supplier = serializers.SerializerMethodField()
    lot = serializers.IntegerField(source="lot.number")

    class Meta:
        model = Contract
        fields = ["id", "number", "status", "tender", "lot", "buyer", "supplier", "value", "currency", "signing_deadline", "signed_at"]

    def get_tender(self, contract) -> dict:
        return {"id": contract.tender_id, "reference": contract.tender.reference, "title": contract.tender.title}

    def get_buyer(self, contract) -> dict:
        return {"id": contract.buyer_id, **contract.buyer_details}

    def get_supplier(self, contract) -> dict:
        return {"id": contract.supplier_id, **contract.supplier_details}


class ContractSerializer(ContractSummarySerializer):
    items = ContractItemSerializer(many=True, read_only=True)
    signatures = ContractSignatureSerializer(many=True, read_only=True)
    milestones = MilestoneSerializer(many=True, read_only=True)
    amendments = ContractAmendmentSerializer(many=True, read_only=True)
    document = serializers.SerializerMethodField()

    class Meta(ContractSummarySerializer.Meta):
        fields = [
            *ContractSummarySerializer.Meta.fields,
            "award",
            "period_start",
            "period_end",
            "special_terms",
            "items",
            "version",
            "created_at",
            "sent_at",
            "cancelled_at",
            "cancellation_reason",
            "completed_at",
            "terminated_at",
            "termination_reason",
            "final_value",
            "milestones",
            "amendments",
            "document",
            "signatures",
        ]

    def get_document(self, contract) -> dict | None:
        if not contract.document:
            return None
        return {
            "url": reverse("api-contract-document", args=[contract.pk]),
            "language": contract.document_language,
            "sha256": contract.document_sha256,
            "signed_sha256": contract.signed_sha256 or None,
        }


class ContractSignatorySerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    title = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    email = serializers.EmailField(required=False, allow_blank=True, default="")


class DraftChangesSerializer(serializers.Serializer):
    """What the buyer's officer may change in a draft; value, items and supplier are the award's."""

    period_start = serializers.DateField(required=False)
    period_end = serializers.DateField(required=False)
    special_terms = serializers.CharField(required=False, allow_blank=True, max_length=20000)
    buyer_signatories = ContractSignatorySerializer(many=True, required=False)
    supplier_signatories = ContractSignatorySerializer(many=True, required=False)


class SignSerializer(serializers.Serializer):
    password = serializers.CharField(help_text="The signatory's own password: signing re-authenticates.", trim_whitespace=False)
    otp = serializers.CharField(
        max_length=32,
        required=False,
        allow_blank=True,
        help_text="A code from the signatory's authenticator app, if they have set one up (then required).",
    )


class DeclineSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=5000)


class MilestonePlanSerializer(serializers.Serializer):
    description = serializers.CharField(max_length=500)
    deliverables = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    due_date = serializers.DateField()
    amount = serializers.DecimalField(max_digits=18, decimal_places=2, help_text="In the contract's currency.")


class MilestonesSerializer(serializers.Serializer):
    """The draft's milestones, all of them, in order: they replace those written before."""

    milestones = MilestonePlanSerializer(many=True, allow_empty=True, max_length=100)


class DeliverSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=5000, help_text="What was delivered.")
    documents = serializers.ListField(
        child=serializers.FileField(), required=False, default=list, help_text="PDF, PNG or JPEG files (multipart), at most 10."
    )


class RejectSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=5000)


class TerminateSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=5000)
    amount_paid = serializers.DecimalField(max_digits=18, decimal_places=2, help_text="Paid under the contract so far; its final value.")


class ProposeContractAmendmentSerializer(serializers.Serializer):
    rationale = serializers.ChoiceField(Amendment.Rationale.choices)
    rationale_text = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="", help_text="Required for `other`.")
    new_value = serializers.DecimalField(
        max_digits=18, decimal_places=2, required=False, allow_null=True, default=None, help_text="Omit to keep the value."
    )
    new_period_end = serializers.DateField(required=False, allow_null=True, default=None, help_text="Omit to keep the end of the period.")
    password = serializers.CharField(help_text="The proposing officer's password: proposing signs for the buyer.", trim_whitespace=False)
    otp = serializers.CharField(
        max_length=32,
        required=False,
        allow_blank=True,
        help_text="A code from the signatory's authenticator app, if they have set one up (then required).",
    )


class MilestoneFactsSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    description = serializers.CharField()
    due_date = serializers.DateField()
    delivered_on = serializers.DateField(allow_null=True, help_text="The day of the accepted delivery (or one awaiting a decision).")
    days_late = serializers.IntegerField(help_text="Days after the due date it was delivered, or until the contract ended undelivered.")
    rejected_deliveries = serializers.IntegerField()


class PerformanceFactsSerializer(serializers.Serializer):
    """What the platform recorded of the performance (`contracts.performance.facts`)."""

    milestones = MilestoneFactsSerializer(many=True)
    late_milestones = serializers.IntegerField()
    days_late = serializers.IntegerField()
    rejected_deliveries = serializers.IntegerField()


class RatingSummarySerializer(serializers.ModelSerializer):
    contract = serializers.SerializerMethodField()

    class Meta:
        model = PerformanceRating
        fields = ["contract", "quality", "timeliness", "compliance", "comment", "rated_at", "answer", "answered_at"]

    def get_contract(self, rating) -> dict:
        contract = rating.contract
        return {"id": contract.pk, "number": contract.number, "status": contract.status, "buyer": contract.buyer_details["legal_name"]}


class RatingSerializer(RatingSummarySerializer):
    facts = serializers.SerializerMethodField()

    class Meta(RatingSummarySerializer.Meta):
        fields = [*RatingSummarySerializer.Meta.fields, "facts"]

    @extend_schema_field(PerformanceFactsSerializer)
    def get_facts(self, rating) -> dict:
        return PerformanceFactsSerializer(performance.facts(rating.contract)).data


def _score(help_text: str) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=SCORE_RANGE[0], max_value=SCORE_RANGE[1], help_text=help_text)


class RateSerializer(serializers.Serializer):
    quality = _score("Quality of what was delivered, 1 to 5.")
    timeliness = _score("Keeping to the due dates, 1 to 5.")
    compliance = _score("Keeping to the contract's terms, 1 to 5.")
    comment = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


class AnswerSerializer(serializers.Serializer):
    answer = serializers.CharField(max_length=5000)


class ScoreSummarySerializer(serializers.Serializer):
    name = serializers.ChoiceField(SCORE_FIELDS)
    average = serializers.DecimalField(max_digits=3, decimal_places=2, allow_null=True)
    count = serializers.IntegerField()


class SupplierPerformanceSerializer(serializers.Serializer):
    """A firm's rated contracts, newest first, with the average and count of each score."""

    supplier = serializers.IntegerField(help_text="The firm's registry id.")
    scores = ScoreSummarySerializer(many=True)
    ratings = RatingSummarySerializer(many=True)
