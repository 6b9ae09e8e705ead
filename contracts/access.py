"""Rules about contracts.

A contract signed by both parties (active, and what follows) is public. Before that, a draft or
a contract awaiting signatures is read only by the two parties — the buyer's procurement and
finance officers, the winning firm's administrators and bidders — and by auditors. The buyer's
procurement officers prepare the draft; who signs for which party is decided by
`contracts.actions.signing_party` (a supplier administrator of the winning firm, a procurement
officer of the buyer), which the signing action asks under the contract's lock.

Once the contract is active, the winning firm's administrators and bidders report deliveries
against its milestones; the buyer's procurement officers accept or reject them, and may
terminate the contract. The files attached to a delivery are read by the parties and auditors
only, even on a public contract: they are the firm's working papers, not the contract.

An active contract is changed by amendments, public like the contract: the buyer's procurement
officers propose them (signing for the buyer), the winning firm's administrators sign or
decline them.

Once the contract is completed or terminated, the buyer's procurement officers rate the firm's
performance once, and the firm's administrators and bidders answer the rating once. The rating
and the answer are public, as the contract is.
"""

from django.db.models import Q

from marketplace.access import FIRM_ROLES, has_role, is_auditor, organisations_where, rule
from marketplace.models import Role

BUYER_READERS = (Role.PROCUREMENT_OFFICER, Role.FINANCE_OFFICER, Role.AUDITOR)


def is_party(user, contract) -> bool:
    return has_role(user, contract.buyer_id, *BUYER_READERS) or has_role(user, contract.supplier_id, *FIRM_ROLES)


@rule("view_contract")
def view_contract(user, contract) -> bool:
    return contract.is_public or is_party(user, contract) or is_auditor(user)


@rule("prepare_contract")
def prepare_contract(user, contract) -> bool:
    """Edit the draft and send it for signature: the buyer's procurement officers."""
    return has_role(user, contract.buyer_id, Role.PROCUREMENT_OFFICER)


def visible_contracts(user, queryset):
    """The contracts of `queryset` the person may read (one query, for the lists)."""
    from contracts.models import Contract

    if is_auditor(user):
        return queryset
    buyers = [o.pk for o in organisations_where(user, *BUYER_READERS)]
    firms = [o.pk for o in organisations_where(user, *FIRM_ROLES)]
    return queryset.filter(Q(status__in=Contract.PUBLIC_STATUSES) | Q(buyer__in=buyers) | Q(supplier__in=firms))


@rule("report_delivery")
def report_delivery(user, contract) -> bool:
    """Report delivery of a milestone: the winning firm's administrators and bidders."""
    return has_role(user, contract.supplier_id, *FIRM_ROLES)


@rule("review_delivery")
def review_delivery(user, contract) -> bool:
    """Accept or reject a delivery: the buyer's procurement officers."""
    return has_role(user, contract.buyer_id, Role.PROCUREMENT_OFFICER)


@rule("terminate_contract")
def terminate_contract(user, contract) -> bool:
    return has_role(user, contract.buyer_id, Role.PROCUREMENT_OFFICER)


@rule("read_delivery_documents")
def read_delivery_documents(user, contract) -> bool:
    return is_party(user, contract) or is_auditor(user)


@rule("propose_amendment")
def propose_amendment(user, contract) -> bool:
    """Propose (and sign for the buyer) an amendment of an active contract: the buyer's
    procurement officers. The amendments themselves are read with the contract."""
    return has_role(user, contract.buyer_id, Role.PROCUREMENT_OFFICER)


@rule("accept_amendment")
def accept_amendment(user, contract) -> bool:
    """Sign or decline a proposed amendment for the supplier: the winning firm's administrators."""
    return has_role(user, contract.supplier_id, Role.SUPPLIER_ADMIN)


@rule("rate_performance")
def rate_performance(user, contract) -> bool:
    """Rate the supplier's performance of a finished contract: the buyer's procurement officers."""
    return has_role(user, contract.buyer_id, Role.PROCUREMENT_OFFICER)


@rule("answer_rating")
def answer_rating(user, contract) -> bool:
    """Answer the buyer's rating: the rated firm's administrators and bidders."""
    return has_role(user, contract.supplier_id, *FIRM_ROLES)
