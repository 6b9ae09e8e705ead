import pytest

from marketplace.models import Role
from suppliers.models import LicenceRequirement, LicenceType, Supplier
from tests import factories
from tests.suppliers.factories import make_supplier


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Uploaded files go to a fresh folder for each test."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def mail_in_memory(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def firm_a(supplier_org_a, supplier_a, bidder_a) -> Supplier:
    """Supplier A, verified, with its admin and bidder."""
    return make_supplier(supplier_org_a, legal_name="Alpha Works Ltd", categories=["45000000"])


@pytest.fixture
def firm_b(supplier_org_b, supplier_b) -> Supplier:
    return make_supplier(supplier_org_b, legal_name="Beta Supplies Ltd", categories=["72000000"])


@pytest.fixture
def applied_firm(db) -> Supplier:
    organisation = factories.make_supplier_organisation(name="Gamma Applied Ltd", code="gamma")
    factories.make_member(organisation, Role.SUPPLIER_ADMIN, "admin@gamma.test")
    return make_supplier(organisation, status=Supplier.Status.APPLIED)


@pytest.fixture
def business_licence(db) -> LicenceType:
    return LicenceType.objects.create(code="business-licence", name="Business licence")


@pytest.fixture
def construction_permit(db) -> LicenceType:
    permit = LicenceType.objects.create(code="construction-permit", name="Construction permit")
    LicenceRequirement.objects.create(licence_type=permit, category="45000000")
    return permit


@pytest.fixture
def api_as(api_client, token_for):
    """`api_as(user)` returns the API client authenticated with the user's token."""

    def authenticate(user):
        api_client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(user)}")
        return api_client

    return authenticate
