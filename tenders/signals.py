"""What the tender's life tells other apps. Sent by `tenders.actions` inside the action's
transaction, after the transition: receivers write in the same transaction (or schedule
work with `transaction.on_commit`) and must be quick.

Every signal is sent with `sender=Tender` and the keyword arguments named below.
"""

from django.dispatch import Signal

# tender, actor, now — a receiver returns a list of `marketplace.errors.Problem` (may be empty).
# Sent while `publish_tender` validates, so other apps can refuse publication with a reason, and
# when a draft's management page lists what still stops publication: receivers only look.
publication_check = Signal()

# tender, actor, now — the tender has just become PUBLISHED (it has its reference).
tender_published = Signal()

# tender, amendment, actor, now — a published tender changed; its deadline may have moved.
tender_amended = Signal()

# tender, clarification, actor, now — an answer, or the agency's own clarification, was published
# to everyone (numbered, without the asker's name).
clarification_published = Signal()

# tender, now — the deadline passed and the tender is CLOSED.
tender_closed = Signal()

# tender, actor, now — the tender was CANCELLED (its sealed bids must never be opened).
tender_cancelled = Signal()
