from django.urls import path, re_path

from tenders import agency_views, views

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
    # A tender read out by its reference: /tenders/MPW-2026-0042/ leads to its page.
    re_path(r"^(?P<reference>[A-Za-z0-9]{1,20}-\d{4}-\d{1,9})/$", views.by_reference, name="by-reference"),
]
