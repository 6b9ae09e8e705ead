"""What payments answers and does when the other apps speak: the bid security.

Bidding asks whether a firm may bid (`bid_eligibility_check`); tenders asks whether a tender may
be published (`publication_check`: the deposit's ceiling). After a tender is cancelled or
closed, an award notice is published, a contract is signed or a bid withdrawn, deposits may be
due back: the refunds run in a task after the commit (they call the gateway, which no
transaction may wait for). A winner's refusal to sign forfeits its security in the refusing
transaction itself.
"""

from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.dispatch import receiver
from django.urls import reverse
from django.utils.translation import gettext as _

from bidding.models import Bid
from bidding.signals import bid_eligibility_check, bid_withdrawn
from contracts.models import Contract
from contracts.signals import contract_refused, contract_signed
from evaluation.models import AwardNotice
from evaluation.signals import award_published
from marketplace.errors import Problem
from payments import deposits
from tenders.models import Tender
from tenders.signals import publication_check, tender_cancelled, tender_closed


@receiver(bid_eligibility_check, sender=Bid, dispatch_uid="payments.deposit")
def unpaid_deposit(sender, organisation, tender, now, **kwargs) -> list[Problem]:
    if not tender.deposit_amount:
        return []  # the common case, answered without a query under the tender lock
    current = deposits.security(organisation, tender)
    if current.satisfied:
        return []
    url = reverse("payments:deposit", args=[tender.pk]) + f"?organisation={organisation.pk}"
    if current.pending is not None and current.pending.gateway == "offline" and current.pending.gateway_reference:
        message = _(
            "This tender requires a bid deposit of %(amount)s. Your bank transfer quoting %(reference)s waits for the buyer's finance officer to confirm it arrived."
        ) % {"amount": current.required, "reference": current.pending.gateway_reference}
    elif current.pending_guarantee is not None:
        message = _(
            "This tender requires a bid deposit of %(amount)s. Your bank guarantee waits for the buyer's finance officer to check it."
        ) % {"amount": current.required}
    else:
        message = _("This tender requires a bid deposit of %(amount)s, which your firm has not given yet.") % {"amount": current.required}
    return [Problem(message, code="deposit_required", url=url, url_label=_("Bid security"))]


@receiver(publication_check, sender=Tender, dispatch_uid="payments.deposit_ceiling")
def deposit_over_ceiling(sender, tender, **kwargs) -> list[Problem]:
    """The deposit may not exceed `DEPOSIT_MAX_PERCENT` of the estimated value (实施条例 Art. 33: 2 %)."""
    if not tender.deposit_amount:
        return []
    percent = Decimal(settings.DEPOSIT_MAX_PERCENT)
    if not tender.estimated_value:
        return [
            Problem(
                _("A tender that asks a bid deposit states its estimated value: the deposit may be at most %(percent)s %% of it.")
                % {"percent": percent},
                code="deposit_needs_estimate",
                field="estimated_value",
            )
        ]
    ceiling = (tender.estimated_value * percent / 100).quantize(Decimal("0.01"))
    if tender.deposit_amount > ceiling:
        return [
            Problem(
                _("The bid deposit may be at most %(percent)s %% of the estimated value: %(ceiling)s %(currency)s.")
                % {"percent": percent, "ceiling": ceiling, "currency": tender.currency},
                code="deposit_too_high",
                field="deposit_amount",
            )
        ]
    return []


def _return_deposits_after_commit(tender_id: int) -> None:
    from payments.tasks import schedule_returns

    transaction.on_commit(lambda: schedule_returns(tender_id))


@receiver(tender_cancelled, sender=Tender, dispatch_uid="payments.return_on_cancel")
def return_on_cancel(sender, tender, **kwargs) -> None:
    if tender.deposit_amount:
        _return_deposits_after_commit(tender.pk)


@receiver(tender_closed, sender=Tender, dispatch_uid="payments.return_on_close")
def return_on_close(sender, tender, **kwargs) -> None:
    if tender.deposit_amount:  # firms that paid and did not bid
        _return_deposits_after_commit(tender.pk)


@receiver(award_published, sender=AwardNotice, dispatch_uid="payments.return_on_award")
def return_on_award(sender, tender, **kwargs) -> None:
    if tender.deposit_amount:
        _return_deposits_after_commit(tender.pk)


@receiver(contract_signed, sender=Contract, dispatch_uid="payments.return_on_signature")
def return_on_signature(sender, contract, **kwargs) -> None:
    _return_deposits_after_commit(contract.tender_id)


@receiver(bid_withdrawn, sender=Bid, dispatch_uid="payments.return_on_withdrawal")
def return_on_withdrawal(sender, bid, **kwargs) -> None:
    if bid.tender.deposit_amount:
        _return_deposits_after_commit(bid.tender_id)


@receiver(contract_refused, sender=Contract, dispatch_uid="payments.forfeit_on_refusal")
def forfeit_on_refusal(sender, contract, cause, reason, now, **kwargs) -> None:
    deposits.forfeit_security(contract.tender, contract.supplier, reason=reason or cause, now=now)
