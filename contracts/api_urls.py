from django.urls import path

from contracts import api

urlpatterns = [
    path("certificates/root.pem", api.RootCertificateView.as_view(), name="api-root-certificate"),
    path("contracts/verify", api.VerifyDocumentView.as_view(), name="api-contracts-verify"),
    path("contracts/", api.ContractListView.as_view(), name="api-contracts"),
    path("contracts/<int:pk>/", api.ContractDetailView.as_view(), name="api-contract"),
    path("contracts/<int:pk>/document/", api.ContractDocumentView.as_view(), name="api-contract-document"),
    path("contracts/<int:pk>/send/", api.SendForSignatureView.as_view(), name="api-contract-send"),
    path("contracts/<int:pk>/sign/", api.SignView.as_view(), name="api-contract-sign"),
    path("contracts/<int:pk>/decline/", api.DeclineView.as_view(), name="api-contract-decline"),
    path("contracts/<int:pk>/terminate/", api.TerminateView.as_view(), name="api-contract-terminate"),
    path("contracts/<int:pk>/rating/", api.RatingView.as_view(), name="api-contract-rating"),
    path("contracts/<int:pk>/rating/answer/", api.RatingAnswerView.as_view(), name="api-contract-rating-answer"),
    path("suppliers/<int:pk>/performance/", api.SupplierPerformanceView.as_view(), name="api-supplier-performance"),
    path("contracts/<int:pk>/milestones/", api.MilestonesView.as_view(), name="api-contract-milestones"),
    path("contracts/<int:pk>/milestones/<int:number>/deliver/", api.DeliverView.as_view(), name="api-milestone-deliver"),
    path("contracts/<int:pk>/milestones/<int:number>/accept/", api.AcceptDeliveryView.as_view(), name="api-milestone-accept"),
    path("contracts/<int:pk>/milestones/<int:number>/reject/", api.RejectDeliveryView.as_view(), name="api-milestone-reject"),
    path("contracts/<int:pk>/amendments/", api.AmendmentsView.as_view(), name="api-contract-amendments"),
    path("contracts/<int:pk>/amendments/<int:number>/sign/", api.SignAmendmentView.as_view(), name="api-amendment-sign"),
    path("contracts/<int:pk>/amendments/<int:number>/decline/", api.DeclineAmendmentView.as_view(), name="api-amendment-decline"),
    path(
        "contracts/<int:pk>/delivery-documents/<int:document_id>/",
        api.DeliveryDocumentView.as_view(),
        name="api-contract-delivery-document",
    ),
]
