from django.urls import path

from evaluation.views import bidders, public, review, workspace

urlpatterns = [
    path("", public.notices, name="list"),
    path("<int:pk>/", public.notice, name="detail"),
]

# The evaluation's pages of a tender: under /tenders/ and in the "tenders" namespace beside the
# tenders app's own pages (marketplace/urls.py puts them together).
tender_pages = [
    path("evaluations/", workspace.evaluations, name="evaluations"),
    path("agency/<int:pk>/evaluation/", workspace.workspace, name="evaluation"),
    path("agency/<int:pk>/evaluation/start/", workspace.start, name="evaluation-start"),
    path("agency/<int:pk>/evaluation/appoint/", workspace.appoint, name="evaluation-appoint"),
    path("agency/<int:pk>/evaluation/declare/", workspace.declare, name="evaluation-declare"),
    path("agency/<int:pk>/evaluation/bids/<uuid:bid_id>/qualify/", workspace.qualify, name="evaluation-qualify"),
    path("agency/<int:pk>/evaluation/financial/", workspace.open_financial, name="evaluation-financial"),
    path("agency/<int:pk>/evaluation/scores/", workspace.score, name="evaluation-score"),
    path("agency/<int:pk>/evaluation/ask/", workspace.ask, name="evaluation-ask"),
    path("agency/<int:pk>/evaluation/prices/<int:review_id>/", workspace.decide_price, name="evaluation-price"),
    path("agency/<int:pk>/evaluation/report/", workspace.approve, name="evaluation-approve"),
    path("agency/<int:pk>/evaluation/report/<int:version>/", workspace.report, name="evaluation-report"),
    path("agency/<int:pk>/evaluation/award/", workspace.award, name="evaluation-award"),
    path("agency/<int:pk>/evaluation/confirm/", workspace.confirm, name="evaluation-confirm"),
    path("agency/<int:pk>/evaluation/lots/<int:lot>/award-again/", workspace.award_again, name="evaluation-award-again"),
    path("agency/<int:pk>/evaluation/challenges/<int:challenge_id>/answer/", workspace.answer_challenge, name="challenge-answer"),
    path("<int:pk>/result/", bidders.result, name="result"),
    path("<int:pk>/result/clarifications/<int:clarification_id>/", bidders.answer_clarification, name="result-answer"),
    path("<int:pk>/result/challenge/", bidders.lodge, name="challenge-lodge"),
    path("<int:pk>/result/challenges/<int:challenge_id>/", bidders.respond, name="challenge-respond"),
    path("challenges/<int:challenge_id>/documents/<int:document_id>/", bidders.challenge_document, name="challenge-document"),
    path("reviews/", review.reviews, name="reviews"),
    path("reviews/<int:challenge_id>/decide/", review.decide, name="review-decide"),
]
