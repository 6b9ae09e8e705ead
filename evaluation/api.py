"""`/api/v1/awards/` (public award notices) and the evaluation's actions for officers, evaluators,
bidders and review officers. Errors have the DESIGN.md shape (`marketplace.rest`)."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, permissions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from bidding.models import Bid
from evaluation import actions, serializers
from evaluation.filters import AwardNoticeFilter
from evaluation.models import AwardNotice, BidClarification, Challenge, Evaluator, PriceReview
from evaluation.report import lots_block
from evaluation.standing import standing
from marketplace import access
from marketplace.access import supplier_firms
from marketplace.errors import ActionError, Forbidden
from marketplace.models import User
from tenders import queries

ERRORS = {
    400: OpenApiResponse(description="malformed input"),
    403: OpenApiResponse(description="not allowed"),
    404: OpenApiResponse(description="not found"),
    409: OpenApiResponse(description="the state or a deadline does not allow it"),
    422: OpenApiResponse(description="the rules refuse it; every problem is listed"),
}


def _valid(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class Action(APIView):
    permission_classes = [permissions.IsAuthenticated]


# Public -----------------------------------------------------------------------------------


class AwardNoticeListView(generics.ListAPIView):
    """Award notices (and notices of unsuccessful tenders), newest first; no sign-in needed."""

    serializer_class = serializers.AwardNoticeSummarySerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = AwardNoticeFilter

    def get_queryset(self):
        return AwardNotice.objects.public().order_by("-published_at", "-pk")


class AwardNoticeDetailView(generics.RetrieveAPIView):
    """One notice with its signed content (verify `signature` against `/api/v1/signing-keys/`)."""

    serializer_class = serializers.AwardNoticeSerializer

    def get_queryset(self):
        return AwardNotice.objects.public()


# Officers and evaluators ------------------------------------------------------------------


class EvaluationView(Action):
    @extend_schema(request=None, responses={200: dict, **ERRORS})
    def get(self, request, pk: int):
        """Where the evaluation stands: what still stops the award, and the ranking per lot."""
        tender = queries.tender_for(request.user, pk, "view_opened_bids")
        result = standing(tender)
        return Response(
            {
                "tender": tender.pk,
                "status": tender.status,
                "problems": [p.as_dict() for p in result.problems],
                "bids": [
                    {
                        "bid": str(b.pk),
                        "supplier": b.organisation.name,
                        "status": b.status,
                        "reason": b.status_reason,
                        "prices": {str(k): str(v) for k, v in result.prices[str(b.pk)].items()},
                    }
                    for b in result.bids
                ],
                "lots": lots_block(result, public=False),
            }
        )


class StartView(Action):
    @extend_schema(request=serializers.EvaluationStartSerializer, responses={200: dict, **ERRORS})
    def post(self, request, pk: int):
        tender = queries.tender_for(request.user, pk, "manage_evaluation")
        data = _valid(serializers.EvaluationStartSerializer, request.data)
        tender = actions.start_evaluation(request.user, tender, list(User.objects.filter(pk__in=data["evaluators"])))
        return Response({"tender": tender.pk, "status": tender.status})


class AppointView(Action):
    @extend_schema(request=serializers.EvaluatorAppointSerializer, responses={201: dict, **ERRORS})
    def post(self, request, pk: int):
        tender = queries.tender_for(request.user, pk, "manage_evaluation")
        user = get_object_or_404(User, pk=_valid(serializers.EvaluatorAppointSerializer, request.data)["user"])
        seat = actions.appoint_evaluator(request.user, tender, user)
        return Response({"evaluator": seat.pk, "user": user.pk, "status": seat.status}, status=status.HTTP_201_CREATED)


class DeclarationView(Action):
    @extend_schema(request=serializers.InterestDeclarationSerializer, responses={200: dict, **ERRORS})
    def post(self, request, pk: int):
        """Declare, once, no conflict of interest with every bidder (or the conflicts)."""
        tender = queries.tender_for(request.user, pk, "declare_interests")
        data = _valid(serializers.InterestDeclarationSerializer, request.data)
        seat = actions.declare_interests(request.user, tender, conflicts=data["conflicts"], statement=data["statement"])
        return Response({"evaluator": seat.pk, "status": seat.status, "declared_at": seat.declared_at})


class QualificationView(Action):
    @extend_schema(request=serializers.QualificationInSerializer, responses={200: dict, **ERRORS})
    def post(self, request, pk: int, bid_id):
        tender = queries.tender_for(request.user, pk, "qualify_bids")
        data = _valid(serializers.QualificationInSerializer, request.data)
        bid = actions.qualify_bid(request.user, tender, str(bid_id), {k: (v["passed"], v["reason"]) for k, v in data["checks"].items()})
        return Response({"bid": str(bid.pk), "status": bid.status, "reason": bid.status_reason})


class FinancialView(Action):
    @extend_schema(request=None, responses={200: dict, **ERRORS})
    def post(self, request, pk: int):
        """Two envelopes: open the financial envelopes of the qualified bids."""
        opening = actions.open_financial_round(request.user, queries.tender_for(request.user, pk, "manage_evaluation"))
        return Response({"round": opening.round, "status": opening.status})


class ScoresView(Action):
    @extend_schema(request=None, responses={200: serializers.ScoreSerializer(many=True), **ERRORS})
    def get(self, request, pk: int):
        """Your own scores; everyone's once every evaluator has submitted. `?evaluator=<id>` asks
        for one evaluator's (refused with 403 `scores_hidden` before then)."""
        tender = queries.tender_for(request.user, pk, "view_opened_bids")
        evaluator = None
        if request.query_params.get("evaluator"):
            evaluator = Evaluator.objects.filter(tender=tender, pk=queries.whole_number(request.query_params["evaluator"])).first()
            if evaluator is None:
                raise Http404
        return Response(serializers.ScoreSerializer(actions.visible_scores(request.user, tender, evaluator=evaluator), many=True).data)

    @extend_schema(request=serializers.ScoresWriteSerializer, responses={200: dict, **ERRORS})
    def post(self, request, pk: int):
        """Record (and with `submit`, submit) your scores: `[{bid, criterion, value, comment}]`."""
        tender = queries.tender_for(request.user, pk, "declare_interests")
        data = _valid(serializers.ScoresWriteSerializer, request.data)
        if data["scores"]:
            actions.record_scores(
                request.user, tender, [actions.ScoreSpec(s["bid"], s["criterion"], s["value"], s["comment"]) for s in data["scores"]]
            )
        submitted = actions.submit_scores(request.user, tender).scores_submitted_at if data["submit"] else None
        return Response({"recorded": len(data["scores"]), "submitted_at": submitted})


