"""The platform's certificate authority (数字认证体系): a root, and certificates for signatories.

The root is a P-256 key (`PLATFORM_CA_KEY`) and its self-signed certificate
(`PLATFORM_CA_CERTIFICATE`, or generated once beside the key in the data folder), published at
`GET /api/v1/certificates/root.pem`: whoever trusts it sees the platform's contract signatures
as valid in any PDF reader. Each signatory gets a certificate naming the person (CN, e-mail) and
the organisation they sign for (O, country, and the registration number as an ETSI
`organizationIdentifier`), issued here; `contracts.certificates` keeps them.

Pure functions: nothing here touches the database.
"""

import hashlib
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier
from django.conf import settings
from django.utils import timezone

from marketplace.env import SettingsError

ROOT_VALIDITY = timedelta(days=20 * 365)
# RFC 9336 id-kp-documentSigning; with e-mail protection, the purposes PDF readers accept.
DOCUMENT_SIGNING = ObjectIdentifier("1.3.6.1.5.5.7.3.36")
# A certificate issued a little in the past, so that a verifier whose clock lags still accepts it.
BACKDATE = timedelta(minutes=5)


def ca_private_key() -> ec.EllipticCurvePrivateKey:
    return _private_key(settings.PLATFORM_CA_KEY)


@cache
def _private_key(scalar: bytes) -> ec.EllipticCurvePrivateKey:
    try:
        return ec.derive_private_key(int.from_bytes(scalar, "big"), ec.SECP256R1())
    except ValueError:
        raise SettingsError("PLATFORM_CA_KEY is not a P-256 private key (a number between 1 and the curve order)") from None


def build_root(key: ec.EllipticCurvePrivateKey, name: str, *, now: datetime) -> x509.Certificate:
    """A self-signed root for `key`: a CA that issues end-entity certificates only."""
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    public = key.public_key()
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(now + ROOT_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(key_cert_sign=True, crl_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )


def root_certificate() -> x509.Certificate:
    """The root: from `PLATFORM_CA_CERTIFICATE`, or (embedded default) the one generated into the
    data folder on first need. Refuses a certificate that is not this key's self-signed CA."""
    return _root(
        settings.PLATFORM_CA_KEY, settings.PLATFORM_CA_CERTIFICATE, settings.PLATFORM_CA_CERTIFICATE_FILE, settings.PLATFORM_CA_NAME
    )


@cache
def _root(scalar: bytes, given: bytes | None, path: Path, name: str) -> x509.Certificate:
    key = _private_key(scalar)
    if given is not None:
        source = "PLATFORM_CA_CERTIFICATE"
        try:
            root = x509.load_der_x509_certificate(given)
        except ValueError:
            raise SettingsError(f"{source} is not a readable X.509 certificate") from None
    else:
        source = f"the platform root certificate generated into {path}"
        root = x509.load_pem_x509_certificate(_generated_root_pem(path, key, name))
    if root.public_key() != key.public_key():
        raise SettingsError(f"{source} is not the certificate of PLATFORM_CA_KEY")
    try:
        ca = root.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        ca = False
    if not ca or root.subject != root.issuer:
        raise SettingsError(f"{source} is not a self-signed CA certificate")
    return root


def _generated_root_pem(path: Path, key: ec.EllipticCurvePrivateKey, name: str) -> bytes:
    # As `marketplace.env.generated_secret`: written atomically, so that two processes starting
    # at once agree on one root.
    if path.exists():
        return path.read_bytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = build_root(key, name, now=timezone.now()).public_bytes(serialization.Encoding.PEM)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_bytes(pem)
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)
    return path.read_bytes()


def root_name() -> str:
    return root_certificate().subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value


def root_pem() -> bytes:
    return root_certificate().public_bytes(serialization.Encoding.PEM)


@dataclass(frozen=True)
class Subject:
    """Whom a signatory certificate names: the person, and the organisation they sign for."""

    name: str
    email: str
    organisation: str
    country: str = ""  # ISO 3166 alpha-2, where known
    registration_number: str = ""  # the organisation's registry number, where known

    @property
    def organisation_identifier(self) -> str:
        """ETSI EN 319 412-1 §5.1.4: `NTR` (national trade register), the country, the number."""
        if self.registration_number and self.country:
            return f"NTR{self.country.upper()}-{self.registration_number}"
        return ""

    def x509_name(self) -> x509.Name:
        attributes = []
        if self.country:
            attributes.append(x509.NameAttribute(NameOID.COUNTRY_NAME, self.country.upper()))
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, self.organisation))
        if self.organisation_identifier:
            attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_IDENTIFIER, self.organisation_identifier))
        attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, (self.name or self.email)[:64]))
        attributes.append(x509.NameAttribute(NameOID.EMAIL_ADDRESS, self.email))
        return x509.Name(attributes)


def issue(subject: Subject, public_key: ec.EllipticCurvePublicKey, *, now: datetime, days: int) -> x509.Certificate:
    """A certificate under the platform root for one signatory's key, valid `days` from `now`."""
    root = root_certificate()
    not_after = min(now + timedelta(days=days), root.not_valid_after_utc)
    return (
        x509.CertificateBuilder()
        .subject_name(subject.x509_name())
        .issuer_name(root.subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(digital_signature=True, content_commitment=True), critical=True)
        .add_extension(x509.ExtendedKeyUsage([DOCUMENT_SIGNING, ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .add_extension(x509.SubjectAlternativeName([x509.RFC822Name(subject.email)]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_private_key().public_key()), critical=False)
        .sign(ca_private_key(), hashes.SHA256())
    )


def fingerprint(certificate: x509.Certificate) -> str:
    return hashlib.sha256(certificate.public_bytes(serialization.Encoding.DER)).hexdigest()


def _key_usage(**usages: bool) -> x509.KeyUsage:
    names = (
        "digital_signature",
        "content_commitment",
        "key_encipherment",
        "data_encipherment",
        "key_agreement",
        "key_cert_sign",
        "crl_sign",
        "encipher_only",
        "decipher_only",
    )
    return x509.KeyUsage(**{name: usages.get(name, False) for name in names})
