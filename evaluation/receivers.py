"""What the evaluation does when the opening engine completes a round."""

from django.dispatch import receiver

from bidding.models import Opening
from bidding.signals import opening_completed


@receiver(opening_completed, sender=Opening, dispatch_uid="evaluation.opening_completed")
def financial_round_completed(sender, opening, tender, **kwargs) -> None:
    """A qualified bid whose financial envelope was rejected leaves the evaluation, with the reason."""
    from evaluation.actions import disqualify_rejected_financial_envelopes

    if opening.round == Opening.Round.FINANCIAL:
        disqualify_rejected_financial_envelopes(opening)
