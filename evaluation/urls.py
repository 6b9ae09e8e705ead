from django.urls import path

from evaluation import views

urlpatterns = [
    path("", views.notices, name="list"),
    path("<int:pk>/", views.notice, name="detail"),
]

# The evaluation's pages of a tender: under /tenders/ and in the "tenders" namespace beside the
# tenders app's own pages (marketplace/urls.py puts them together).
tender_pages = [
    path("evaluations/", views.evaluations, name="evaluations"),
    path("agency/<int:pk>/evaluation/", views.workspace, name="evaluation"),
    path("agency/<int:pk>/evaluation/start/", views.start, name="evaluation-start"),
    path("agency/<int:pk>/evaluation/appoint/", views.appoint, name="evaluation-appoint"),
    path("agency/<int:pk>/evaluation/declare/", views.declare, name="evaluation-declare"),
    path("agency/<int:pk>/evaluation/bids/<uuid:bid_id>/qualify/", views.qualify, name="evaluation-qualify"),
    path("agency/<int:pk>/evaluation/financial/", views.open_financial, name="evaluation-financial"),
    path("agency/<int:pk>/evaluation/scores/", views.score, name="evaluation-score"),
    path("agency/<int:pk>/evaluation/ask/", views.ask, name="evaluation-ask"),
    path("agency/<int:pk>/evaluation/prices/<int:review_id>/", views.decide_price, name="evaluation-price"),
    path("agency/<int:pk>/evaluation/report/", views.approve, name="evaluation-approve"),
    path("agency/<int:pk>/evaluation/report/<int:version>/", views.report, name="evaluation-report"),
    path("agency/<int:pk>/evaluation/award/", views.award, name="evaluation-award"),
    path("agency/<int:pk>/evaluation/confirm/", views.confirm, name="evaluation-confirm"),
    path("agency/<int:pk>/evaluation/challenges/<int:challenge_id>/answer/", views.answer_challenge, name="challenge-answer"),
    path("<int:pk>/result/", views.result, name="result"),
    path("<int:pk>/result/clarifications/<int:clarification_id>/", views.answer_clarification, name="result-answer"),
    path("<int:pk>/result/challenge/", views.lodge, name="challenge-lodge"),
    path("<int:pk>/result/challenges/<int:challenge_id>/", views.respond, name="challenge-respond"),
    path("challenges/<int:challenge_id>/documents/<int:document_id>/", views.challenge_document, name="challenge-document"),
    path("reviews/", views.reviews, name="reviews"),
    path("reviews/<int:challenge_id>/decide/", views.decide, name="review-decide"),
]
