"""Small factories for tests. Each returns a saved object built through the real actions."""

import itertools
import time
from decimal import Decimal

from django.utils import timezone

from marketplace import actions
from marketplace.models import Organisation, Role, User
from suppliers.models import Supplier, SupplierCategory

_counter = itertools.count(1)
PASSWORD = "correct-horse-battery"


def make_user(email: str | None = None, **extra) -> User:
    email = email or f"person{next(_counter)}@example.test"
    extra.setdefault("full_name", email.split("@")[0].title())
    return User.objects.create_user(email, PASSWORD, **extra)


def make_organisation(kind: str = Organisation.Kind.AGENCY, name: str | None = None, code: str | None = None, **extra) -> Organisation:
    n = next(_counter)
    return actions.create_organisation(None, kind=kind, name=name or f"{kind.title()} {n}", code=code or f"{kind[:3]}{n}", **extra)


def make_member(organisation: Organisation, role: str, email: str | None = None) -> User:
    user = make_user(email)
    actions.grant_role(None, user, organisation, role)
    return user


OPENING_PASSPHRASE = "custodian opening passphrase"


def make_custodian(agency: Organisation, email: str | None = None) -> User:
    """An opening custodian of the agency who has set an opening passphrase."""
    from bidding.actions import set_opening_passphrase

    user = make_member(agency, Role.CUSTODIAN, email)
    set_opening_passphrase(user, OPENING_PASSPHRASE)
    return user


def make_supplier(organisation, status: str = Supplier.Status.VERIFIED, categories=(), **fields) -> Supplier:
    """A registry record for an existing supplier organisation, put in `status` directly."""
    n = next(_counter)
    defaults = {
        "legal_name": organisation.name,
        "country": "NZ",
        "registration_number": f"TEST{n:06d}",
        "address": f"{n} Test Street",
        "contact_email": f"firm{n}@example.test",
        "headcount": 12,
        "turnover_eur": Decimal("1500000"),
        "sme_class": "small",
        "size_declared_at": timezone.now(),
        "listed_in_directory": True,
    }
    supplier = Supplier.objects.create(organisation=organisation, **(defaults | fields))
    Supplier.objects.filter(pk=supplier.pk).update(status=status)
    SupplierCategory.objects.bulk_create([SupplierCategory(supplier=supplier, code=code) for code in categories])
    supplier.refresh_from_db()
    return supplier


def make_agency(**extra) -> Organisation:
    return make_organisation(Organisation.Kind.AGENCY, **extra)


def make_supplier_organisation(**extra) -> Organisation:
    return make_organisation(Organisation.Kind.SUPPLIER, **extra)


__all__ = [
    "OPENING_PASSPHRASE",
    "PASSWORD",
    "Role",
    "make_agency",
    "make_custodian",
    "make_member",
    "make_organisation",
    "make_supplier_organisation",
    "make_user",
]


def accept_licence(licence):
    """The registry's look at an uploaded licence, by a registry officer of the platform."""
    from suppliers.actions import check_licence

    platform = Organisation.objects.filter(kind=Organisation.Kind.PLATFORM).first() or make_organisation(
        Organisation.Kind.PLATFORM, name="Platform", code="platform"
    )
    officer = User.objects.filter(email="licence-check@platform.test").first() or make_member(
        platform, Role.REGISTRY_OFFICER, "licence-check@platform.test"
    )
    return check_licence(officer, licence, accept=True)


def force_login_device(user: User):
    """The device `client.force_login` marks the session verified with (tests/conftest.py): a
    recovery-code container holding no code, so it passes the sign-in step for the suite's
    personas without giving them an authenticator app (steps that sign ask no code of them)."""
    from django_otp.plugins.otp_static.models import StaticDevice

    return StaticDevice.objects.get_or_create(user=user, name="Signed in by the test suite", defaults={"confirmed": True})[0]


def make_authenticator(user: User, key: str | None = None):
    """A confirmed authenticator app (TOTP) for `user`; its codes come from `current_code`."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    fields = {"key": key} if key else {}
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True, **fields)


def current_code(device, offset_steps: int = 0) -> str:
    """The code the person's app shows now (time moves with time-machine), computed as the app does."""
    from django_otp.oath import totp

    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift + offset_steps):0{device.digits}d}"


def pass_second_step(client, user) -> None:
    """After the password, the code step through its page, for whoever must pass it; an app is
    made for a person who has none. A code passes once, so a second sign-in in the same 30 s
    uses the next code (which the platform accepts, one step either way)."""
    from marketplace import twofactor

    if not twofactor.must_verify(user):
        return
    device = twofactor.authenticator_of(user) or make_authenticator(user)
    now_step = int(time.time() - device.t0) // device.step + device.drift
    response = client.post("/accounts/two-factor/verify/", {"code": current_code(device, max(0, device.last_t - now_step + 1))})
    assert response.status_code == 302, response.content.decode()
