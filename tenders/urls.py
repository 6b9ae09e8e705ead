from django.urls import path

from tenders import agency_views, views
from tenders.evaluation import views as evaluation

app_name = "tenders"

urlpatterns = [
    path("", views.search, name="search"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/documents/<int:version_id>/", views.document, name="document"),
    path("<int:pk>/questions/", views.ask, name="ask"),
    path("<int:pk>/follow/", views.follow, name="follow"),
    path("agency/", agency_views.workspace, name="workspace"),
    path("agency/new/", agency_views.create, name="create"),
    path("agency/<int:pk>/", agency_views.manage, name="manage"),
    path("agency/<int:pk>/edit/", agency_views.edit, name="edit"),
    path("agency/<int:pk>/publish/", agency_views.publish, name="publish"),
    path("agency/<int:pk>/discard/", agency_views.discard, name="discard"),
    path("agency/<int:pk>/documents/", agency_views.upload, name="upload"),
    path("agency/<int:pk>/amend/", agency_views.amend, name="amend"),
    path("agency/<int:pk>/cancel/", agency_views.cancel, name="cancel"),
    path("agency/<int:pk>/clarifications/", agency_views.clarify, name="clarify"),
    path("agency/clarifications/<int:pk>/answer/", agency_views.answer, name="answer"),
    # Evaluation and award
    path("evaluations/", evaluation.evaluations, name="evaluations"),
    path("agency/<int:pk>/evaluation/", evaluation.workspace, name="evaluation"),
    path("agency/<int:pk>/evaluation/start/", evaluation.start, name="evaluation-start"),
    path("agency/<int:pk>/evaluation/appoint/", evaluation.appoint, name="evaluation-appoint"),
    path("agency/<int:pk>/evaluation/declare/", evaluation.declare, name="evaluation-declare"),
    path("agency/<int:pk>/evaluation/bids/<uuid:bid_id>/qualify/", evaluation.qualify, name="evaluation-qualify"),
    path("agency/<int:pk>/evaluation/financial/", evaluation.open_financial, name="evaluation-financial"),
    path("agency/<int:pk>/evaluation/scores/", evaluation.score, name="evaluation-score"),
    path("agency/<int:pk>/evaluation/ask/", evaluation.ask, name="evaluation-ask"),
    path("agency/<int:pk>/evaluation/prices/<int:review_id>/", evaluation.decide_price, name="evaluation-price"),
    path("agency/<int:pk>/evaluation/report/", evaluation.approve, name="evaluation-approve"),
    path("agency/<int:pk>/evaluation/report/<int:version>/", evaluation.report, name="evaluation-report"),
    path("agency/<int:pk>/evaluation/award/", evaluation.award, name="evaluation-award"),
    path("agency/<int:pk>/evaluation/confirm/", evaluation.confirm, name="evaluation-confirm"),
    path("agency/<int:pk>/evaluation/challenges/<int:challenge_id>/answer/", evaluation.answer_challenge, name="challenge-answer"),
    path("<int:pk>/result/", evaluation.result, name="result"),
    path("<int:pk>/result/clarifications/<int:clarification_id>/", evaluation.answer_clarification, name="result-answer"),
    path("<int:pk>/result/challenge/", evaluation.lodge, name="challenge-lodge"),
    path("<int:pk>/result/challenges/<int:challenge_id>/", evaluation.respond, name="challenge-respond"),
    path("challenges/<int:challenge_id>/documents/<int:document_id>/", evaluation.challenge_document, name="challenge-document"),
    path("reviews/", evaluation.reviews, name="reviews"),
    path("reviews/<int:challenge_id>/decide/", evaluation.decide, name="review-decide"),
]