class AskView(Action):
    @extend_schema(request=serializers.BidQuestionSerializer, responses={201: dict, **ERRORS})
    def post(self, request, pk: int):
        """Ask a bidder (with `lot`: to justify an abnormally low price in that lot)."""
        tender = queries.tender_for(request.user, pk, "manage_evaluation")
        data = _valid(serializers.BidQuestionSerializer, request.data)
        if data["lot"] is not None:
            review = actions.request_price_justification(
                request.user, tender, data["bid"], data["lot"], question=data["question"], deadline=data["deadline"]
            )
            return Response({"clarification": review.clarification_id, "price_review": review.pk}, status=status.HTTP_201_CREATED)
        asked = actions.ask_bidder(request.user, tender, data["bid"], question=data["question"], deadline=data["deadline"])
        return Response({"clarification": asked.pk}, status=status.HTTP_201_CREATED)


class ClarificationAnswerView(Action):
    @extend_schema(request=serializers.BidAnswerSerializer, responses={200: dict, **ERRORS})
    def post(self, request, pk: int):
        """The bidder answers the agency's question before its deadline."""
        clarification = BidClarification.objects.select_related("bid").filter(pk=pk).first()
        if clarification is None or not access.can(request.user, "answer_bid_clarification", clarification):
            raise Http404
        answered = actions.answer_bid_clarification(
            request.user, clarification, answer=_valid(serializers.BidAnswerSerializer, request.data)["answer"]
        )
        return Response({"clarification": answered.pk, "status": answered.status, "answered_at": answered.answered_at})


class PriceDecisionView(Action):
    @extend_schema(request=serializers.PriceReviewDecisionSerializer, responses={200: dict, **ERRORS})
    def post(self, request, pk: int):
        review = PriceReview.objects.select_related("bid__tender__buyer").filter(pk=pk).first()
        # One answer for "no such review" and "not yours": a 403 would tell that a price was flagged.
        if review is None or not access.can(request.user, "manage_evaluation", review.bid.tender):
            raise Http404
        data = _valid(serializers.PriceReviewDecisionSerializer, request.data)
        review = actions.decide_price_justification(request.user, review, accept=data["accept"], reason=data["reason"])
        return Response({"price_review": review.pk, "status": review.status})


class ReportView(Action):
    @extend_schema(request=None, responses={200: serializers.EvaluationReportSerializer, **ERRORS})
    def get(self, request, pk: int):
        """The latest approved evaluation report (agency and auditors)."""
        tender = queries.tender_for(request.user, pk, "view_evaluation_report")
        latest = tender.evaluation_reports.order_by("-version").first()
        if latest is None:
            raise Http404
        return Response(serializers.EvaluationReportSerializer(latest).data)

    @extend_schema(request=None, responses={201: serializers.EvaluationReportSerializer, **ERRORS})
    def post(self, request, pk: int):
        """Approve and sign the report built from the evaluation as it stands."""
        approved = actions.approve_report(request.user, queries.tender_for(request.user, pk, "manage_evaluation"))
        return Response(serializers.EvaluationReportSerializer(approved).data, status=status.HTTP_201_CREATED)


