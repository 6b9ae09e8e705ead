"""Finding a contract for a person: 404 when they may not see it, 403 when they may not act on it."""

from django.core.exceptions import PermissionDenied
from django.http import Http404

from contracts.models import Contract
from marketplace import access


def contract_for(user, pk: int, action: str | None = None) -> Contract:
    contract = Contract.objects.select_related("tender", "lot", "buyer", "supplier").filter(pk=pk).first()
    if contract is None or not access.can(user, "view_contract", contract):
        raise Http404
    if action is not None and not access.can(user, action, contract):
        raise PermissionDenied(action)
    return contract
