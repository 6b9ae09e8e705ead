from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from marketplace.audit import verify_chain
from marketplace.models import AuditEvent
from suppliers.actions import debar_supplier
from suppliers.models import Follow, Licence, LicenceRequirement, LicenceType, Supplier
from tests.factories import make_supplier_organisation
from tests.suppliers.factories import make_supplier

pytestmark = pytest.mark.django_db


def names(response) -> list[str]:
    return [supplier.legal_name for supplier in response.context["page"].object_list]


@pytest.fixture
def queue_firms(db):
    with time_machine.travel("2026-03-01 10:00Z"):
        early = make_supplier(
            make_supplier_organisation(name="Early Ltd"), status="applied", country="CN", sme_class="micro", categories=["45233000"]
        )
    with time_machine.travel("2026-05-01 10:00Z"):
        late = make_supplier(
            make_supplier_organisation(name="Late GmbH"), status="applied", country="DE", sme_class="large", categories=["72000000"]
        )
    done = make_supplier(make_supplier_organisation(name="Done SA"), status="verified", country="FR")
    return early, late, done


def test_queue_shows_applications_oldest_first_by_default(as_user, registry_officer, queue_firms):
    assert names(as_user(registry_officer).get("/suppliers/registry/")) == ["Early Ltd", "Late GmbH"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=verified", ["Done SA"]),
        ("status=applied&country=DE", ["Late GmbH"]),
        ("status=&size=micro", ["Early Ltd"]),
        ("status=&category=45000000", ["Early Ltd"]),
        ("status=&submitted_after=2026-04-01", ["Late GmbH", "Done SA"]),
        ("status=&submitted_before=2026-03-01", ["Early Ltd"]),
        ("status=&q=gmbh", ["Late GmbH"]),
    ],
)
def test_queue_filters(as_user, registry_officer, queue_firms, query, expected):
    assert names(as_user(registry_officer).get(f"/suppliers/registry/?{query}")) == expected


def test_queue_refuses_an_unknown_category_beside_the_filter(as_user, registry_officer, queue_firms):
    response = as_user(registry_officer).get("/suppliers/registry/?category=12345678")
    assert names(response) == [] and "12345678 is not a CPV 2008 code." in response.text


def test_directory_shows_verified_listed_firms_with_size_and_categories(client, firm_a, firm_b, applied_firm):
    Supplier.objects.filter(pk=firm_b.pk).update(listed_in_directory=False)
    response = client.get("/suppliers/directory/")
    assert names(response) == ["Alpha Works Ltd"] and "Small enterprise" in response.text and "45000000 Construction work" in response.text


def test_directory_filters_by_country(client, firm_a, supplier_org_b):
    make_supplier(supplier_org_b, legal_name="Beta", country="CN")
    assert names(client.get("/suppliers/directory/?country=CN")) == ["Beta"]


def test_debarment_list_shows_reason_and_period_until_the_last_day(client, registry_officer, firm_a):
    last_day = timezone.localdate() + timedelta(days=10)
    debar_supplier(registry_officer, firm_a, "Collusive tendering", last_day)
    response = client.get("/suppliers/debarments/")
    assert names(response) == ["Alpha Works Ltd"] and "Collusive tendering" in response.text
    with time_machine.travel(timezone.now() + timedelta(days=11)):
        assert names(client.get("/suppliers/debarments/")) == []


def test_categories_page_searches_and_browses_the_hierarchy(client, db):
    assert "45233100" in client.get("/suppliers/categories/?q=road construction").text
    response = client.get("/suppliers/categories/?code=45233100")
    assert "Construction work for highways, roads" in response.text and "45233140" in response.text
    assert client.get("/suppliers/categories/?code=99999999").status_code == 404


def test_admin_adds_and_removes_categories(as_user, supplier_a, firm_a):
    client = as_user(supplier_a)
    assert "Roadworks" in client.get(f"/suppliers/{firm_a.pk}/categories/?q=roadworks").text
    client.post(f"/suppliers/{firm_a.pk}/categories/", {"code": "45233140-2"})
    assert Supplier.objects.get(pk=firm_a.pk).category_codes == ["45000000", "45233140"]
    category = firm_a.categories.get(code="45000000")
    client.post(f"/suppliers/{firm_a.pk}/categories/{category.pk}/remove/")
    assert Supplier.objects.get(pk=firm_a.pk).category_codes == ["45233140"]


