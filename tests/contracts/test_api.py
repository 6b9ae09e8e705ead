import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone

from contracts import certificates, signatures
from tests.contracts.factories import detached_signature

VERIFY = "/api/v1/contracts/verify"


def upload(content: bytes, name: str = "contract.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


@pytest.fixture
def signed(english_pdf, supplier_a, supplier_org_a) -> bytes:
    certificate = certificates.signatory_certificate(supplier_a, supplier_org_a, now=timezone.now())
    return signatures.sign_pdf(english_pdf.pdf, certificate, field_name="Supplier", now=timezone.now())


@pytest.mark.parametrize("persona", ["public", "outsider", "supplier_b", "officer"])
def test_anyone_may_verify_a_signed_contract(persona, request, as_user, public, signed):
    client = public if persona == "public" else as_user(request.getfixturevalue(persona))
    response = client.post(VERIFY, {"document": upload(signed)})
    assert response.status_code == 200
    body = response.json()
    assert body["valid"] is True
    (signature,) = body["signatures"]
    assert signature["signer"]["organisation"] == "Alpha Works Ltd"
    assert (signature["coverage"], signature["signed_bytes"], body["size"]) == ("entire_file", len(signed), len(signed))


@pytest.mark.parametrize("persona", ["public", "supplier_a"])
def test_root_certificate_is_public(persona, request, as_user, public):
    client = public if persona == "public" else as_user(request.getfixturevalue(persona))
    assert client.get("/api/v1/certificates/root.pem").status_code == 200


def test_root_certificate_is_served_whatever_the_client_accepts(public):
    assert public.get("/api/v1/certificates/root.pem", HTTP_ACCEPT="application/json").content.startswith(b"-----BEGIN CERTIFICATE-----")


@pytest.mark.parametrize(
    ("content", "code"),
    [(b"just some text", "not_a_pdf"), (b"%PDF-1.7\n" + b"\x00\xff" * 500, "unreadable_pdf")],
)
def test_what_is_not_a_pdf_gets_a_clear_error(public, content, code, db):
    response = public.post(VERIFY, {"document": upload(content)})
    assert response.status_code == 422
    assert response.json() == {"errors": [{"field": "document", "code": code, "message": response.json()["errors"][0]["message"]}]}


def test_verification_without_a_file_is_malformed(public, db):
    response = public.post(VERIFY, {})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "document"


def test_oversized_document_is_refused(settings, public, db):
    settings.CONTRACT_DOCUMENT_MAX_BYTES = 1024 * 1024
    response = public.post(VERIFY, {"document": upload(b"%PDF-1.7\n" + b"0" * (1024 * 1024))})
    assert response.status_code == 413


def test_detached_signature_is_reported_as_not_checked_against_a_trust_list(public, signed):
    response = public.post(VERIFY, {"document": upload(signed), "signature": upload(detached_signature(signed), "contract.p7s")})
    detached = response.json()["detached"]
    assert (detached["intact"], detached["trust"]) == (True, "not_checked")


def test_verify_endpoint_is_in_the_api_schema(public, db):
    assert "/api/v1/contracts/verify" in public.get("/api/v1/schema/").content.decode()


def test_verify_contract_command_names_the_signers(signed, tmp_path):
    path = tmp_path / "contract.pdf"
    path.write_bytes(signed)
    out = io.StringIO()
    call_command("verify_contract", str(path), stdout=out)
    assert "Supplier: VALID — Admin <admin@alpha.test>, Alpha Works Ltd" in out.getvalue()
