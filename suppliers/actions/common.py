"""What the registry's actions share: row locks, the people to tell, the links to send them."""

from django.conf import settings
from django.urls import reverse

from marketplace import live
from marketplace.models import Organisation, Role, User
from marketplace.notify import Text, in_language, notify
from suppliers.models import Supplier


def lock_supplier(supplier: Supplier | int) -> Supplier:
    """The supplier row, locked for the rest of the transaction (always the first lock taken)."""
    pk = supplier.pk if isinstance(supplier, Supplier) else supplier
    return Supplier.objects.select_for_update().select_related("organisation").get(pk=pk)


def lock_organisation(organisation: Organisation) -> Organisation:
    return Organisation.objects.select_for_update().get(pk=organisation.pk)


def members_of(organisation: Organisation | int, *roles: str) -> list[User]:
    return list(User.objects.with_membership(*roles, organisation=organisation))


def registry_officers() -> list[User]:
    return list(User.objects.with_membership(Role.REGISTRY_OFFICER))


def supplier_url(supplier: Supplier) -> str:
    return reverse("suppliers:detail", args=[supplier.pk])


def tell_firm(supplier: Supplier, *, kind: str, title: Text, body: Text = "", admins_only: bool = False, email: bool = True) -> None:
    """Notify the firm's people (in-app, e-mail, each in their language) and put the event on the
    firm's live subject (one message for all its members: in the platform's language)."""
    roles = (Role.SUPPLIER_ADMIN,) if admins_only else ()
    url = supplier_url(supplier)
    notify(
        members_of(supplier.organisation_id, *roles),
        kind=kind,
        title=title,
        body=body,
        url=url,
        organisation=supplier.organisation,
        email=email,
    )
    live.publish(
        f"org.{supplier.organisation_id}",
        kind,
        {"supplier": supplier.pk, "status": supplier.status, "title": in_language(title, settings.LANGUAGE_CODE)},
    )
