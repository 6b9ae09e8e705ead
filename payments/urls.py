from django.urls import path

from payments import views

app_name = "payments"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("deposits/<int:tender_id>/", views.deposit, name="deposit"),
    path("guarantees/<int:guarantee_id>/document/", views.guarantee_document, name="guarantee-document"),
    path("finance/", views.finance, name="finance"),
    path("finance/payments/<uuid:payment_id>/confirm/", views.confirm_transfer, name="confirm-transfer"),
    path("finance/refunds/<uuid:refund_id>/confirm/", views.confirm_refund, name="confirm-refund"),
    path("finance/guarantees/<int:guarantee_id>/decide/", views.decide_guarantee, name="decide-guarantee"),
    path("stripe/webhook/", views.stripe_webhook, name="stripe-webhook"),
]
