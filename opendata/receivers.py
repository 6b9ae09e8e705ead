"""The releases other apps' signals call for, each written in the sender's transaction.

| signal | tag | release id |
|---|---|---|
| tender_published | tender | `<ocid>-tender` |
| tender_amended | tenderAmendment | `<ocid>-amendment-<n>` |
| clarification_published | tenderUpdate | `<ocid>-clarification-<n>` |
| tender_closed | tenderUpdate | `<ocid>-closed` |
| tender_cancelled | tenderCancellation | `<ocid>-cancelled` |
| award_published | award | `<ocid>-notice-<n>` |
| award_notice_cancelled | awardCancellation | `<ocid>-notice-<n>-cancelled` |
| award_confirmed | awardUpdate | `<ocid>-award-<id>-confirmed` |
| contract_signed | contract | `<ocid>-contract-<id>-signed` |
| contract_amended | contractAmendment | `<ocid>-contract-<id>-amendment-<n>` |
| contract_refused | awardCancellation | `<ocid>-contract-<id>-refused` |
"""

from django.db import transaction
from django.dispatch import receiver
from django.utils import timezone

from bidding.models import Opening
from bidding.signals import opening_completed
from contracts.models import Contract, Milestone
from contracts.signals import contract_amended, contract_closed, contract_refused, contract_signed, milestone_accepted
from evaluation.models import Award, AwardNotice
from evaluation.signals import award_confirmed, award_notice_cancelled, award_published
from opendata import redflags
from opendata.actions import record_release
from payments.models import Invoice
from payments.signals import invoice_paid
from tenders.models import Tender
from tenders.signals import clarification_published, tender_amended, tender_cancelled, tender_closed, tender_published


@receiver(tender_published, sender=Tender, dispatch_uid="opendata.tender_published")
def release_tender(sender, tender, now, **kwargs) -> None:
    record_release(tender, event="tender", tags=["tender"], now=now)


@receiver(tender_amended, sender=Tender, dispatch_uid="opendata.tender_amended")
def release_amendment(sender, tender, amendment, now, **kwargs) -> None:
    record_release(tender, event=f"amendment-{amendment.number}", tags=["tenderAmendment"], now=now)


@receiver(clarification_published, sender=Tender, dispatch_uid="opendata.clarification_published")
def release_clarification(sender, tender, clarification, now, **kwargs) -> None:
    record_release(tender, event=f"clarification-{clarification.number}", tags=["tenderUpdate"], now=now)


@receiver(tender_closed, sender=Tender, dispatch_uid="opendata.tender_closed")
def release_closing(sender, tender, now, **kwargs) -> None:
    """Past the deadline the bid box's count is public (DESIGN.md, sealing protocol step 5)."""
    record_release(tender, event="closed", tags=["tenderUpdate"], now=now)


@receiver(tender_cancelled, sender=Tender, dispatch_uid="opendata.tender_cancelled")
def release_cancellation(sender, tender, now, **kwargs) -> None:
    record_release(tender, event="cancelled", tags=["tenderCancellation"], now=now)


@receiver(award_published, sender=AwardNotice, dispatch_uid="opendata.award_published")
def release_award_notice(sender, notice, tender, now, **kwargs) -> None:
    """An unsuccessful notice is an award release too: its lots' awards are unsuccessful."""
    record_release(tender, event=f"notice-{notice.number}", tags=["award"], now=now)


@receiver(award_notice_cancelled, sender=AwardNotice, dispatch_uid="opendata.award_notice_cancelled")
def release_notice_cancellation(sender, notice, tender, now, **kwargs) -> None:
    """A challenge was upheld: the notice's awards are cancelled, the tender is evaluated again."""
    record_release(tender, event=f"notice-{notice.number}-cancelled", tags=["awardCancellation"], now=now)


@receiver(award_confirmed, sender=Award, dispatch_uid="opendata.award_confirmed")
def release_award_confirmation(sender, award, now, **kwargs) -> None:
    record_release(award.tender, event=f"award-{award.pk}-confirmed", tags=["awardUpdate"], now=now)


