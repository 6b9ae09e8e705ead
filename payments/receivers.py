"""What payments answers when bidding asks whether a firm may bid: the bid deposit."""

from django.dispatch import receiver
from django.utils.translation import gettext as _

from bidding.models import Bid
from bidding.signals import bid_eligibility_check
from marketplace.errors import Problem
from payments.deposits import deposit_satisfied
from suppliers.models import Supplier


@receiver(bid_eligibility_check, sender=Bid, dispatch_uid="payments.deposit")
def unpaid_deposit(sender, organisation, tender, now, **kwargs) -> list[Problem]:
    if not tender.deposit_amount:
        return []  # the common case, answered without a query under the tender lock
    supplier = Supplier.objects.filter(organisation=organisation).first() if tender.deposit_waived_for_sme else None
    if deposit_satisfied(supplier, tender):
        return []
    return [Problem(_("This tender requires a bid deposit, which your firm has not paid."), code="deposit_required")]
