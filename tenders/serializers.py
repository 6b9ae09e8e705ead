"""The JSON shapes of tenders: what the API reads (drafts, amendments) and what it returns.

Input serializers check shape and types only (400 when malformed); the rules (a CPV code that
does not exist, deadlines, weights) are the actions' to refuse, with 422 and every problem.
"""

from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from suppliers import cpv
from tenders import extensions
from tenders.models import (
    Amendment,
    AwardMethod,
    Clarification,
    Criterion,
    Custody,
    Document,
    DocumentType,
    DocumentVersion,
    EnvelopeMode,
    Item,
    Lot,
    ProcurementMethod,
    Tender,
)

MONEY = {"max_digits": 18, "decimal_places": 2}


# What the API returns ------------------------------------------------------------------------
class BuyerSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    code = serializers.CharField()


class CategorySerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


def category(code: str) -> dict | None:
    entry = cpv.get(code) if code else None
    return {"code": entry.code, "name": entry.name} if entry else None


class TenderSummarySerializer(serializers.ModelSerializer):
    """A search result."""

    buyer = BuyerSerializer()
    status = serializers.SerializerMethodField()
    main_category = serializers.SerializerMethodField()
    lot_count = serializers.SerializerMethodField()
    sme_reserved_lots = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    class Meta:
        model = Tender
        fields = [
            "id",
            "reference",
            "title",
            "buyer",
            "status",
            "method",
            "main_category",
            "estimated_value",
            "currency",
            "published_at",
            "clarification_deadline",
            "submission_deadline",
            "divided_into_lots",
            "lot_count",
            "sme_reserved_lots",
            "url",
        ]

    @extend_schema_field(serializers.ChoiceField(choices=Tender.Status.choices))
    def get_status(self, tender: Tender) -> str:
        """As the clock reads it: a published tender past its deadline is closed."""
        return tender.status_at(self.context.get("now") or timezone.now())

    @extend_schema_field(CategorySerializer(allow_null=True))
    def get_main_category(self, tender: Tender) -> dict | None:
        return category(tender.main_category)

    def get_lot_count(self, tender: Tender) -> int:
        return len(tender.lots.all())

    def get_sme_reserved_lots(self, tender: Tender) -> bool:
        return any(lot.sme_reserved for lot in tender.lots.all())

    def get_url(self, tender: Tender) -> str:
        return reverse("tenders:detail", args=[tender.pk])


class ItemSerializer(serializers.ModelSerializer):
    category = serializers.SerializerMethodField()

    class Meta:
        model = Item
        fields = ["description", "quantity", "unit", "cpv", "category"]

    @extend_schema_field(CategorySerializer(allow_null=True))
    def get_category(self, item: Item) -> dict | None:
        return category(item.cpv)


class LotSerializer(serializers.ModelSerializer):
    items = ItemSerializer(many=True)

    class Meta:
        model = Lot
        fields = ["number", "title", "description", "estimated_value", "sme_reserved", "items"]


class CriterionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Criterion
        fields = ["name", "description", "weight", "max_score"]


class DocumentVersionSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = DocumentVersion
        fields = ["version", "filename", "media_type", "size", "sha256", "uploaded_at", "url"]

    def get_url(self, version: DocumentVersion) -> str:
        return reverse("api-tender-document-file", args=[version.document.tender_id, version.pk])


class DocumentSerializer(serializers.ModelSerializer):
    versions = DocumentVersionSerializer(many=True)

    class Meta:
        model = Document
        fields = ["id", "title", "document_type", "versions"]


class ClarificationSerializer(serializers.ModelSerializer):
    """A published clarification: never the asker's name."""

    class Meta:
        model = Clarification
        fields = ["number", "question", "answer", "answered_at"]


class QuestionSerializer(serializers.ModelSerializer):
    """A question as its firm and the agency see it."""

    class Meta:
        model = Clarification
        fields = ["id", "status", "question", "asked_at", "number", "answer", "answered_at"]


class ChangeSerializer(serializers.Serializer):
    field = serializers.CharField()
    old = serializers.JSONField(allow_null=True)
    new = serializers.JSONField(allow_null=True)
    automatic = serializers.BooleanField(required=False)
    document = serializers.CharField(required=False)


class AmendmentSerializer(serializers.ModelSerializer):
    changes = ChangeSerializer(many=True)

    class Meta:
        model = Amendment
        fields = ["number", "reason", "changes", "deadline_extended", "created_at"]


class DepositSerializer(serializers.Serializer):
    amount = serializers.DecimalField(**MONEY)
    currency = serializers.CharField()
    waived_for_sme = serializers.BooleanField()
    guarantee_accepted = serializers.BooleanField()


