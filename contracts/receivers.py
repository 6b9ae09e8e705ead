"""What the contracts app does when the award tells it something."""

from django.dispatch import receiver

from evaluation.models import Award
from evaluation.signals import award_confirmed


@receiver(award_confirmed, sender=Award, dispatch_uid="contracts.award_confirmed")
def draw_up_on_confirmation(sender, award, actor, now, **kwargs) -> None:
    """A confirmed award gets its draft contract in the same transaction."""
    from contracts.actions import draw_up_contract

    draw_up_contract(award, actor=actor, now=now)