class AwardView(Action):
    @extend_schema(request=serializers.AwardChoicesSerializer, responses={201: serializers.AwardNoticeSerializer, **ERRORS})
    def post(self, request, pk: int):
        """Award each lot to its best-ranked qualified bid (`lots` may name them, as a check)."""
        tender = queries.tender_for(request.user, pk, "manage_evaluation")
        data = _valid(serializers.AwardChoicesSerializer, request.data)
        choices = {}
        for lot, bid in data["lots"].items():
            number = queries.whole_number(lot)
            if number is None:
                raise ActionError(_("Name lots by number."), code="invalid", field=f"lots.{lot}")
            choices[number] = bid
        notice = actions.award_tender(request.user, tender, choices=choices)
        return Response(serializers.AwardNoticeSerializer(notice).data, status=status.HTTP_201_CREATED)


class ConfirmView(Action):
    @extend_schema(request=None, responses={200: dict, **ERRORS})
    def post(self, request, pk: int):
        """Confirm the awards after the standstill (409 while it runs or a challenge is open)."""
        awards = actions.confirm_awards(request.user, queries.tender_for(request.user, pk, "manage_evaluation"))
        return Response({"confirmed": [a.pk for a in awards]})


class AwardAgainView(Action):
    @extend_schema(request=None, responses={201: serializers.AwardNoticeSerializer, **ERRORS})
    def post(self, request, pk: int, lot: int):
        """Award a lot whose winner refused the contract to the next-ranked qualified bid: a new
        notice with its own standstill (409 when no award was withdrawn or no bid is ranked next)."""
        tender = queries.tender_for(request.user, pk, "manage_evaluation")
        notice = actions.award_next_ranked(request.user, tender, lot)
        return Response(serializers.AwardNoticeSerializer(notice).data, status=status.HTTP_201_CREATED)


# Challenges -------------------------------------------------------------------------------


def _challenge(request, pk: int, rule: str) -> Challenge:
    challenge = Challenge.objects.select_related("tender__buyer").filter(pk=pk).first()
    if challenge is None or not access.can(request.user, "view_challenge", challenge):
        raise Http404
    if not access.can(request.user, rule, challenge):
        raise PermissionDenied(rule)
    return challenge


class ChallengesView(Action):
    @extend_schema(request=serializers.ChallengeWriteSerializer, responses={201: serializers.ChallengeSerializer, **ERRORS})
    def post(self, request, pk: int):
        """A bidder of the tender challenges the award during the standstill (multipart for documents)."""
        tender = queries.tender_for(request.user, pk)
        data = _valid(serializers.ChallengeWriteSerializer, request.data)
        firms = supplier_firms(request.user)
        if data.get("organisation") is not None:
            firms = [f for f in firms if f.pk == data["organisation"]]
        bid = Bid.objects.filter(tender=tender, organisation__in=firms).exclude(status__in=actions.CHALLENGER_STATUSES).first()
        if bid is None or not access.can(request.user, "lodge_challenge", bid):
            raise Forbidden(_("Only a firm whose bid was opened in this tender may challenge its award."), code="not_a_bidder")
        challenge = actions.lodge_challenge(request.user, bid.organisation, tender, grounds=data["grounds"], documents=data["documents"])
        return Response(serializers.ChallengeSerializer(challenge).data, status=status.HTTP_201_CREATED)


class ChallengeDetailView(Action):
    @extend_schema(request=None, responses={200: serializers.ChallengeSerializer, **ERRORS})
    def get(self, request, pk: int):
        return Response(serializers.ChallengeSerializer(_challenge(request, pk, "view_challenge")).data)


class ChallengeAnswerView(Action):
    @extend_schema(request=serializers.ChallengeAnswerWriteSerializer, responses={200: serializers.ChallengeSerializer, **ERRORS})
    def post(self, request, pk: int):
        challenge = _challenge(request, pk, "answer_challenge")
        data = _valid(serializers.ChallengeAnswerWriteSerializer, request.data)
        return Response(
            serializers.ChallengeSerializer(
                actions.answer_challenge(request.user, challenge, answer=data["answer"], decision=data["decision"])
            ).data
        )


class ChallengeAcceptView(Action):
    @extend_schema(request=None, responses={200: serializers.ChallengeSerializer, **ERRORS})
    def post(self, request, pk: int):
        challenge = _challenge(request, pk, "respond_to_challenge_answer")
        return Response(serializers.ChallengeSerializer(actions.accept_answer(request.user, challenge)).data)


class ChallengeEscalateView(Action):
    @extend_schema(request=serializers.ChallengeEscalationSerializer, responses={200: serializers.ChallengeSerializer, **ERRORS})
    def post(self, request, pk: int):
        challenge = _challenge(request, pk, "respond_to_challenge_answer")
        reason = _valid(serializers.ChallengeEscalationSerializer, request.data)["reason"]
        return Response(serializers.ChallengeSerializer(actions.escalate_challenge(request.user, challenge, reason=reason)).data)


class ChallengeDecisionView(Action):
    @extend_schema(request=serializers.ChallengeDecisionSerializer, responses={200: serializers.ChallengeSerializer, **ERRORS})
    def post(self, request, pk: int):
        challenge = _challenge(request, pk, "decide_challenge")
        data = _valid(serializers.ChallengeDecisionSerializer, request.data)
        return Response(
            serializers.ChallengeSerializer(
                actions.decide_challenge(request.user, challenge, uphold=data["uphold"], reason=data["reason"])
            ).data
        )
