from django.urls import path

from bidding import opening_views, room, views

urlpatterns = [
    path("tenders/<int:tender_id>/bid/", views.bid_page, name="bid"),
    path("tenders/<int:tender_id>/bid/withdraw/", views.withdraw, name="withdraw"),
    path("tenders/<int:tender_id>/bid-box/", views.bid_box_page, name="bid-box"),
    path("tenders/<int:tender_id>/opening/", room.opening_room, name="opening-room"),
    path("tenders/<int:tender_id>/opening/release/", opening_views.release_share, name="release-share"),
    path("tenders/<int:tender_id>/opened-bids/", opening_views.opened_bids, name="opened-bids"),
    path("tenders/<int:tender_id>/opened-bids/documents/<int:document_id>/", opening_views.opened_document, name="opened-document"),
    path("bids/", views.my_bids, name="my-bids"),
    path("bids/<uuid:bid_id>/receipt.jws", views.receipt_file, name="receipt-file"),
    path("receipts/verify/", views.verify_receipt, name="verify-receipt"),
    path("custody/", views.custody_page, name="custody"),
    path("custody/passphrase/", views.set_passphrase, name="set-passphrase"),
    path("custody/passphrase/change/", views.change_passphrase, name="change-passphrase"),
    path("custody/tenders/<int:tender_id>/check/", views.check_share, name="check-share"),
]
