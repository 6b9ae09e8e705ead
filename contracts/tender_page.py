"""What contracts add to the tender's page: the tender's contracts the reader may see."""

from contracts import access as contract_access
from contracts.models import Contract


def tender_section(request, tender) -> dict:
    contracts = list(contract_access.visible_contracts(request.user, Contract.objects.filter(tender=tender).select_related("lot")))
    return {"shown": bool(contracts), "contracts": sorted(contracts, key=lambda c: c.lot.number)}
