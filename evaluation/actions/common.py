"""Shared by the evaluation actions: locks, state checks, who to tell."""

import uuid

from django.urls import reverse
from django.utils.translation import gettext as _

from bidding.access import BIDDING_ROLES
from bidding.models import Bid
from marketplace.errors import Conflict
from marketplace.models import User
from tenders.actions.common import lock
from tenders.models import Tender

__all__ = ["firm_members", "lock", "lock_bid", "require_evaluating", "result_path", "workspace_path"]


def require_evaluating(tender: Tender) -> None:
    if tender.status != Tender.Status.EVALUATING:
        raise Conflict(
            _("The tender is not being evaluated (it is %(status)s).") % {"status": tender.get_status_display().lower()},
            code="not_evaluating",
        )


def lock_bid(bid: Bid | str, tender: Tender) -> Bid:
    """The bid of this tender, locked after its tender (lock order: tender, then bids)."""
    try:
        pk = bid.pk if isinstance(bid, Bid) else uuid.UUID(str(bid))
    except ValueError:
        pk = None  # a malformed id names no bid: the same refusal as another tender's bid
    found = Bid.objects.select_for_update(of=("self",)).select_related("organisation").filter(pk=pk, tender=tender).first()
    if found is None:
        raise Conflict(_("This bid is not part of the tender."), code="unknown_bid", field="bid")
    return found


def firm_members(organisation_id: int) -> list[User]:
    return list(User.objects.with_membership(*BIDDING_ROLES, organisation=organisation_id))


def workspace_path(tender: Tender) -> str:
    return reverse("tenders:evaluation", args=[tender.pk])


def result_path(tender: Tender) -> str:
    return reverse("tenders:result", args=[tender.pk])
