"""Navigation by role: each link shows only to those who can use it."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from marketplace import access
from marketplace.models import Notification, Role

# (label, url name, roles that see it; None = everyone signed in, () = everyone)
NAVIGATION = [
    (_("Home"), "home", ()),
    (_("Tenders"), "tenders:search", ()),
    (_("Agency workspace"), "tenders:workspace", (Role.PROCUREMENT_OFFICER,)),
    (_("Evaluations"), "tenders:evaluations", (Role.EVALUATOR, Role.PROCUREMENT_OFFICER)),
    (_("Awards"), "awards:list", ()),
    (_("Statistics"), "opendata:statistics", ()),
    (_("Challenges"), "tenders:reviews", (Role.REVIEW_OFFICER,)),
    (_("Suppliers"), "suppliers:directory", ()),
    (_("Your firm"), "suppliers:mine", (Role.SUPPLIER_ADMIN, Role.BIDDER)),
    (_("Your bids"), "bidding:my-bids", (Role.SUPPLIER_ADMIN, Role.BIDDER)),
    (_("Deposits and refunds"), "payments:overview", (Role.SUPPLIER_ADMIN, Role.BIDDER)),
    (_("Finance"), "payments:finance", (Role.FINANCE_OFFICER,)),
    (_("Registry"), "suppliers:queue", (Role.REGISTRY_OFFICER, Role.AUDITOR)),
    (_("Opening key"), "bidding:custody", (Role.CUSTODIAN,)),
    (_("Verify a receipt"), "bidding:verify-receipt", ()),
]


# Where each role's work starts, first match wins: sign-in lands there (`marketplace.views.start`).
START_PAGES = [
    (Role.PROCUREMENT_OFFICER, "tenders:workspace"),
    (Role.FINANCE_OFFICER, "payments:finance"),
    (Role.EVALUATOR, "tenders:evaluations"),
    (Role.REVIEW_OFFICER, "tenders:reviews"),
    (Role.REGISTRY_OFFICER, "suppliers:queue"),
    (Role.AUDITOR, "suppliers:queue"),
    (Role.SUPPLIER_ADMIN, "bidding:my-bids"),
    (Role.BIDDER, "bidding:my-bids"),
    (Role.CUSTODIAN, "bidding:custody"),
]


def start_page(user) -> str:
    """The page where this person's work starts: the first of their roles in `START_PAGES`, else home."""
    for role, url_name in START_PAGES:
        if access.holds_role_anywhere(user, role):
            return reverse(url_name)
    return reverse("home")


def navigation(request) -> dict:
    user = request.user
    items = []
    for label, url_name, roles in NAVIGATION:
        if roles == () or (user.is_authenticated and (roles is None or access.holds_role_anywhere(user, *roles))):
            items.append(
                {
                    "label": label,
                    "url": reverse(url_name),
                    "active": bool(request.resolver_match) and request.resolver_match.view_name == url_name,
                }
            )
    unread = 0
    if user.is_authenticated:
        unread = Notification.objects.filter(user=user, read_at__isnull=True).count()
    return {
        "nav_items": items,
        "unread_notifications": unread,
        "user_roles": sorted({m.get_role_display() for m in access.memberships(user)}) if user.is_authenticated else [],
        "is_auditor": user.is_authenticated and access.holds_role_anywhere(user, Role.AUDITOR),
    }
