from io import BytesIO

import pytest
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from django.utils import timezone
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from contracts import certificates, signatures
from marketplace.errors import Conflict
from tests.contracts.factories import detached_signature, foreign_certificate


@pytest.fixture
def signed_by_both(english_pdf, supplier_a, supplier_org_a, officer, agency) -> bytes:
    """The supplier's administrator signs first, then the buyer's officer over that."""
    now = timezone.now()
    supplier_cert = certificates.signatory_certificate(supplier_a, supplier_org_a, now=now, country="IE", registration_number="8Z49289F")
    buyer_cert = certificates.signatory_certificate(officer, agency, now=now)
    once = signatures.sign_pdf(english_pdf.pdf, supplier_cert, field_name="Supplier", now=now, reason="Contract signed by the supplier")
    return signatures.sign_pdf(once, buyer_cert, field_name="Buyer", now=now, reason="Contract signed by the buyer")


def published_root(client) -> asn1_x509.Certificate:
    pem = client.get("/api/v1/certificates/root.pem").content
    return asn1_x509.Certificate.load(x509.load_pem_x509_certificate(pem).public_bytes(serialization.Encoding.DER))


def test_pyhanko_validates_both_signatures_against_the_published_root(signed_by_both, english_pdf, public):
    context = ValidationContext(trust_roots=[published_root(public)], allow_fetching=False)
    supplier, buyer = PdfFileReader(BytesIO(signed_by_both)).embedded_signatures
    assert [supplier.field_name, buyer.field_name] == ["Supplier", "Buyer"]
    first, second = validate_pdf_signature(supplier, context), validate_pdf_signature(buyer, context)
    assert first.bottom_line and second.bottom_line
    assert second.coverage == SignatureCoverageLevel.ENTIRE_FILE
    assert buyer.byte_range[0] == 0 and buyer.byte_range[2] + buyer.byte_range[3] == len(signed_by_both)
    # The supplier's signature covers its whole revision (the document as rendered, plus the
    # signature itself); what follows it is the buyer's signature and nothing else.
    assert first.coverage == SignatureCoverageLevel.ENTIRE_REVISION
    assert first.modification_level == ModificationLevel.FORM_FILLING
    assert signed_by_both.startswith(english_pdf.pdf)


def test_verification_says_who_signed_when_and_over_which_bytes(signed_by_both):
    result = signatures.verify_pdf(signed_by_both)
    assert result.all_valid
    supplier, buyer = result.signatures
    assert (supplier.signer.name, supplier.signer.email, supplier.signer.organisation) == ("Admin", "admin@alpha.test", "Alpha Works Ltd")
    assert supplier.signer.organisation_identifier == "NTRIE-8Z49289F"
    assert (buyer.signer.email, buyer.signer.organisation) == ("officer@mot.test", "Ministry of Tests")
    assert (supplier.coverage, supplier.changes_after) == ("entire_revision", "signatures")
    assert (buyer.coverage, buyer.changes_after, buyer.signed_bytes) == ("entire_file", "none", len(signed_by_both))
    assert supplier.signed_at <= buyer.signed_at <= timezone.now()
    assert supplier.trusted and supplier.intact and not supplier.problems


def test_one_changed_byte_breaks_the_signatures(signed_by_both):
    position = signed_by_both.index(b"stream", 2000) + 20  # inside a page's content, under both signatures
    tampered = bytearray(signed_by_both)
    tampered[position] ^= 0x01
    result = signatures.verify_pdf(bytes(tampered))
    assert [check.valid for check in result.signatures] == [False, False]
    assert not any(check.intact for check in result.signatures)
    assert "The signed bytes were changed after signing." in result.signatures[0].problems


def test_content_appended_after_the_signatures_is_reported(signed_by_both):
    writer = IncrementalPdfFileWriter(BytesIO(signed_by_both))
    writer.root["/Lang"] = writer.root["/Lang"].__class__("fr")
    writer.update_root()
    changed = BytesIO()
    writer.write(changed)
    result = signatures.verify_pdf(changed.getvalue())
    assert all(check.intact for check in result.signatures)
    assert not any(check.valid for check in result.signatures)
    assert {check.changes_after for check in result.signatures} == {"other"}


