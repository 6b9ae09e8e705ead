"""Signatory certificates: issued on first need, kept with their private key wrapped.

`signatory_certificate(user, organisation, now=…)` is what the contract workflow calls when a
person is about to sign for an organisation: it returns their current certificate, or issues
one (audited) when they have none, when it has expired or is about to, when it no longer
names them as they are now (a new name, a renamed firm), or when its key was wrapped under a
`SIGNATORY_KEK` no longer in use. The private key leaves its wrapping
only in `unwrapped_key`, which `contracts.signatures.sign_pdf` calls inside the signing.
"""

import hashlib
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.db import IntegrityError, transaction

from contracts import authority
from contracts.models import SignatoryCertificate
from marketplace import audit, keywrap
from marketplace.models import Organisation, User

# A certificate that would expire this soon is replaced rather than used for a new signature.
RENEW_BEFORE = timedelta(days=1)


def kek_id(kek: bytes) -> str:
    """A name for a key-encryption key that reveals nothing of it."""
    return hashlib.sha256(b"tenderhall signatory kek:" + kek).hexdigest()[:16]


def subject_for(user: User, organisation: Organisation, *, country: str = "", registration_number: str = "") -> authority.Subject:
    return authority.Subject(
        name=user.full_name or user.email,
        email=user.email,
        organisation=organisation.name,
        country=(country or organisation.country or "").upper(),
        registration_number=registration_number,
    )


def signatory_certificate(
    user: User, organisation: Organisation, *, now: datetime, country: str = "", registration_number: str = ""
) -> SignatoryCertificate:
    """The certificate `user` signs with for `organisation`, issued on first need.

    `country` and `registration_number` are the organisation's registry details where the
    caller knows them (a supplier's registration); they go into the certificate's subject.
    """
    subject = subject_for(user, organisation, country=country, registration_number=registration_number)
    with transaction.atomic():
        current = SignatoryCertificate.objects.select_for_update().current().filter(user=user, organisation=organisation).first()
        if current is not None and _still_usable(current, subject, now):
            return current
        try:
            with transaction.atomic():
                return _issue(user, organisation, subject, replaces=current, now=now)
        except IntegrityError:
            # Another request issued the first certificate of this person for this firm at the same moment.
            pass
    return SignatoryCertificate.objects.current().get(user=user, organisation=organisation)


def _still_usable(current: SignatoryCertificate, subject: authority.Subject, now: datetime) -> bool:
    return (
        current.subject == subject.x509_name().rfc4514_string()
        and current.not_after - RENEW_BEFORE > now
        and current.kek_id == kek_id(settings.SIGNATORY_KEK)
    )


def _issue(user: User, organisation: Organisation, subject: authority.Subject, *, replaces: SignatoryCertificate | None, now: datetime):
    key = ec.generate_private_key(ec.SECP256R1())
    certificate = authority.issue(subject, key.public_key(), now=now, days=settings.SIGNATORY_CERTIFICATE_DAYS)
    if replaces is not None:
        replaces.superseded_at = now
        replaces.save(update_fields=["superseded_at"])
    row = SignatoryCertificate(
        user=user,
        organisation=organisation,
        serial=format(certificate.serial_number, "x"),
        subject=certificate.subject.rfc4514_string(),
        fingerprint=authority.fingerprint(certificate),
        certificate_pem=certificate.public_bytes(serialization.Encoding.PEM).decode("ascii"),
        not_before=certificate.not_valid_before_utc,
        not_after=certificate.not_valid_after_utc,
        issued_at=now,
    )
    pkcs8 = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    row.wrapped_key = keywrap.wrap(settings.SIGNATORY_KEK, pkcs8, row.key_aad)
    row.kek_id = kek_id(settings.SIGNATORY_KEK)
    row.save(force_insert=True)
    audit.record(
        "certificate.issued",
        actor=user,
        organisation=organisation,
        obj=row,
        payload={
            "serial": row.serial,
            "subject": row.subject,
            "fingerprint": row.fingerprint,
            "not_after": row.not_after.isoformat(),
            "replaces": replaces.serial if replaces else None,
        },
        now=now,
    )
    return row


def certificate_of(row: SignatoryCertificate) -> x509.Certificate:
    return x509.load_pem_x509_certificate(row.certificate_pem.encode("ascii"))


def unwrapped_key(row: SignatoryCertificate) -> bytes:
    """The PKCS#8 DER of the signatory's private key, for the signing call alone: never store,
    log or return it. Raises `cryptography.exceptions.InvalidTag` under the wrong `SIGNATORY_KEK`."""
    return keywrap.unwrap(settings.SIGNATORY_KEK, row.wrapped_key, row.key_aad)
