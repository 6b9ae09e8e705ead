from django.urls import path

from tenders import api

urlpatterns = [
    path("tenders/", api.TenderListView.as_view(), name="api-tenders"),
    path("tenders/<int:pk>/", api.TenderDetailView.as_view(), name="api-tender"),
    path("tenders/<int:pk>/publish/", api.PublishView.as_view(), name="api-tender-publish"),
    path("tenders/<int:pk>/amend/", api.AmendView.as_view(), name="api-tender-amend"),
    path("tenders/<int:pk>/cancel/", api.CancelView.as_view(), name="api-tender-cancel"),
    path("tenders/<int:pk>/questions/", api.QuestionsView.as_view(), name="api-tender-questions"),
    path("tenders/<int:pk>/clarifications/", api.ClarificationsView.as_view(), name="api-tender-clarifications"),
    path("tenders/<int:pk>/documents/", api.DocumentsView.as_view(), name="api-tender-documents"),
    path("tenders/<int:pk>/documents/<int:version_id>/", api.DocumentFileView.as_view(), name="api-tender-document-file"),
    path("tenders/<int:pk>/follow/", api.FollowView.as_view(), name="api-tender-follow"),
    path("clarifications/<int:pk>/answer/", api.AnswerView.as_view(), name="api-clarification-answer"),
]
