from datetime import timedelta

import pytest
import time_machine
from cryptography import x509
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.db import connection
from django.utils import timezone

from contracts import authority, certificates
from contracts.models import SignatoryCertificate
from marketplace.models import AuditEvent


def issue(user, organisation, **registry):
    return certificates.signatory_certificate(user, organisation, now=timezone.now(), **registry)


def names(certificate: x509.Certificate, oid) -> list[str]:
    return [a.value for a in certificate.subject.get_attributes_for_oid(oid)]


def test_certificate_names_the_person_and_the_organisation(supplier_a, supplier_org_a):
    row = issue(supplier_a, supplier_org_a, country="ie", registration_number="8Z49289F")
    certificate = certificates.certificate_of(row)
    assert names(certificate, NameOID.COMMON_NAME) == [supplier_a.full_name]
    assert names(certificate, NameOID.EMAIL_ADDRESS) == ["admin@alpha.test"]
    assert names(certificate, NameOID.ORGANIZATION_NAME) == ["Alpha Works Ltd"]
    assert names(certificate, NameOID.COUNTRY_NAME) == ["IE"]
    assert names(certificate, NameOID.ORGANIZATION_IDENTIFIER) == ["NTRIE-8Z49289F"]
    assert certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(x509.RFC822Name) == [
        "admin@alpha.test"
    ]


def test_certificate_chains_to_the_platform_root_for_signing_only(officer, agency):
    certificate = certificates.certificate_of(issue(officer, agency))
    root = authority.root_certificate()
    certificate.verify_directly_issued_by(root)
    assert certificate.issuer == root.subject
    assert certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment and not usage.key_cert_sign
    assert ExtendedKeyUsageOID.EMAIL_PROTECTION in certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value


def test_certificate_is_issued_on_first_need_only(supplier_a, supplier_org_a):
    first = issue(supplier_a, supplier_org_a)
    assert issue(supplier_a, supplier_org_a) == first
    assert SignatoryCertificate.objects.count() == 1
    event = AuditEvent.objects.get(action="certificate.issued")
    assert (event.object_id, event.payload["serial"], event.payload["replaces"]) == (str(first.pk), first.serial, None)


def test_a_person_signing_for_two_firms_has_a_certificate_for_each(supplier_a, supplier_org_a, supplier_org_b):
    a, b = issue(supplier_a, supplier_org_a), issue(supplier_a, supplier_org_b)
    assert a != b
    assert names(certificates.certificate_of(b), NameOID.ORGANIZATION_NAME) == ["Beta Supplies Ltd"]


def test_renamed_person_gets_a_new_certificate_naming_them(supplier_a, supplier_org_a):
    old = issue(supplier_a, supplier_org_a)
    supplier_a.full_name = "Alice Renamed"
    supplier_a.save()
    new = issue(supplier_a, supplier_org_a)
    assert new != old
    assert names(certificates.certificate_of(new), NameOID.COMMON_NAME) == ["Alice Renamed"]
    old.refresh_from_db()
    assert old.superseded_at is not None
    assert AuditEvent.objects.filter(action="certificate.issued").last().payload["replaces"] == old.serial


def test_certificate_about_to_expire_is_replaced(settings, supplier_a, supplier_org_a):
    settings.SIGNATORY_CERTIFICATE_DAYS = 30
    old = issue(supplier_a, supplier_org_a)
    with time_machine.travel(old.not_after - timedelta(days=1, seconds=1)):
        assert issue(supplier_a, supplier_org_a) == old
    with time_machine.travel(old.not_after - timedelta(days=1) + timedelta(seconds=1)):
        assert issue(supplier_a, supplier_org_a) != old


def _private_forms(row: SignatoryCertificate) -> list[bytes]:
    key = serialization.load_der_private_key(certificates.unwrapped_key(row), password=None)
    scalar = key.private_numbers().private_value.to_bytes(32, "big")
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return [certificates.unwrapped_key(row), scalar, pem, scalar.hex().encode(), pem.split(b"\n")[1]]


def test_private_key_is_stored_only_wrapped(supplier_a, supplier_org_a):
    row = issue(supplier_a, supplier_org_a)
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM contracts_signatorycertificate")
        stored = [bytes(v) if isinstance(v, memoryview | bytes) else str(v).encode() for v in cursor.fetchone()]
        cursor.execute("SELECT payload FROM marketplace_auditevent")
        stored += [str(payload).encode() for (payload,) in cursor.fetchall()]
    for secret in _private_forms(row):
        assert not any(secret in value for value in stored)
    key = serialization.load_der_private_key(certificates.unwrapped_key(row), password=None)
    assert key.public_key() == certificates.certificate_of(row).public_key()


def test_wrapped_key_does_not_unwrap_under_another_kek(settings, supplier_a, supplier_org_a):
    row = issue(supplier_a, supplier_org_a)
    settings.SIGNATORY_KEK = b"\x07" * 32
    with pytest.raises(InvalidTag):
        certificates.unwrapped_key(row)


def test_wrapped_key_copied_to_another_certificate_does_not_unwrap(supplier_a, supplier_b, supplier_org_a, supplier_org_b):
    alice, bob = issue(supplier_a, supplier_org_a), issue(supplier_b, supplier_org_b)
    bob.wrapped_key = alice.wrapped_key
    with pytest.raises(InvalidTag):
        certificates.unwrapped_key(bob)


def test_new_kek_gets_a_new_certificate_at_the_next_need(settings, supplier_a, supplier_org_a):
    old = issue(supplier_a, supplier_org_a)
    settings.SIGNATORY_KEK = b"\x09" * 32
    new = issue(supplier_a, supplier_org_a)
    assert new != old
    assert certificates.unwrapped_key(new)
