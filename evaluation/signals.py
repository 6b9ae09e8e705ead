"""What the award tells other apps. Sent by `evaluation.actions` inside the action's
transaction, after the transition: receivers write in the same transaction (or schedule work
with `transaction.on_commit`) and must be quick.

Every signal is sent with `sender=Award` and the keyword arguments named below.
"""

from django.dispatch import Signal

# award, actor, now — the standstill is over with no open challenge: the award is CONFIRMED and
# the contract may be prepared. `actor` is None when the task at the standstill's end confirmed it.
award_confirmed = Signal()
