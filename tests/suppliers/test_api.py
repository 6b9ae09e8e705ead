from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from suppliers.actions import debar_supplier
from suppliers.models import Follow, Licence, Supplier
from tests.factories import make_supplier_organisation
from tests.suppliers.factories import make_supplier, pdf_upload, real_pdf
from tests.suppliers.test_licences import executable

pytestmark = pytest.mark.django_db


@pytest.fixture
def api_as(api_client, token_for):
    def sign(user):
        api_client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(user)}")
        return api_client

    return sign


def test_the_firm_reads_its_profile(api_as, supplier_a, firm_a):
    body = api_as(supplier_a).get(f"/api/v1/suppliers/{firm_a.pk}/").json()
    assert body["legal_name"] == "Alpha Works Ltd" and body["status"] == "verified"
    assert body["categories"] == [{"code": "45000000", "name": "Construction work"}]


def test_admin_edits_contacts_size_and_categories(api_as, supplier_a, firm_a):
    changes = {"contact_phone": "+44 20 0000", "headcount": 300, "turnover_eur": "80000000.00", "categories": ["72000000-5", "45000000"]}
    response = api_as(supplier_a).patch(f"/api/v1/suppliers/{firm_a.pk}/", changes, format="json")
    body = response.json()
    assert response.status_code == 200 and body["sme_class"] == "large" and body["contact_phone"] == "+44 20 0000"
    assert [c["code"] for c in body["categories"]] == ["45000000", "72000000"]


def test_a_verified_firm_cannot_change_its_registration_number(api_as, supplier_a, firm_a):
    response = api_as(supplier_a).patch(f"/api/v1/suppliers/{firm_a.pk}/", {"registration_number": "OTHER123"}, format="json")
    assert response.status_code == 409 and response.json()["errors"][0]["field"] == "registration_number"
    assert Supplier.objects.get(pk=firm_a.pk).registration_number == firm_a.registration_number


def test_an_invalid_number_names_the_field(api_as, applied_firm):
    admin = applied_firm.organisation.memberships.get().user
    response = api_as(admin).patch(f"/api/v1/suppliers/{applied_firm.pk}/", {"country": "CN", "registration_number": "123"}, format="json")
    [error] = response.json()["errors"]
    assert response.status_code == 422 and error["field"] == "registration_number" and error["code"] == "invalid_registration_number"


def test_a_bidder_reads_but_cannot_edit(api_as, bidder_a, firm_a):
    client = api_as(bidder_a)
    assert client.get(f"/api/v1/suppliers/{firm_a.pk}/").status_code == 200
    response = client.patch(f"/api/v1/suppliers/{firm_a.pk}/", {"contact_phone": "1"}, format="json")
    assert response.status_code == 403 and Supplier.objects.get(pk=firm_a.pk).contact_phone == ""


def test_another_firm_gets_404(api_as, supplier_b, firm_a, firm_b):
    assert api_as(supplier_b).get(f"/api/v1/suppliers/{firm_a.pk}/").status_code == 404


def test_my_firms_and_the_registry_list(api_as, supplier_a, registry_officer, firm_a, firm_b, applied_firm):
    assert [s["legal_name"] for s in api_as(supplier_a).get("/api/v1/suppliers/").json()["results"]] == ["Alpha Works Ltd"]
    listed = api_as(registry_officer).get("/api/v1/suppliers/?status=applied").json()["results"]
    assert [s["legal_name"] for s in listed] == ["Gamma Applied Ltd"]


def test_admin_uploads_a_licence_over_the_api(api_as, supplier_a, firm_a, business_licence):
    form = {
        "licence_type": "business-licence",
        "number": "BL-1",
        "issuer": "Office",
        "valid_from": "2026-01-01",
        "valid_to": "2028-01-01",
        "file": pdf_upload(),
    }
    response = api_as(supplier_a).post(f"/api/v1/suppliers/{firm_a.pk}/licences/", form, format="multipart")
    assert response.status_code == 201 and response.json()["media_type"] == "application/pdf"
    file = api_as(supplier_a).get(response.json()["file_url"])
    assert file.status_code == 200 and b"".join(file.streaming_content) == real_pdf()


def test_a_renamed_executable_gets_422_over_the_api(api_as, supplier_a, firm_a, business_licence):
    upload = SimpleUploadedFile("licence.pdf", executable())
    form = {"licence_type": "business-licence", "number": "BL-1", "issuer": "Office", "valid_from": "2026-01-01", "file": upload}
    response = api_as(supplier_a).post(f"/api/v1/suppliers/{firm_a.pk}/licences/", form, format="multipart")
    assert response.status_code == 422 and response.json()["errors"][0] == {
        "field": "file",
        "code": "content_mismatch",
        "message": "This file is not a real PDF file: its content does not match its name.",
    }
    assert not Licence.objects.exists()


def test_an_oversized_file_gets_413(api_as, supplier_a, firm_a, business_licence, settings):
    settings.LICENCE_FILE_MAX_BYTES = 1000
    form = {"licence_type": "business-licence", "number": "BL-1", "issuer": "Office", "valid_from": "2026-01-01", "file": pdf_upload()}
    response = api_as(supplier_a).post(f"/api/v1/suppliers/{firm_a.pk}/licences/", form, format="multipart")
    assert response.status_code == 413 and response.json()["errors"][0]["code"] == "too_large"


