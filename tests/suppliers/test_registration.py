import pytest
from django.core import mail

from marketplace.models import AuditEvent, Membership, Notification, Organisation, Role, User
from suppliers.models import Supplier

pytestmark = pytest.mark.django_db


def form(**overrides) -> dict:
    data = {
        "legal_name": "Delta Bridges Ltd",
        "country": "IE",
        "registration_number": "IE 6388047V",
        "address": "1 Pier Road, Cork",
        "contact_email": "office@delta.test",
        "contact_phone": "+353 21 000 0000",
        "website": "https://delta.test",
        "headcount": "8",
        "turnover_eur": "1200000",
        "categories": "45221100-3 71300000",
        "listed_in_directory": "on",
        "admin_name": "Dana Delta",
        "admin_email": "Dana@Delta.test",
        "password": "a-long-unusual-passphrase",
    }
    return data | overrides


def test_registration_creates_admin_organisation_membership_and_application(client, registry_officer):
    response = client.post("/suppliers/register/", form())
    supplier = Supplier.objects.get()
    assert response.status_code == 302 and response.url == f"/suppliers/{supplier.pk}/"
    admin = User.objects.get(email="dana@delta.test")
    assert supplier.organisation.kind == Organisation.Kind.SUPPLIER and supplier.organisation.name == "Delta Bridges Ltd"
    assert Membership.objects.filter(user=admin, organisation=supplier.organisation, role=Role.SUPPLIER_ADMIN).exists()
    assert supplier.status == Supplier.Status.APPLIED and supplier.registration_number == "IE6388047V"
    assert supplier.category_codes == ["45221100", "71300000"]
    assert Notification.objects.filter(user=registry_officer, kind="supplier.applied").exists()


def test_registration_signs_the_new_admin_in(client, db):
    client.post("/suppliers/register/", form())
    response = client.get("/suppliers/mine/", follow=True)
    assert "Delta Bridges Ltd" in response.text and "Waiting for a registry officer" in response.text


def test_registration_is_audited(client, db):
    client.post("/suppliers/register/", form())
    event = AuditEvent.objects.get(action="supplier.registered")
    assert event.payload["registration_number"] == "IE6388047V" and event.payload["sme_class"] == "micro"


def test_signed_in_user_registers_a_firm_as_its_first_admin(as_user, outsider):
    response = as_user(outsider).post("/suppliers/register/", form(admin_email="", admin_name="", password=""))
    supplier = Supplier.objects.get()
    assert response.status_code == 302
    assert Membership.objects.get(organisation=supplier.organisation).user == outsider


@pytest.mark.parametrize(
    ("country", "number", "message"),
    [
        ("CN", "911100007109288171", "wrong check digit"),
        ("US", "12-34", "not a valid Employer Identification Number"),
        ("DE", "IE6388047V", "belongs to another country"),
        ("IE", "IE1234567X", "not a valid EU VAT identification number"),
    ],
)
def test_invalid_registration_numbers_are_refused_beside_the_field(client, db, country, number, message):
    response = client.post("/suppliers/register/", form(country=country, registration_number=number))
    assert response.status_code == 422 and message in response.text
    assert not Supplier.objects.exists() and not User.objects.exists() and not Organisation.objects.exists()


@pytest.mark.parametrize(
    ("country", "number", "stored"), [("CN", "91110000600037341L", "91110000600037341L"), ("US", "04-2103594", "042103594")]
)
def test_valid_numbers_of_known_schemes_are_stored_compact(client, db, country, number, stored):
    client.post("/suppliers/register/", form(country=country, registration_number=number))
    assert Supplier.objects.get().registration_number == stored


def test_a_country_without_a_known_scheme_accepts_its_own_format(client, db):
    client.post("/suppliers/register/", form(country="BR", registration_number="12.345.678/0001-95"))
    assert Supplier.objects.get().registration_number == "12345678000195"


def test_second_registration_of_the_same_firm_says_how_to_join_it(client, db):
    client.post("/suppliers/register/", form())
    client.logout()
    response = client.post("/suppliers/register/", form(admin_email="other@delta.test", registration_number="6388047V"))
    assert response.status_code == 409
    assert "already registered" in response.text and "ask one of its administrators to invite you" in response.text
    assert Supplier.objects.count() == 1 and not User.objects.filter(email="other@delta.test").exists()


def test_the_same_number_in_another_country_is_another_firm(client, db):
    client.post("/suppliers/register/", form(country="BR", registration_number="ABC123"))
    client.logout()
    response = client.post("/suppliers/register/", form(country="AR", registration_number="ABC123", admin_email="x@y.test"))
    assert response.status_code == 302 and Supplier.objects.count() == 2


def test_an_existing_account_must_sign_in_first(client, outsider):
    response = client.post("/suppliers/register/", form(admin_email="outsider@example.test"))
    assert response.status_code == 422 and "sign in with it, then register the firm" in response.text
    assert not Supplier.objects.exists()


def test_weak_password_is_refused_beside_the_field(client, db):
    response = client.post("/suppliers/register/", form(password="12345"))
    assert response.status_code == 422 and "too short" in response.text
    assert not User.objects.exists()


def test_unknown_category_is_refused(client, db):
    response = client.post("/suppliers/register/", form(categories="45000000 99999999"))
    assert response.status_code == 400 and "Not CPV 2008 codes: 99999999" in response.text
    assert not Supplier.objects.exists()


def test_missing_fields_are_named(client, db):
    response = client.post("/suppliers/register/", {})
    assert response.status_code == 400 and response.text.count("This field is required.") >= 8
    assert mail.outbox == []