def test_size_is_declared_again_when_it_changes(as_user, supplier_a, firm_a):
    from tests.suppliers.test_verification import edit_form

    with time_machine.travel("2027-02-01 09:00Z", tick=False):
        as_user(supplier_a).post(f"/suppliers/{firm_a.pk}/edit/", edit_form(firm_a, headcount=60, turnover_eur="9000000"))
    firm_a.refresh_from_db()
    assert firm_a.sme_class == "medium" and firm_a.size_declared_at.isoformat() == "2027-02-01T09:00:00+00:00"
    assert AuditEvent.objects.get(action="supplier.updated").payload["sme_class"] == "medium"


def test_a_verified_firm_keeps_its_legal_identity(as_user, supplier_a, firm_a):
    from tests.suppliers.test_verification import edit_form

    response = as_user(supplier_a).post(f"/suppliers/{firm_a.pk}/edit/", edit_form(firm_a, legal_name="Renamed Ltd", address="New address"))
    firm_a.refresh_from_db()
    assert response.status_code == 302 and firm_a.legal_name == "Alpha Works Ltd" and firm_a.address == "New address"


def test_an_applied_firm_corrects_its_registration_number(as_user, applied_firm):
    from tests.suppliers.test_verification import edit_form

    admin = applied_firm.organisation.memberships.get().user
    as_user(admin).post(
        f"/suppliers/{applied_firm.pk}/edit/", edit_form(applied_firm, country="CN", registration_number="91110000600037341L")
    )
    applied_firm.refresh_from_db()
    assert (applied_firm.country, applied_firm.registration_number) == ("CN", "91110000600037341L")


def test_my_firm_leads_to_the_firm_or_to_registration(as_user, supplier_a, firm_a, outsider):
    assert as_user(supplier_a).get("/suppliers/mine/").url == f"/suppliers/{firm_a.pk}/"
    assert as_user(outsider).get("/suppliers/mine/").url == "/suppliers/register/"


def test_navigation_by_role(as_user, client, registry_officer, supplier_a, firm_a):
    assert "/suppliers/registry/" in as_user(registry_officer).get("/").text
    page = as_user(supplier_a).get("/").text
    assert "/suppliers/mine/" in page and "/suppliers/registry/" not in page


def test_registry_officer_manages_licence_types_and_requirements(as_user, registry_officer):
    client = as_user(registry_officer)
    client.post("/suppliers/registry/licence-types/", {"type-name": "Electrical contractor licence"})
    licence_type = LicenceType.objects.get()
    client.post("/suppliers/registry/licence-types/", {"requirement-licence_type": licence_type.pk, "requirement-category": "45310000"})
    requirement = LicenceRequirement.objects.get()
    assert (licence_type.code, requirement.category) == ("electrical-contractor-licence", "45310000")
    response = client.post("/suppliers/registry/licence-types/", {"requirement-licence_type": licence_type.pk, "requirement-category": "1"})
    assert response.status_code == 422 and "1 is not a CPV 2008 code." in response.text
    client.post(f"/suppliers/registry/requirements/{requirement.pk}/remove/")
    assert not LicenceRequirement.objects.exists()


def test_chinese_pages(client, db):
    response = client.get("/suppliers/directory/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "供应商名录" in response.text


def test_demo_data_registers_and_verifies_the_three_firms(capsys):
    call_command("seed_demo")
    call_command("seed_demo")
    firms = {s.organisation.code: s for s in Supplier.objects.select_related("organisation")}
    assert {code: (s.status, s.sme_class) for code, s in firms.items()} == {
        "lotus": ("verified", "small"),
        "harbour": ("verified", "small"),
        "continental": ("verified", "large"),
    }
    assert LicenceRequirement.objects.get().category == "45000000" and Licence.objects.count() == 10
    assert Follow.objects.count() == 6 and verify_chain().ok
    assert all(licence.file.read(5) == b"%PDF-" for licence in Licence.objects.all())
