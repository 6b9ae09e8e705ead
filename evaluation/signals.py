"""What the award tells other apps. Sent by `evaluation.actions` inside the action's
transaction, after the transition: receivers write in the same transaction (or schedule work
with `transaction.on_commit`) and must be quick.

`award_confirmed` is sent with `sender=Award`, `award_published` and `award_notice_cancelled` with
`sender=AwardNotice`, and the keyword arguments named below.
"""

from django.dispatch import Signal

# award, actor, now — the standstill is over with no open challenge: the award is CONFIRMED and
# the contract may be prepared. `actor` is None when the task at the standstill's end confirmed it.
award_confirmed = Signal()

# notice, tender, actor, now — a challenge was upheld: the notice and its awards are CANCELLED and
# the evaluation re-opens.
award_notice_cancelled = Signal()

# notice, tender, actor, now — an award notice was published (kind "award" or "unsuccessful"):
# every bidder may now learn the result; the standstill runs when there are winners.
award_published = Signal()
