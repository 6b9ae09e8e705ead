"""Who may do what with tenders, and who hears their live events.

Registered from `TendersConfig.ready()`.
"""

from marketplace.access import has_role, holds_role_anywhere, is_member, memberships, rule, subject_rule
from marketplace.models import Organisation, Role
from tenders.models import Clarification, Tender


def _tender(tender_id: str):
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


def is_supplier_member(user) -> bool:
    return any(
        m.role in (Role.SUPPLIER_ADMIN, Role.BIDDER) and m.organisation.kind == Organisation.Kind.SUPPLIER for m in memberships(user)
    )


@rule("author_tenders")
def author_tenders(user, agency) -> bool:
    """Draft tenders for `agency` (or, with None, for some agency)."""
    if agency is None:
        return holds_role_anywhere(user, Role.PROCUREMENT_OFFICER)
    return has_role(user, agency, Role.PROCUREMENT_OFFICER)


@rule("use_agency_workspace")
def use_agency_workspace(user, obj) -> bool:
    return holds_role_anywhere(user, Role.PROCUREMENT_OFFICER)


@rule("manage_tender")
def manage_tender(user, tender) -> bool:
    """Edit the draft, publish, add documents, answer questions, amend, cancel."""
    return is_buyer_officer(user, tender)


@rule("ask_question")
def ask_question(user, tender) -> bool:
    return tender.is_public and is_supplier_member(user)


@rule("follow_tender")
def follow_tender(user, tender) -> bool:
    return tender.is_public and is_supplier_member(user)


@rule("view_clarification")
def view_clarification(user, clarification) -> bool:
    """An answer is public with its tender; an unanswered question only to its firm and the agency."""
    if clarification.status == Clarification.Status.ANSWERED:
        return view_tender(user, clarification.tender)
    if is_buyer_officer(user, clarification.tender):
        return True
    return clarification.asker_organisation_id is not None and is_member(user, clarification.asker_organisation_id)


@rule("download_document")
def download_document(user, document) -> bool:
    return view_tender(user, document.tender)
