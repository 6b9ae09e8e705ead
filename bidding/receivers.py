"""What the bidding app does when a tender is published, amended or cancelled, and the supplier
registry's answer to `bid_eligibility_check`.

The tenders actions send their signals inside their transaction, holding the tender row
lock (FOR UPDATE), so no submission runs concurrently with any of them.
"""

from django.dispatch import receiver

from bidding import actions, custody, keys, tasks
from bidding.models import Bid
from bidding.signals import bid_eligibility_check
from marketplace.errors import Problem
from suppliers.eligibility import check_bidder
from tenders.models import Tender
from tenders.signals import publication_check, tender_amended, tender_cancelled, tender_closed, tender_published


@receiver(publication_check, sender=Tender, dispatch_uid="bidding.publication_check")
def check_custody(sender, tender, actor, now, **kwargs) -> list[Problem]:
    return [Problem(message, code="custody", field="custodians") for message in custody.publication_problems(tender)]


@receiver(tender_published, sender=Tender, dispatch_uid="bidding.tender_published")
def create_envelope_keys(sender, tender, actor, now, **kwargs) -> None:
    keys.create_envelope_keys(tender, actor=actor, now=now)


@receiver(tender_closed, sender=Tender, dispatch_uid="bidding.tender_closed")
def queue_opening(sender, tender, now, **kwargs) -> None:
    # Queued in the closing's transaction (the task store is the database): no closing commits
    # without its opening queued.
    tasks.schedule_opening(tender)
    tasks.ensure_opening_sweep()


@receiver(tender_amended, sender=Tender, dispatch_uid="bidding.tender_amended")
def flag_bids_sealed_before(sender, tender, amendment, actor, now, **kwargs) -> None:
    actions.flag_bids_sealed_before_amendment(tender, amendment, now=now)


@receiver(tender_cancelled, sender=Tender, dispatch_uid="bidding.tender_cancelled")
def destroy_envelope_keys(sender, tender, actor, now, **kwargs) -> None:
    actions.destroy_envelope_keys(tender, actor=actor, now=now)


# The registry lies below bidding and cannot listen to a bidding signal without importing it:
# bidding connects the registry's own check here.
@receiver(bid_eligibility_check, sender=Bid, dispatch_uid="bidding.registry_standing")
def registry_standing(sender, organisation, tender, now, item_categories=None, **kwargs) -> list[Problem]:
    """Registered, verified, neither suspended nor debarred, holding every licence the tender needs."""
    _supplier, reason = check_bidder(organisation, tender, now, item_categories=item_categories)
    return [] if reason is None else [Problem(reason, code="not_eligible")]
