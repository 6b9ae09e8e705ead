from django.urls import path

from evaluation import api

urlpatterns = [
    path("awards/", api.AwardNoticeListView.as_view(), name="api-awards"),
    path("awards/<int:pk>/", api.AwardNoticeDetailView.as_view(), name="api-award"),
    path("tenders/<int:pk>/evaluation/", api.EvaluationView.as_view(), name="api-evaluation"),
    path("tenders/<int:pk>/evaluation/start/", api.StartView.as_view(), name="api-evaluation-start"),
    path("tenders/<int:pk>/evaluation/evaluators/", api.AppointView.as_view(), name="api-evaluation-appoint"),
    path("tenders/<int:pk>/evaluation/declaration/", api.DeclarationView.as_view(), name="api-evaluation-declaration"),
    path(
        "tenders/<int:pk>/evaluation/bids/<uuid:bid_id>/qualification/",
        api.QualificationView.as_view(),
        name="api-evaluation-qualification",
    ),
    path("tenders/<int:pk>/evaluation/financial/", api.FinancialView.as_view(), name="api-evaluation-financial"),
    path("tenders/<int:pk>/evaluation/scores/", api.ScoresView.as_view(), name="api-evaluation-scores"),
    path("tenders/<int:pk>/evaluation/clarifications/", api.AskView.as_view(), name="api-evaluation-ask"),
    path("tenders/<int:pk>/evaluation/report/", api.ReportView.as_view(), name="api-evaluation-report"),
    path("tenders/<int:pk>/evaluation/award/", api.AwardView.as_view(), name="api-evaluation-award"),
    path("tenders/<int:pk>/evaluation/confirm/", api.ConfirmView.as_view(), name="api-evaluation-confirm"),
    path("tenders/<int:pk>/evaluation/lots/<int:lot>/award-again/", api.AwardAgainView.as_view(), name="api-evaluation-award-again"),
    path("tenders/<int:pk>/challenges/", api.ChallengesView.as_view(), name="api-challenges"),
    path("bid-clarifications/<int:pk>/answer/", api.ClarificationAnswerView.as_view(), name="api-bid-clarification-answer"),
    path("price-reviews/<int:pk>/decision/", api.PriceDecisionView.as_view(), name="api-price-review-decision"),
    path("challenges/<int:pk>/", api.ChallengeDetailView.as_view(), name="api-challenge"),
    path("challenges/<int:pk>/answer/", api.ChallengeAnswerView.as_view(), name="api-challenge-answer"),
    path("challenges/<int:pk>/accept/", api.ChallengeAcceptView.as_view(), name="api-challenge-accept"),
    path("challenges/<int:pk>/escalate/", api.ChallengeEscalateView.as_view(), name="api-challenge-escalate"),
    path("challenges/<int:pk>/decision/", api.ChallengeDecisionView.as_view(), name="api-challenge-decision"),
]
