"""Finding a contract for a person: 404 when they may not see it, 403 when they may not act on it."""

from django.core.exceptions import PermissionDenied
from django.http import Http404

from contracts.models import Amendment, Contract, Milestone
from marketplace import access


def contract_for(user, pk: int, action: str | None = None) -> Contract:
    contract = Contract.objects.select_related("tender", "lot", "buyer", "supplier").filter(pk=pk).first()
    if contract is None or not access.can(user, "view_contract", contract):
        raise Http404
    if action is not None and not access.can(user, action, contract):
        raise PermissionDenied(action)
    return contract


def milestone_for(user, pk: int, number: int, action: str | None = None) -> Milestone:
    """A milestone of a contract the person may see (404 otherwise, as for the contract)."""
    contract = contract_for(user, pk, action)
    milestone = Milestone.objects.filter(contract=contract, number=number).first()
    if milestone is None:
        raise Http404
    milestone.contract = contract
    return milestone


def amendment_for(user, pk: int, number: int, action: str | None = None) -> Amendment:
    """An amendment of a contract the person may see (404 otherwise, as for the contract)."""
    contract = contract_for(user, pk, action)
    amendment = Amendment.objects.filter(contract=contract, number=number).first()
    if amendment is None:
        raise Http404
    amendment.contract = contract
    return amendment
