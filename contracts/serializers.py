"""Shapes of the contracts API: contracts out, and the input of each action in."""

from django.urls import reverse
from rest_framework import serializers

from contracts.models import Contract, ContractItem, ContractSignature


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


class DeclineSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=5000)
