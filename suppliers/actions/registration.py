"""Registering a firm, keeping its profile, size and categories, and resubmitting it."""

from datetime import datetime
from decimal import Decimal

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_countries import countries

from marketplace import access, audit
from marketplace import actions as platform
from marketplace.errors import ActionError, Conflict, Problem
from marketplace.models import Organisation, Role, User
from marketplace.notify import notify
from suppliers import cpv, registration_numbers
from suppliers.actions.common import lock_supplier, registry_officers, supplier_url
from suppliers.models import Supplier, SupplierCategory, sme_class_for

IDENTITY_FIELDS = ("legal_name", "country", "registration_number")
CONTACT_FIELDS = ("address", "contact_email", "contact_phone", "website", "listed_in_directory")
SIZE_FIELDS = ("headcount", "turnover_eur")
MAX_CATEGORIES = 100


def _country(value: str) -> str:
    code = (value or "").strip().upper()
    if not countries.alpha2(code):
        raise ActionError(_("Choose the country where the firm is registered."), code="invalid_country", field="country")
    return code


def _registration_number(country: str, value: str, *, exclude_pk: int | None = None) -> str:
    try:
        number = registration_numbers.normalise(country, value)
    except registration_numbers.InvalidRegistrationNumber as exc:
        raise ActionError(str(exc), code="invalid_registration_number", field="registration_number") from None
    taken = Supplier.objects.filter(country=country, registration_number=number).exclude(pk=exclude_pk)
    if taken.exists():
        raise _duplicate()
    return number


def _duplicate() -> Conflict:
    return Conflict(
        _(
            "A firm with this registration number is already registered in this country. To work for it on Tenderhall, "
            "ask one of its administrators to invite you: they can do it from the firm's Team page."
        ),
        code="duplicate_registration",
        field="registration_number",
    )


def _size(headcount, turnover_eur) -> tuple[int, Decimal]:
    problems = []
    if headcount is None or int(headcount) < 0:
        problems.append(Problem(_("Enter the number of staff (0 or more)."), "required", "headcount"))
    if turnover_eur is None or Decimal(turnover_eur) < 0:
        problems.append(Problem(_("Enter the annual turnover in euros (0 or more)."), "required", "turnover_eur"))
    if problems:
        raise ActionError(problems=problems)
    return int(headcount), Decimal(turnover_eur).quantize(Decimal("0.01"))


def _categories(codes) -> list[str]:
    normalised = []
    for code in codes or []:
        if not cpv.exists(code):
            raise ActionError(_("%(code)s is not a CPV 2008 code.") % {"code": code}, code="unknown_cpv", field="categories")
        normalised.append(cpv.normalise(code))
    normalised = sorted(set(normalised))
    if len(normalised) > MAX_CATEGORIES:
        raise ActionError(_("A firm lists at most %(n)s categories.") % {"n": MAX_CATEGORIES}, code="too_many", field="categories")
    return normalised


def _first_admin(email: str, full_name: str, password: str) -> User:
    email = (email or "").strip().lower()
    if not email:
        raise ActionError(_("Enter the e-mail address of the firm's first administrator."), code="required", field="admin_email")
    if User.objects.filter(email__iexact=email).exists():
        raise ActionError(
            _("An account with this e-mail address already exists: sign in with it, then register the firm."),
            code="account_exists",
            field="admin_email",
        )
    candidate = User(email=email, full_name=full_name.strip())
    try:
        validate_password(password or "", user=candidate)
    except ValidationError as exc:
        raise ActionError(problems=[Problem(message, "weak_password", "password") for message in exc.messages]) from None
    return User.objects.create_user(email, password, full_name=full_name.strip()[:200])


@transaction.atomic
def register_supplier(
    actor: User | None,
    *,
    legal_name: str,
    country: str,
    registration_number: str,
    address: str,
    contact_email: str,
    headcount: int | None,
    turnover_eur: Decimal | None,
    contact_phone: str = "",
    website: str = "",
    categories: list[str] | None = None,
    listed_in_directory: bool = False,
    admin_email: str = "",
    admin_name: str = "",
    password: str = "",
    now: datetime | None = None,
) -> Supplier:
    """Self-registration, free: the first administrator (unless signed in), the organisation,
    the membership and the supplier record, waiting for a registry officer."""
    now = now or timezone.now()
    legal_name = (legal_name or "").strip()
    if not legal_name:
        raise ActionError(_("Enter the firm's legal name."), code="required", field="legal_name")
    country = _country(country)
    number = _registration_number(country, registration_number)
    headcount, turnover_eur = _size(headcount, turnover_eur)
    codes = _categories(categories)
    signed_in = actor is not None and actor.is_authenticated
    admin = actor if signed_in else _first_admin(admin_email, admin_name, password)

    organisation = platform.create_organisation(admin, kind=Organisation.Kind.SUPPLIER, name=legal_name[:300], country=country)
    platform.grant_role(admin, admin, organisation, Role.SUPPLIER_ADMIN)
    access.forget(admin)
    try:
        with transaction.atomic():
            supplier = Supplier.objects.create(
                organisation=organisation,
                legal_name=legal_name[:300],
                country=country,
                registration_number=number,
                address=address.strip(),
                contact_email=contact_email.strip(),
                contact_phone=contact_phone.strip(),
                website=website.strip(),
                headcount=headcount,
                turnover_eur=turnover_eur,
                sme_class=sme_class_for(headcount, turnover_eur),
                size_declared_at=now,
                listed_in_directory=listed_in_directory,
                submitted_at=now,
            )
    except IntegrityError:  # the same firm registered a moment ago
        raise _duplicate() from None
    SupplierCategory.objects.bulk_create([SupplierCategory(supplier=supplier, code=code) for code in codes])
    audit.record(
        "supplier.registered",
        actor=admin,
        organisation=organisation,
        obj=supplier,
        payload={"legal_name": supplier.legal_name, "country": country, "registration_number": number, "sme_class": supplier.sme_class},
        now=now,
    )
    notify(
        registry_officers(),
        kind="supplier.applied",
        title=lambda: _("New supplier registration: %(name)s") % {"name": supplier.legal_name},
        url=supplier_url(supplier),
        email=False,
    )
    return supplier