def test_signature_by_a_certificate_from_elsewhere_is_untrusted(english_pdf):
    certificate, key, root = foreign_certificate()
    der = serialization.Encoding.DER
    signer = signers.SimpleSigner(
        signing_cert=asn1_x509.Certificate.load(certificate.public_bytes(der)),
        signing_key=asn1_keys.PrivateKeyInfo.load(key.private_bytes(der, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())),
        cert_registry=SimpleCertificateStore.from_certs([asn1_x509.Certificate.load(root.public_bytes(der))]),
    )
    meta = signers.PdfSignatureMetadata(field_name="Supplier", subfilter=fields.SigSeedSubFilter.PADES, md_algorithm="sha256")
    forged = signers.sign_pdf(IncrementalPdfFileWriter(BytesIO(english_pdf.pdf)), meta, signer=signer).getvalue()
    (check,) = signatures.verify_pdf(forged).signatures
    assert (check.intact, check.trusted, check.valid) == (True, False, False)
    assert check.signer.name == "Mallory"
    assert "The certificate does not chain to the platform's root certificate." in check.problems


def test_unsigned_document_has_no_valid_signature(english_pdf):
    result = signatures.verify_pdf(english_pdf.pdf)
    assert (result.signatures, result.all_valid, result.sha256) == ((), False, english_pdf.sha256)


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"", "not_a_pdf"),
        (b"GIF89a\x01\x00", "not_a_pdf"),
        (b"%PDF-1.7\n" + bytes(range(256)) * 10, "unreadable_pdf"),
        (b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF", "unreadable_pdf"),
    ],
)
def test_what_is_not_a_readable_pdf_is_refused_cleanly(content, code):
    with pytest.raises(signatures.UnreadablePdf) as refused:
        signatures.verify_pdf(content)
    assert refused.value.problems[0].code == code


def test_truncated_signed_pdf_is_refused_or_invalid(signed_by_both):
    try:
        result = signatures.verify_pdf(signed_by_both[: len(signed_by_both) // 2])
    except signatures.UnreadablePdf:
        return
    assert not result.all_valid


def test_detached_signature_over_the_pdf_is_checked_for_integrity_only(signed_by_both):
    check = signatures.verify_detached(signed_by_both, detached_signature(signed_by_both))
    assert (check.intact, check.trust, check.problems) == (True, "not_checked", ())
    assert check.signer.name == "Alpha's own signatory"


def test_detached_signature_over_other_bytes_is_not_intact(signed_by_both):
    check = signatures.verify_detached(signed_by_both + b"\n", detached_signature(signed_by_both))
    assert not check.intact


def test_what_is_not_a_detached_signature_is_refused(signed_by_both):
    with pytest.raises(signatures.UnreadablePdf) as refused:
        signatures.verify_detached(signed_by_both, b"not a signature")
    assert refused.value.problems[0].code == "not_a_signature"


def test_signing_twice_in_the_same_field_is_refused(signed_by_both, officer, agency):
    certificate = certificates.signatory_certificate(officer, agency, now=timezone.now())
    with pytest.raises(Conflict) as refused:
        signatures.sign_pdf(signed_by_both, certificate, field_name="Buyer", now=timezone.now())
    assert refused.value.problems[0].code == "already_signed"


def test_superseded_certificate_does_not_sign(english_pdf, supplier_a, supplier_org_a):
    old = certificates.signatory_certificate(supplier_a, supplier_org_a, now=timezone.now())
    supplier_a.full_name = "Alice Renamed"
    supplier_a.save()
    certificates.signatory_certificate(supplier_a, supplier_org_a, now=timezone.now())
    old.refresh_from_db()
    with pytest.raises(Conflict) as refused:
        signatures.sign_pdf(english_pdf.pdf, old, field_name="Supplier", now=timezone.now())
    assert refused.value.problems[0].code == "certificate_not_valid"


def test_signing_what_is_not_a_pdf_is_refused(supplier_a, supplier_org_a):
    certificate = certificates.signatory_certificate(supplier_a, supplier_org_a, now=timezone.now())
    with pytest.raises(signatures.UnreadablePdf):
        signatures.sign_pdf(b"%PDF-1.7 nothing else", certificate, field_name="Supplier", now=timezone.now())


def test_key_under_a_lost_kek_is_a_clear_refusal(settings, english_pdf, supplier_a, supplier_org_a):
    certificate = certificates.signatory_certificate(supplier_a, supplier_org_a, now=timezone.now())
    settings.SIGNATORY_KEK = b"\x09" * 32
    with pytest.raises(Conflict, match="SIGNATORY_KEK"):
        signatures.sign_pdf(english_pdf.pdf, certificate, field_name="Supplier", now=timezone.now())
