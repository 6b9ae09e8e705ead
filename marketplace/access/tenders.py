"""Rules about tenders and their subjects."""

from marketplace.access import has_role, rule, subject_rule
from marketplace.models import Role


def _tender(tender_id: str):
    from tenders.models import Tender

    if not tender_id.isdigit():
        return None
    return Tender.objects.filter(pk=int(tender_id)).select_related("buyer").first()


def is_buyer_officer(user, tender) -> bool:
    return has_role(user, tender.buyer_id, Role.PROCUREMENT_OFFICER)


@rule("view_tender")
def view_tender(user, tender) -> bool:
    return tender.is_public or is_buyer_officer(user, tender)


@subject_rule("tender")
def hear_tender(user, rest: str) -> bool:
    tender_id, _, channel = rest.partition(".")
    tender = _tender(tender_id)
    if tender is None:
        return False
    if channel == "":
        return tender.is_public
    if channel == "officers":
        return is_buyer_officer(user, tender)
    return False
