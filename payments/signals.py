"""What payments tell the flows built on them."""

from django.dispatch import Signal

# A payment's money arrived (a finance officer confirmed the transfer, or the gateway reported
# it), inside the transaction that recorded it: payment, actor, now.
payment_succeeded = Signal()

# An invoice was settled (inside the settling transaction): invoice, actor, now.
invoice_paid = Signal()
