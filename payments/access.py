"""Rules about money.

A firm's deposits, guarantees and refunds are read by the firm's administrators and bidders,
and by the finance officers of the agency the money goes to (who must confirm transfers and
check guarantees). Nobody else learns of them: before the deadline a deposit tells of a firm's
intent to bid, which the buyer's procurement officers must not learn (招标投标法 Art. 22).
"""

from marketplace.access import FIRM_ROLES, has_role, organisations_where, rule
from marketplace.models import Role


@rule("give_bid_security")
def give_bid_security(user, organisation) -> bool:
    return organisation is not None and has_role(user, organisation, *FIRM_ROLES)


@rule("view_guarantee")
def view_guarantee(user, guarantee) -> bool:
    return has_role(user, guarantee.organisation_id, *FIRM_ROLES) or has_role(user, guarantee.tender.buyer_id, Role.FINANCE_OFFICER)


@rule("work_finance")
def work_finance(user, organisation=None) -> bool:
    """The finance pages: a finance officer of `organisation` (of any agency when None)."""
    if organisation is None:
        return bool(organisations_where(user, Role.FINANCE_OFFICER))
    return has_role(user, organisation, Role.FINANCE_OFFICER)


@rule("view_invoice")
def view_invoice(user, invoice) -> bool:
    """An invoice and its document: the supplier's members and the buyer's finance officers."""
    return has_role(user, invoice.supplier_id, *FIRM_ROLES) or has_role(user, invoice.buyer_id, Role.FINANCE_OFFICER)


@rule("manage_payouts")
def manage_payouts(user, organisation) -> bool:
    """How the firm is paid (its Stripe connected account): the firm's administrators."""
    return organisation is not None and has_role(user, organisation, Role.SUPPLIER_ADMIN)