class CustodySerializer(serializers.Serializer):
    mode = serializers.ChoiceField(choices=Custody.choices)
    custodians = serializers.IntegerField(help_text="how many custodians hold a share (committee custody)")
    threshold = serializers.IntegerField(allow_null=True, help_text="how many of them must unlock to open")


class CancellationSerializer(serializers.Serializer):
    reason = serializers.CharField()
    cancelled_at = serializers.DateTimeField()


class RequiredLicenceSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class TenderDetailSerializer(TenderSummarySerializer):
    """Everything a supplier needs to decide and to bid. Other apps add fields through
    `tenders.extensions.api_fields` (the bidding app: `envelopes`)."""

    lots = LotSerializer(many=True)
    criteria = CriterionSerializer(many=True)
    documents = DocumentSerializer(many=True)
    clarifications = serializers.SerializerMethodField()
    amendments = AmendmentSerializer(many=True)
    deposit = serializers.SerializerMethodField()
    custody = serializers.SerializerMethodField()
    cancellation = serializers.SerializerMethodField()
    required_licence_types = RequiredLicenceSerializer(many=True)

    class Meta(TenderSummarySerializer.Meta):
        fields = [
            *TenderSummarySerializer.Meta.fields,
            "description",
            "envelope_mode",
            "award_method",
            "price_weight",
            "criteria",
            "min_bids",
            "min_response_days",
            "standstill_days",
            "bid_validity_days",
            "deposit",
            "custody",
            "required_licence_types",
            "lots",
            "documents",
            "clarifications",
            "amendments",
            "closed_at",
            "cancellation",
        ]

    def get_fields(self):
        fields = super().get_fields()
        for name, make in extensions.api_fields.items():
            fields[name] = make()
        return fields

    @extend_schema_field(ClarificationSerializer(many=True))
    def get_clarifications(self, tender: Tender) -> list:
        answered = [c for c in tender.clarifications.all() if c.status == Clarification.Status.ANSWERED]
        return ClarificationSerializer(sorted(answered, key=lambda c: c.number), many=True).data

    @extend_schema_field(DepositSerializer(allow_null=True))
    def get_deposit(self, tender: Tender) -> dict | None:
        if not tender.deposit_amount:
            return None
        return DepositSerializer(
            {
                "amount": tender.deposit_amount,
                "currency": tender.currency,
                "waived_for_sme": tender.deposit_waived_for_sme,
                "guarantee_accepted": tender.deposit_guarantee_accepted,
            }
        ).data

    @extend_schema_field(CustodySerializer)
    def get_custody(self, tender: Tender) -> dict:
        return {"mode": tender.custody, "custodians": len(tender.custodian_seats.all()), "threshold": tender.custody_threshold}

    @extend_schema_field(CancellationSerializer(allow_null=True))
    def get_cancellation(self, tender: Tender) -> dict | None:
        if tender.status != Tender.Status.CANCELLED:
            return None
        return CancellationSerializer({"reason": tender.cancellation_reason, "cancelled_at": tender.cancelled_at}).data


class DraftDetailSerializer(TenderDetailSerializer):
    """A tender as its agency's officers see it: the detail plus the named custodians."""

    custodians = serializers.SerializerMethodField()

    class Meta(TenderDetailSerializer.Meta):
        fields = [
            *TenderDetailSerializer.Meta.fields,
            "abnormally_low_percent",
            "evaluation_committee_required",
            "max_envelope_bytes",
            "challenge_answer_days",
            "opening_quorum_hours",
            "custodians",
        ]

    def get_custodians(self, tender: Tender) -> list[str]:
        return [seat.user.email for seat in tender.custodian_seats.all()]


# What the API reads --------------------------------------------------------------------------
class ItemWriteSerializer(serializers.Serializer):
    description = serializers.CharField(max_length=500)
    quantity = serializers.DecimalField(max_digits=18, decimal_places=3)
    unit = serializers.CharField(max_length=40)
    cpv = serializers.CharField(max_length=12)


class LotWriteSerializer(serializers.Serializer):
    number = serializers.IntegerField(min_value=1, max_value=999, required=False)
    title = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    description = serializers.CharField(required=False, allow_blank=True, default="")
    estimated_value = serializers.DecimalField(**MONEY, required=False, allow_null=True, default=None)
    sme_reserved = serializers.BooleanField(required=False, default=False)
    items = ItemWriteSerializer(many=True, required=False, default=list)


class CriterionWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    weight = serializers.IntegerField()
    max_score = serializers.IntegerField(required=False, default=10)