@receiver(contract_signed, sender=Contract, dispatch_uid="opendata.contract_signed")
def release_contract(sender, contract, now, **kwargs) -> None:
    record_release(contract.tender, event=f"contract-{contract.pk}-signed", tags=["contract"], now=now)


@receiver(contract_amended, sender=Contract, dispatch_uid="opendata.contract_amended")
def release_contract_amendment(sender, contract, amendment, now, **kwargs) -> None:
    record_release(contract.tender, event=f"contract-{contract.pk}-amendment-{amendment.number}", tags=["contractAmendment"], now=now)


@receiver(milestone_accepted, sender=Milestone, dispatch_uid="opendata.milestone_accepted")
def release_milestone(sender, milestone, now, **kwargs) -> None:
    """A delivery accepted: the contract's implementation moved (its milestone is met)."""
    contract = milestone.contract
    record_release(contract.tender, event=f"contract-{contract.pk}-milestone-{milestone.number}-accepted", tags=["implementation"], now=now)


@receiver(invoice_paid, sender=Invoice, dispatch_uid="opendata.invoice_paid")
def release_payment(sender, invoice, now, **kwargs) -> None:
    """An invoice settled: the contract's implementation has a transaction, buyer to supplier."""
    contract = invoice.contract
    record_release(contract.tender, event=f"contract-{contract.pk}-invoice-{invoice.pk}-paid", tags=["implementation"], now=now)


@receiver(contract_closed, sender=Contract, dispatch_uid="opendata.contract_closed")
def release_closing_of_contract(sender, contract, cause, now, **kwargs) -> None:
    """Completed or terminated early: OCDS calls both `terminated`, with the final value."""
    record_release(contract.tender, event=f"contract-{contract.pk}-{cause}", tags=["contractTermination"], now=now)


@receiver(contract_refused, sender=Contract, dispatch_uid="opendata.contract_refused")
def release_refusal(sender, contract, now, **kwargs) -> None:
    """The winner declined or let the signing period pass: its award is cancelled. The contract
    itself was never public, so the release reports the award."""
    record_release(contract.tender, event=f"contract-{contract.pk}-refused", tags=["awardCancellation"], now=now)


# Red flags (`opendata.redflags`): recomputed in the same transaction as the change that feeds them.


@receiver(tender_published, sender=Tender, dispatch_uid="opendata.redflags.tender_published")
@receiver(tender_amended, sender=Tender, dispatch_uid="opendata.redflags.tender_amended")
@receiver(tender_closed, sender=Tender, dispatch_uid="opendata.redflags.tender_closed")
def flag_tender(sender, tender, now, **kwargs) -> None:
    redflags.recompute(tender, now=now)


@receiver(award_published, sender=AwardNotice, dispatch_uid="opendata.redflags.award_published")
@receiver(award_notice_cancelled, sender=AwardNotice, dispatch_uid="opendata.redflags.award_notice_cancelled")
def flag_award_notice(sender, notice, tender, now, **kwargs) -> None:
    redflags.recompute(tender, now=now)


@receiver(contract_signed, sender=Contract, dispatch_uid="opendata.redflags.contract_signed")
@receiver(contract_closed, sender=Contract, dispatch_uid="opendata.redflags.contract_closed")
@receiver(contract_amended, sender=Contract, dispatch_uid="opendata.redflags.contract_amended")
def flag_contract(sender, contract, now, **kwargs) -> None:
    redflags.recompute(contract.tender, now=now)


@receiver(opening_completed, sender=Opening, dispatch_uid="opendata.redflags.opening_completed")
def flag_opening(sender, opening, tender, **kwargs) -> None:
    """Sent after the opening's transaction committed, so the flags get one of their own, under
    the tender's row lock like every other change of the tender."""
    with transaction.atomic():
        tender = Tender.objects.select_for_update().get(pk=tender.pk)
        redflags.recompute(tender, now=timezone.now())
