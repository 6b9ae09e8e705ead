"""What bidding tells other apps, and asks them, without their importing the engine.

`bid_eligibility_check(sender=Bid, organisation, tender, now, item_categories)`: may this firm
bid on this tender now? A receiver returns a list of `marketplace.errors.Problem` (may be
empty), each a reason it may not, fit to show to the firm. Sent by `submit_bid` under the tender
lock, and by the bid page to show the reasons before anything is sealed: receivers only look.
`item_categories` holds the CPV codes of the tender's items when the sender has read them
(else None). The supplier registry answers (registration, suspension, debarment, licences:
`bidding.receivers`), and so does payments (the bid deposit).

`opening_completed(sender=Opening, opening, tender)` is sent after the transaction that
completed a round has committed: every line is stored and the record is signed.

`bid_withdrawn(sender=Bid, bid, now)` is sent inside `withdraw_bid`'s transaction, before the
deadline: nobody but the bidder may learn of it, so receivers publish nothing about the bid
(payments returns the firm's deposit, as it does for any firm that gives up bidding).
"""

from django.dispatch import Signal

bid_eligibility_check = Signal()

opening_completed = Signal()

bid_withdrawn = Signal()
