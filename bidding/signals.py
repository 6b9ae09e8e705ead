"""What the opening tells other apps, without their importing the engine.

`opening_completed(sender=Opening, opening, tender)` is sent after the transaction that
completed a round has committed: every line is stored and the record is signed.
"""

from django.dispatch import Signal

opening_completed = Signal()
