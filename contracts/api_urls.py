from django.urls import path

from contracts import api

urlpatterns = [
    path("certificates/root.pem", api.RootCertificateView.as_view(), name="api-root-certificate"),
    path("contracts/verify", api.VerifyDocumentView.as_view(), name="api-contracts-verify"),
]
