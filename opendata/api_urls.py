from django.urls import path

from opendata import api

urlpatterns = [
    path("ocds/releases/", api.ReleaseFeedView.as_view(), name="api-ocds-releases"),
    path("ocds/releases/<str:release_id>/", api.ReleaseView.as_view(), name="api-ocds-release"),
    path("ocds/records.jsonl.gz", api.RecordExportView.as_view(), name="api-ocds-export"),
    path("ocds/records/<str:ocid>/", api.RecordView.as_view(), name="api-ocds-record"),
    path("red-flags/", api.RedFlagListView.as_view(), name="api-red-flags"),
    path("red-flags/definitions/", api.RedFlagDefinitionsView.as_view(), name="api-red-flag-definitions"),
]