class TenderWriteSerializer(serializers.Serializer):
    """A draft, whole (POST) or in part (PATCH). A tender not divided into lots takes its items
    in `items`; one divided into lots takes `lots`, each with its items."""

    buyer = serializers.IntegerField(required=False, help_text="the agency's id; needed only if you are an officer of several")
    title = serializers.CharField(max_length=300, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True)
    method = serializers.ChoiceField(choices=ProcurementMethod.choices, required=False)
    main_category = serializers.CharField(max_length=12, required=False, allow_blank=True)
    estimated_value = serializers.DecimalField(**MONEY, required=False, allow_null=True)
    currency = serializers.CharField(max_length=3, required=False)
    divided_into_lots = serializers.BooleanField(required=False)
    envelope_mode = serializers.ChoiceField(choices=EnvelopeMode.choices, required=False)
    award_method = serializers.ChoiceField(choices=AwardMethod.choices, required=False)
    price_weight = serializers.IntegerField(required=False, allow_null=True)
    abnormally_low_percent = serializers.IntegerField(required=False)
    evaluation_committee_required = serializers.BooleanField(required=False)
    min_bids = serializers.IntegerField(required=False)
    max_envelope_bytes = serializers.IntegerField(required=False)
    deposit_amount = serializers.DecimalField(**MONEY, required=False, allow_null=True)
    deposit_waived_for_sme = serializers.BooleanField(required=False)
    deposit_guarantee_accepted = serializers.BooleanField(required=False)
    bid_validity_days = serializers.IntegerField(required=False, min_value=1, max_value=365)
    min_response_days = serializers.IntegerField(required=False)
    clarification_deadline = serializers.DateTimeField(required=False, allow_null=True)
    submission_deadline = serializers.DateTimeField(required=False, allow_null=True)
    standstill_days = serializers.IntegerField(required=False)
    challenge_answer_days = serializers.IntegerField(required=False)
    custody = serializers.ChoiceField(choices=Custody.choices, required=False)
    custody_threshold = serializers.IntegerField(required=False, allow_null=True)
    opening_quorum_hours = serializers.IntegerField(required=False)
    items = ItemWriteSerializer(many=True, required=False)
    lots = LotWriteSerializer(many=True, required=False)
    criteria = CriterionWriteSerializer(many=True, required=False)
    custodians = serializers.ListField(child=serializers.EmailField(), required=False, help_text="e-mail addresses, in order")
    required_licence_types = serializers.ListField(child=serializers.SlugField(), required=False, help_text="licence type codes")

    def validate(self, data):
        if "items" in data and "lots" in data:
            raise serializers.ValidationError({"items": "Give either items (a tender without lots) or lots with their items, not both."})
        return data


class AmendableFieldsSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=300, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    main_category = serializers.CharField(max_length=12, required=False)
    estimated_value = serializers.DecimalField(**MONEY, required=False)
    deposit_amount = serializers.DecimalField(**MONEY, required=False, allow_null=True)
    deposit_waived_for_sme = serializers.BooleanField(required=False)
    deposit_guarantee_accepted = serializers.BooleanField(required=False)
    bid_validity_days = serializers.IntegerField(required=False, min_value=1, max_value=365)
    min_bids = serializers.IntegerField(required=False)
    standstill_days = serializers.IntegerField(required=False)
    clarification_deadline = serializers.DateTimeField(required=False)
    submission_deadline = serializers.DateTimeField(required=False)


class LotAmendmentSerializer(serializers.Serializer):
    number = serializers.IntegerField(min_value=1)
    title = serializers.CharField(max_length=300, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    estimated_value = serializers.DecimalField(**MONEY, required=False)


class AmendmentWriteSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True)
    changes = AmendableFieldsSerializer(required=False, default=dict)
    lots = LotAmendmentSerializer(many=True, required=False, default=list)


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True)


class QuestionWriteSerializer(serializers.Serializer):
    question = serializers.CharField(allow_blank=True)
    organisation = serializers.IntegerField(required=False, help_text="the firm you ask for, if you act for several")


class AnswerWriteSerializer(serializers.Serializer):
    answer = serializers.CharField(allow_blank=True)
    question = serializers.CharField(required=False, allow_blank=True, help_text="the question reworded for publication")


class ClarificationWriteSerializer(serializers.Serializer):
    question = serializers.CharField(allow_blank=True)
    answer = serializers.CharField(allow_blank=True)


class DocumentUploadSerializer(serializers.Serializer):
    file = serializers.FileField()
    title = serializers.CharField(required=False, allow_blank=True, default="")
    document = serializers.IntegerField(required=False, help_text="an existing document's id, to upload a new version of it")
    document_type = serializers.ChoiceField(choices=DocumentType.choices, required=False, default=DocumentType.BIDDING_DOCUMENTS)
    reason = serializers.CharField(required=False, allow_blank=True, default="", help_text="required once published: an amendment")


class TenderFollowSerializer(serializers.Serializer):
    organisation = serializers.IntegerField(required=False)
    following = serializers.BooleanField(read_only=True)
