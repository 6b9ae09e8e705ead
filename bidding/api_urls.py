from django.urls import path

from bidding import api, opening_api

urlpatterns = [
    path("tenders/<int:tender_id>/bids/", api.TenderBidsView.as_view(), name="api-tender-bids"),
    path("tenders/<int:tender_id>/envelopes/", api.TenderEnvelopesView.as_view(), name="api-tender-envelopes"),
    path("tenders/<int:tender_id>/bid-box/", api.BidBoxView.as_view(), name="api-tender-bid-box"),
    path("tenders/<int:tender_id>/opening/", opening_api.StartOpeningView.as_view(), name="api-tender-opening-start"),
    path("tenders/<int:tender_id>/opening/release/", opening_api.ReleaseShareView.as_view(), name="api-tender-opening-release"),
    path("tenders/<int:tender_id>/opening-record/", opening_api.OpeningRecordView.as_view(), name="api-tender-opening-record"),
    path("tenders/<int:tender_id>/opened-bids/", opening_api.OpenedBidsView.as_view(), name="api-tender-opened-bids"),
    path("opened-documents/<int:document_id>/", opening_api.OpenedDocumentView.as_view(), name="api-opened-document"),
    path("bids/<uuid:bid_id>/", api.BidDetailView.as_view(), name="api-bid"),
    path("bids/<uuid:bid_id>/replace/", api.ReplaceBidView.as_view(), name="api-bid-replace"),
    path("bids/<uuid:bid_id>/withdraw/", api.WithdrawBidView.as_view(), name="api-bid-withdraw"),
    path("bids/plaintext-schema", api.PlaintextSchemaView.as_view(), name="api-bid-plaintext-schema"),
    path("signing-keys/", api.SigningKeysView.as_view(), name="api-signing-keys"),
    path("receipts/verify", api.VerifyReceiptView.as_view(), name="api-receipts-verify"),
]