@transaction.atomic
def update_supplier_profile(actor: User, supplier: Supplier, changes: dict, now: datetime | None = None) -> Supplier:
    """Contacts, directory listing, size and categories at any time; the legal identity only
    until the registry has verified it."""
    now = now or timezone.now()
    supplier = lock_supplier(supplier)
    changed: list[str] = []
    identity = {f: changes[f] for f in IDENTITY_FIELDS if f in changes and changes[f] != getattr(supplier, f)}
    if identity:
        if not supplier.identity_is_editable:
            raise Conflict(
                _("A verified firm's legal name, country and registration number are changed by the registry: ask a registry officer."),
                code="identity_locked",
                field=next(iter(identity)),
            )
        if "legal_name" in identity and not str(identity["legal_name"]).strip():
            raise ActionError(_("Enter the firm's legal name."), code="required", field="legal_name")
        country = _country(identity.get("country", supplier.country))
        number = _registration_number(country, identity.get("registration_number", supplier.registration_number), exclude_pk=supplier.pk)
        supplier.legal_name = str(identity.get("legal_name", supplier.legal_name)).strip()[:300]
        supplier.country, supplier.registration_number = country, number
        Organisation.objects.filter(pk=supplier.organisation_id).update(name=supplier.legal_name, country=country)
        changed += list(identity)
    for field in CONTACT_FIELDS:
        if field in changes and changes[field] != getattr(supplier, field):
            value = changes[field]
            setattr(supplier, field, value.strip() if isinstance(value, str) else value)
            changed.append(field)
    if any(f in changes for f in SIZE_FIELDS):
        headcount, turnover = _size(changes.get("headcount", supplier.headcount), changes.get("turnover_eur", supplier.turnover_eur))
        if (headcount, turnover) != (supplier.headcount, supplier.turnover_eur):
            supplier.headcount, supplier.turnover_eur = headcount, turnover
            supplier.sme_class, supplier.size_declared_at = sme_class_for(headcount, turnover), now
            changed += ["headcount", "turnover_eur"]
    if "categories" in changes:
        codes = _categories(changes["categories"])
        if codes != supplier.category_codes:
            supplier.categories.exclude(code__in=codes).delete()
            existing = set(supplier.categories.values_list("code", flat=True))
            SupplierCategory.objects.bulk_create([SupplierCategory(supplier=supplier, code=c) for c in codes if c not in existing])
            changed.append("categories")
    if not changed:
        return supplier
    try:
        with transaction.atomic():
            supplier.save()
    except IntegrityError:
        raise _duplicate() from None
    payload = {"fields": changed}
    if "headcount" in changed:
        payload |= {"headcount": supplier.headcount, "turnover_eur": supplier.turnover_eur, "sme_class": supplier.sme_class}
    audit.record("supplier.updated", actor=actor, organisation=supplier.organisation, obj=supplier, payload=payload, now=now)
    return supplier


@transaction.atomic
def add_category(actor: User, supplier: Supplier, code: str) -> SupplierCategory:
    supplier = lock_supplier(supplier)
    [code] = _categories([code])
    if supplier.categories.filter(code=code).exists():
        raise ActionError(_("Your firm already lists this category."), code="already_listed", field="code")
    if supplier.categories.count() >= MAX_CATEGORIES:
        raise ActionError(_("A firm lists at most %(n)s categories.") % {"n": MAX_CATEGORIES}, code="too_many", field="code")
    category = SupplierCategory.objects.create(supplier=supplier, code=code)
    audit.record("supplier.category_added", actor=actor, organisation=supplier.organisation, obj=supplier, payload={"code": code})
    return category


@transaction.atomic
def remove_category(actor: User, category: SupplierCategory) -> None:
    supplier = lock_supplier(category.supplier_id)
    deleted, _rows = SupplierCategory.objects.filter(pk=category.pk).delete()
    if deleted:
        audit.record(
            "supplier.category_removed", actor=actor, organisation=supplier.organisation, obj=supplier, payload={"code": category.code}
        )


@transaction.atomic
def resubmit_registration(actor: User, supplier: Supplier, now: datetime | None = None) -> Supplier:
    """The firm corrected what the registry returned and asks again for verification."""
    now = now or timezone.now()
    supplier = lock_supplier(supplier)
    if supplier.status != Supplier.Status.RETURNED:
        raise Conflict(_("Only a registration returned for correction can be resubmitted."), code="not_returned")
    supplier.resubmit()
    supplier.submitted_at = now
    supplier.save()
    audit.record("supplier.resubmitted", actor=actor, organisation=supplier.organisation, obj=supplier, now=now)
    notify(
        registry_officers(),
        kind="supplier.resubmitted",
        title=lambda: _("Supplier registration resubmitted: %(name)s") % {"name": supplier.legal_name},
        url=supplier_url(supplier),
        email=False,
    )
    return supplier
