from django.urls import path

from suppliers import api

urlpatterns = [
    path("suppliers/", api.SupplierListView.as_view(), name="api-suppliers"),
    path("suppliers/directory/", api.DirectoryView.as_view(), name="api-supplier-directory"),
    path("suppliers/debarments/", api.DebarmentListView.as_view(), name="api-supplier-debarments"),
    path("suppliers/licence-types/", api.LicenceTypeListView.as_view(), name="api-licence-types"),
    path("suppliers/<int:pk>/", api.SupplierDetailView.as_view(), name="api-supplier"),
    path("suppliers/<int:pk>/licences/", api.LicenceListView.as_view(), name="api-supplier-licences"),
    path("suppliers/<int:pk>/licences/<int:licence_id>/", api.LicenceDetailView.as_view(), name="api-supplier-licence"),
    path("suppliers/<int:pk>/licences/<int:licence_id>/check", api.LicenceCheckView.as_view(), name="api-supplier-licence-check"),
    path("suppliers/<int:pk>/licences/<int:licence_id>/file", api.LicenceFileView.as_view(), name="api-supplier-licence-file"),
    path("suppliers/<int:pk>/follows/", api.FollowListView.as_view(), name="api-supplier-follows"),
    path("suppliers/<int:pk>/follows/<int:follow_id>/", api.FollowDetailView.as_view(), name="api-supplier-follow"),
    path("cpv/", api.CpvSearchView.as_view(), name="api-cpv-search"),
    path("cpv/<str:code>/", api.CpvDetailView.as_view(), name="api-cpv"),
]
