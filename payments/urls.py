from django.urls import path

from payments import views

app_name = "payments"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("deposits/<int:tender_id>/", views.deposit, name="deposit"),
    path("guarantees/<int:guarantee_id>/document/", views.guarantee_document, name="guarantee-document"),
    path("contracts/<int:contract_id>/milestones/<int:number>/invoice/", views.submit_invoice, name="submit-invoice"),
    path("invoices/<int:invoice_id>/document/", views.invoice_document, name="invoice-document"),
    path("finance/", views.finance, name="finance"),
    path("finance/invoices/<int:invoice_id>/approve/", views.approve_invoice, name="approve-invoice"),
    path("finance/invoices/<int:invoice_id>/reject/", views.reject_invoice, name="reject-invoice"),
    path("finance/invoices/<int:invoice_id>/pay/", views.pay_invoice, name="pay-invoice"),
    path("connect/onboard/", views.connect_onboard, name="connect-onboard"),
    path("connect/refresh/", views.connect_refresh, name="connect-refresh"),
    path("connect/return/", views.connect_return, name="connect-return"),
    path("finance/payments/<uuid:payment_id>/confirm/", views.confirm_transfer, name="confirm-transfer"),
    path("finance/refunds/<uuid:refund_id>/confirm/", views.confirm_refund, name="confirm-refund"),
    path("finance/guarantees/<int:guarantee_id>/decide/", views.decide_guarantee, name="decide-guarantee"),
    path("stripe/webhook/", views.stripe_webhook, name="stripe-webhook"),
]
