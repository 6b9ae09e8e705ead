"""Demo people and organisations for `manage.py seed_demo`. Every call leaves the same result."""

import base64
import functools
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.db import transaction

from marketplace import actions
from marketplace.models import Membership, Organisation, Role, User

DEMO_PASSWORD = "tenderhall-demo"
# The demo's authenticator secret (base32, as apps take it), the same for every demo account that
# has an app: add it to any authenticator app once, or print the current code with
# `manage.py demo_otp <email>`. A real person's app gets a secret of its own at enrolment.
DEMO_TOTP_SECRET = "TENDERHALLDEMOTWOSTEPSIGNINKEY23"


@dataclass
class DemoWorld:
    organisations: dict[str, Organisation] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    logins: list[tuple[str, str, str]] = field(default_factory=list)  # (email, role, organisation)
    # Tenders a seeder published with their bids sealed to a deadline that another seeder waited
    # for, by the seeder that goes on with them: one wait for the clock serves several apps.
    sealed: dict[str, dict] = field(default_factory=dict)


ORGANISATIONS = [
    # key, kind, name, code, country
    ("platform", Organisation.Kind.PLATFORM, "Tenderhall Platform", "platform", "EU"),
    ("review", Organisation.Kind.REVIEW_BODY, "Public Procurement Review Board", "pprb", "EU"),
    ("agency", Organisation.Kind.AGENCY, "Ministry of Public Works", "mpw", "IE"),
    ("lotus", Organisation.Kind.SUPPLIER, "Lotus Engineering Ltd", "lotus", "IE"),
    ("harbour", Organisation.Kind.SUPPLIER, "Harbour Tech Co.", "harbour", "CN"),
    ("continental", Organisation.Kind.SUPPLIER, "Continental Build Group", "continental", "DE"),
]

PEOPLE = [
    # email, full name, organisation key, role
    ("registry@platform.example", "Rita Registry", "platform", Role.REGISTRY_OFFICER),
    ("auditor@platform.example", "Aldo Auditor", "platform", Role.AUDITOR),
    ("review@pprb.example", "Rosa Review", "review", Role.REVIEW_OFFICER),
    ("officer@mpw.example", "Oona Officer", "agency", Role.PROCUREMENT_OFFICER),
    ("evaluator@mpw.example", "Evan Evaluator", "agency", Role.EVALUATOR),
    ("finance@mpw.example", "Fiona Finance", "agency", Role.FINANCE_OFFICER),
    ("custodian1@mpw.example", "Cian Custodian", "agency", Role.CUSTODIAN),
    ("custodian2@mpw.example", "Cora Custodian", "agency", Role.CUSTODIAN),
    ("custodian3@mpw.example", "Colm Custodian", "agency", Role.CUSTODIAN),
    ("admin@lotus.example", "Liam Lotus", "lotus", Role.SUPPLIER_ADMIN),
    ("bidder@lotus.example", "Lena Lotus", "lotus", Role.BIDDER),
    ("admin@harbour.example", "Hui Harbour", "harbour", Role.SUPPLIER_ADMIN),
    ("bidder@harbour.example", "Hao Harbour", "harbour", Role.BIDDER),
    ("admin@continental.example", "Carl Continental", "continental", Role.SUPPLIER_ADMIN),
    ("bidder@continental.example", "Clara Continental", "continental", Role.BIDDER),
]

STAFF = ("staff@platform.example", "Sam Staff")


def enrol_second_factors(world: DemoWorld) -> None:
    """Every demo account that must pass a second factor (officers, staff), and the supplier
    administrators (who may), gets an authenticator app with the demo's secret. Run after the
    demo's other data, whose contracts its people signed with the password alone."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    for user in world.users.values():
        wanted = user.is_officer() or Membership.objects.filter(user=user, role=Role.SUPPLIER_ADMIN).exists()
        if wanted and not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
            TOTPDevice.objects.create(user=user, name="Authenticator app (demo)", confirmed=True, key=demo_totp_key())


def demo_totp_key() -> str:
    """The demo secret as django-otp stores a key (hex)."""
    return base64.b32decode(DEMO_TOTP_SECRET).hex()


@transaction.atomic
def seed_people() -> DemoWorld:
    world = DemoWorld()
    for key, kind, name, code, country in ORGANISATIONS:
        organisation = Organisation.objects.filter(code=code).first()
        if organisation is None:
            organisation = actions.create_organisation(None, kind=kind, name=name, code=code, country=country)
        world.organisations[key] = organisation
    for email, full_name, org_key, role in PEOPLE:
        user = _user(email, full_name)
        actions.grant_role(None, user, world.organisations[org_key], role)
        world.users[email] = user
        world.logins.append((email, Role(role).label, world.organisations[org_key].name))
    staff = _user(*STAFF, is_staff=True, is_superuser=True)
    world.users[staff.email] = staff
    world.logins.append((staff.email, "Platform staff (Django admin)", "—"))
    return world


@functools.cache
def _demo_password_hash() -> str:
    """The demo password hashed once: hashing it for each of the demo's people took most of a
    second apiece (the hasher's full work factor), for a password the README publishes anyway."""
    return make_password(DEMO_PASSWORD)


def _user(email: str, full_name: str, **flags) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email, None, full_name=full_name, **flags)
        user.password = _demo_password_hash()
        user.save(update_fields=["password"])
    return user
