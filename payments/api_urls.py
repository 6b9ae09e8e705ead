from django.urls import path

from payments import api

urlpatterns = [
    path("tenders/<int:pk>/bid-security/", api.BidSecurityView.as_view(), name="api-bid-security"),
    path("tenders/<int:pk>/bid-security/deposit/", api.StartDepositView.as_view(), name="api-bid-security-deposit"),
    path("tenders/<int:pk>/bid-security/guarantee/", api.GiveGuaranteeView.as_view(), name="api-bid-security-guarantee"),
    path("payments/", api.PaymentListView.as_view(), name="api-payments"),
    path("payments/<uuid:pk>/confirm/", api.ConfirmTransferView.as_view(), name="api-payment-confirm"),
    path("refunds/<uuid:pk>/confirm/", api.ConfirmRefundView.as_view(), name="api-refund-confirm"),
    path("guarantees/<int:pk>/decision/", api.GuaranteeDecisionView.as_view(), name="api-guarantee-decision"),
    path("contracts/<int:pk>/milestones/<int:number>/invoice/", api.SubmitInvoiceView.as_view(), name="api-milestone-invoice"),
    path("invoices/", api.InvoiceListView.as_view(), name="api-invoices"),
    path("invoices/<int:pk>/approve/", api.ApproveInvoiceView.as_view(), name="api-invoice-approve"),
    path("invoices/<int:pk>/reject/", api.RejectInvoiceView.as_view(), name="api-invoice-reject"),
    path("invoices/<int:pk>/pay/", api.PayInvoiceView.as_view(), name="api-invoice-pay"),
    path("connect/account/", api.ConnectedAccountView.as_view(), name="api-connect-account"),
    path("connect/onboarding/", api.OnboardingView.as_view(), name="api-connect-onboarding"),
    path("invoices/<int:pk>/document/", api.InvoiceDocumentView.as_view(), name="api-invoice-document"),
]
