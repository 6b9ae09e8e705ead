"""May this organisation bid on this tender now? The registry's answer, with the reason.

The bidding app asks `bidding_refusal()` under the tender lock at submission time.
"""

from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from suppliers import cpv
from suppliers.models import LicenceRequirement, LicenceType, Supplier


def required_licence_types(tender) -> set[LicenceType]:
    """The tender's own requirements plus those attached to its categories."""
    required = set(tender.required_licence_types.all())
    categories = {tender.main_category, *tender.items.values_list("cpv", flat=True)} - {""}
    for requirement in LicenceRequirement.objects.select_related("licence_type"):
        if any(cpv.is_within(code, requirement.category) for code in categories):
            required.add(requirement.licence_type)
    return required


def bidding_refusal(organisation, tender, now: datetime) -> str | None:
    """None when the firm may bid; otherwise the reason, fit to show to the firm."""
    supplier = Supplier.objects.filter(organisation=organisation).first()
    if supplier is None:
        return _("Your organisation is not registered as a supplier.")
    today = timezone.localdate(now)
    if supplier.is_restricted_on(today):
        if supplier.status == Supplier.Status.DEBARRED:
            return _("Your firm is debarred and may not bid.")
        return _("Your firm is suspended and may not bid.")
    if supplier.status not in (Supplier.Status.VERIFIED, Supplier.Status.SUSPENDED, Supplier.Status.DEBARRED):
        return _("Your firm's registration has not been verified yet.")
    held = {licence.licence_type_id for licence in supplier.licences.valid_on(today)}
    missing = sorted(t.name for t in required_licence_types(tender) if t.pk not in held)
    if missing:
        return _("Your firm has no valid licence of the required type: %(types)s.") % {"types": ", ".join(missing)}
    return None
