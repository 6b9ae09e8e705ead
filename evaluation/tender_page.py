"""What the evaluation adds to the tender's public page: the award notices, and links to the
evaluation workspace (officers, evaluators) and to the bidder's own result."""

from bidding.models import Bid
from marketplace import access
from marketplace.access import supplier_firms
from tenders.models import Tender

AFTER_OPENING = (Tender.Status.OPENED, Tender.Status.EVALUATING, Tender.Status.AWARDED, Tender.Status.UNSUCCESSFUL, Tender.Status.COMPLETED)


def tender_section(request, tender: Tender) -> dict:
    if tender.status not in AFTER_OPENING:
        return {"shown": False}
    firms = [f.pk for f in supplier_firms(request.user)]
    return {
        "shown": True,
        "tender": tender,
        "notices": list(tender.award_notices.order_by("-number")),
        "workspace": access.can(request.user, "use_evaluation_workspace", tender),
        "bidder": bool(firms) and Bid.objects.filter(tender=tender, organisation__in=firms).entered().exists(),
    }
