"""Shapes of the evaluation API: award notices out, and the input of each action in."""

from rest_framework import serializers

from evaluation.models import AwardNotice, Challenge, EvaluationReport, Score
from tenders.queries import MAX_ROW_NUMBER


class AwardNoticeSummarySerializer(serializers.ModelSerializer):
    tender = serializers.SerializerMethodField()
    buyer = serializers.SerializerMethodField()
    winners = serializers.SerializerMethodField()

    class Meta:
        model = AwardNotice
        fields = [
            "id",
            "number",
            "kind",
            "status",
            "tender",
            "buyer",
            "winners",
            "bids_count",
            "published_at",
            "standstill_ends_at",
            "cancelled_at",
        ]

    def get_tender(self, notice) -> dict:
        return {"id": notice.tender_id, "reference": notice.tender.reference, "title": notice.tender.title}

    def get_buyer(self, notice) -> dict:
        return {"id": notice.tender.buyer_id, "name": notice.tender.buyer.name}

    def get_winners(self, notice) -> list[dict]:
        return [{"lot": block["lot"], **block["winner"]} for block in notice.content.get("lots", []) if block.get("winner")]


class AwardNoticeSerializer(AwardNoticeSummarySerializer):
    class Meta(AwardNoticeSummarySerializer.Meta):
        fields = [*AwardNoticeSummarySerializer.Meta.fields, "cancellation_reason", "content", "signature"]


class EvaluationReportSerializer(serializers.ModelSerializer):
    class Meta:
        model = EvaluationReport
        fields = ["version", "approved_at", "digest", "content", "signature"]


class ScoreSerializer(serializers.ModelSerializer):
    evaluator = serializers.IntegerField(source="evaluator_id")
    bid = serializers.UUIDField(source="bid_id")
    criterion = serializers.IntegerField(source="criterion_id")

    class Meta:
        model = Score
        fields = ["evaluator", "bid", "criterion", "value", "comment", "scored_at"]


class ChallengeSerializer(serializers.ModelSerializer):
    documents = serializers.SerializerMethodField()

    class Meta:
        model = Challenge
        fields = [
            "id",
            "tender",
            "notice",
            "status",
            "grounds",
            "lodged_at",
            "answer_due_at",
            "answer",
            "agency_decision",
            "answered_at",
            "escalated_at",
            "escalation_reason",
            "decision_reason",
            "decided_at",
            "documents",
        ]

    def get_documents(self, challenge) -> list[dict]:
        return [{"name": d.name, "size": d.size, "sha256": d.sha256} for d in challenge.documents.all()]


# Input ------------------------------------------------------------------------------------


class EvaluationStartSerializer(serializers.Serializer):
    evaluators = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=MAX_ROW_NUMBER), allow_empty=True)


class EvaluatorAppointSerializer(serializers.Serializer):
    user = serializers.IntegerField(min_value=1, max_value=MAX_ROW_NUMBER)


class InterestDeclarationSerializer(serializers.Serializer):
    conflicts = serializers.DictField(child=serializers.CharField(allow_blank=True), required=False, default=dict)
    statement = serializers.CharField(required=False, allow_blank=True, default="")


class QualificationCheckSerializer(serializers.Serializer):
    passed = serializers.BooleanField()
    reason = serializers.CharField(allow_blank=True)


class QualificationInSerializer(serializers.Serializer):
    checks = serializers.DictField(child=QualificationCheckSerializer())


class ScoreWriteSerializer(serializers.Serializer):
    bid = serializers.CharField()
    criterion = serializers.IntegerField()
    value = serializers.CharField()
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class ScoresWriteSerializer(serializers.Serializer):
    scores = ScoreWriteSerializer(many=True, required=False, default=list)
    submit = serializers.BooleanField(required=False, default=False)


class BidQuestionSerializer(serializers.Serializer):
    bid = serializers.CharField()
    question = serializers.CharField(allow_blank=True)
    deadline = serializers.DateTimeField()
    lot = serializers.IntegerField(required=False, allow_null=True, default=None)


class BidAnswerSerializer(serializers.Serializer):
    answer = serializers.CharField(allow_blank=True)


class PriceReviewDecisionSerializer(serializers.Serializer):
    accept = serializers.BooleanField()
    reason = serializers.CharField(allow_blank=True)


class AwardChoicesSerializer(serializers.Serializer):
    lots = serializers.DictField(child=serializers.CharField(), required=False, default=dict)


class ChallengeWriteSerializer(serializers.Serializer):
    grounds = serializers.CharField(allow_blank=True)
    organisation = serializers.IntegerField(required=False)
    documents = serializers.ListField(child=serializers.FileField(), required=False, default=list)


class ChallengeAnswerWriteSerializer(serializers.Serializer):
    answer = serializers.CharField(allow_blank=True)
    decision = serializers.ChoiceField(choices=Challenge.Decision.choices)


class ChallengeEscalationSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True)


class ChallengeDecisionSerializer(serializers.Serializer):
    uphold = serializers.BooleanField()
    reason = serializers.CharField(allow_blank=True)
