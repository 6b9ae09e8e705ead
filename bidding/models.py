"""Sealed bids: sealing keys and custody, bid envelopes, receipts, the deadline and the opening."""
