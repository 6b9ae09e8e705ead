"""Bid deposits: what a firm must have paid before it may bid."""

from decimal import Decimal


def deposit_required(supplier, tender) -> Decimal | None:
    """The deposit this firm owes for this tender, or None when it owes none."""
    if not tender.deposit_amount:
        return None
    if tender.deposit_waived_for_sme and supplier is not None and supplier.is_sme:
        return None
    return tender.deposit_amount


def deposit_satisfied(supplier, tender) -> bool:
    """True when no deposit is owed. No deposit payment is recorded on the platform, so a firm
    that owes one cannot bid."""
    return deposit_required(supplier, tender) is None