def test_dates_out_of_order_get_422(api_as, supplier_a, firm_a, business_licence):
    form = {
        "licence_type": "business-licence",
        "number": "BL-1",
        "issuer": "O",
        "valid_from": "2026-02-01",
        "valid_to": "2026-01-31",
        "file": pdf_upload(),
    }
    response = api_as(supplier_a).post(f"/api/v1/suppliers/{firm_a.pk}/licences/", form, format="multipart")
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "valid_to"


def test_a_bidder_cannot_upload_or_delete_licences(api_as, bidder_a, supplier_a, firm_a, business_licence):
    from suppliers.actions import add_licence

    licence = add_licence(
        supplier_a,
        firm_a,
        licence_type=business_licence,
        number="1",
        issuer="O",
        valid_from=timezone.localdate(),
        valid_to=None,
        upload=pdf_upload(),
    )
    client = api_as(bidder_a)
    form = {"licence_type": "business-licence", "number": "BL-1", "issuer": "O", "valid_from": "2026-01-01", "file": pdf_upload()}
    assert client.post(f"/api/v1/suppliers/{firm_a.pk}/licences/", form, format="multipart").status_code == 403
    assert client.delete(f"/api/v1/suppliers/{firm_a.pk}/licences/{licence.pk}/").status_code == 403
    assert Licence.objects.count() == 1


def test_follows_over_the_api(api_as, bidder_a, firm_a, agency):
    client = api_as(bidder_a)
    created = client.post(f"/api/v1/suppliers/{firm_a.pk}/follows/", {"kind": "buyer", "buyer": agency.pk}, format="json")
    assert created.status_code == 201 and created.json()["description"] == "Ministry of Tests"
    assert [f["kind"] for f in client.get(f"/api/v1/suppliers/{firm_a.pk}/follows/").json()] == ["buyer"]
    assert client.delete(f"/api/v1/suppliers/{firm_a.pk}/follows/{created.json()['id']}/").status_code == 204
    assert not Follow.objects.exists()


def test_a_bad_follow_names_the_field(api_as, bidder_a, firm_a):
    response = api_as(bidder_a).post(f"/api/v1/suppliers/{firm_a.pk}/follows/", {"kind": "category", "category": "1"}, format="json")
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "category"


def test_public_directory_lists_verified_opted_in_firms_with_filters(api_client, firm_a, firm_b, applied_firm, supplier_org_b):
    hidden = make_supplier(make_supplier_organisation(name="Hidden Ltd"), listed_in_directory=False)
    names = [s["legal_name"] for s in api_client.get("/api/v1/suppliers/directory/").json()["results"]]
    assert names == ["Alpha Works Ltd", "Beta Supplies Ltd"] and hidden.legal_name not in names
    by_category = api_client.get("/api/v1/suppliers/directory/?category=45233000").json()["results"]
    assert [s["legal_name"] for s in by_category] == ["Alpha Works Ltd"] and set(by_category[0]) == {
        "id",
        "legal_name",
        "country",
        "size",
        "website",
        "categories",
    }


def test_public_directory_rejects_an_unknown_category(api_client, db):
    response = api_client.get("/api/v1/suppliers/directory/?category=99999999")
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "category"


def test_public_debarment_list(api_client, registry_officer, firm_a, firm_b):
    until = timezone.localdate() + timedelta(days=30)
    debar_supplier(registry_officer, firm_a, "Falsified documents", until)
    [entry] = api_client.get("/api/v1/suppliers/debarments/").json()["results"]
    assert (entry["legal_name"], entry["reason"], entry["restricted_until"]) == (
        "Alpha Works Ltd",
        "Falsified documents",
        until.isoformat(),
    )


def test_cpv_search_and_hierarchy(api_client, db):
    results = api_client.get("/api/v1/cpv/?q=asphalt").json()["results"]
    assert {"code": "44113620", "name": "Asphalt", "level": 6, "parent": "44113600"} in results
    detail = api_client.get("/api/v1/cpv/45233140/").json()
    assert [a["code"] for a in detail["ancestors"]] == ["45000000", "45200000", "45230000", "45233000", "45233100"]
    assert api_client.get("/api/v1/cpv/12345678/").status_code == 404


def test_licence_types_show_where_they_are_required(api_client, construction_permit):
    assert api_client.get("/api/v1/suppliers/licence-types/").json()["results"] == [
        {"code": "construction-permit", "name": "Construction permit", "description": "", "required_for": ["45000000"]}
    ]


def test_anonymous_gets_401_on_firm_endpoints(api_client, firm_a):
    assert api_client.get(f"/api/v1/suppliers/{firm_a.pk}/").status_code == 401


def test_schema_documents_the_registry(api_client, db):
    schema = api_client.get("/api/v1/schema/").content.decode()
    assert "/api/v1/suppliers/{id}/licences/" in schema and "/api/v1/cpv/" in schema


def test_licence_answers_conform_to_the_openapi_schema_with_an_absolute_file_url(api_as, supplier_a, firm_a, business_licence):
    from tests.openapi import assert_conforms

    form = {"licence_type": "business-licence", "number": "BL-1", "issuer": "Office", "valid_from": "2026-01-01", "file": pdf_upload()}
    created = api_as(supplier_a).post(f"/api/v1/suppliers/{firm_a.pk}/licences/", form, format="multipart")
    assert_conforms(created, "post")
    assert created.json()["file_url"].startswith("http://testserver/api/v1/suppliers/")
    assert_conforms(api_as(supplier_a).get(f"/api/v1/suppliers/{firm_a.pk}/licences/"))
    assert_conforms(api_as(supplier_a).get(f"/api/v1/suppliers/{firm_a.pk}/licences/{created.json()['id']}/"))
