"""PAdES signatures on contract documents, applied and checked with pyHanko.

`sign_pdf(pdf, certificate)` appends one signature as an incremental update (the supplier's
first, then the buyer's over the signed file), so earlier signatures keep covering exactly the
bytes their signatories saw. Each is a PAdES baseline B-B signature (ETSI.CAdES.detached,
SHA-256, ECDSA P-256) made with the signatory's certificate, the platform root embedded so that
readers can build the chain. `verify_pdf(pdf)` runs pyHanko's own validator against the
published root and says, for each signature, whether it holds, whose it is, when it was made
and which bytes it covers. `verify_detached(pdf, p7s)` checks a party's own detached CMS
signature for integrity only: its certificate is not checked against any trust list.
"""

import asyncio
import base64
import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from io import BytesIO

from asn1crypto import cms as asn1_cms
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID
from django.utils.translation import gettext as _
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.generic_cms import async_validate_detached_cms
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from contracts import authority, certificates
from contracts.models import SignatoryCertificate
from marketplace.errors import ActionError, Conflict

# What may follow a signature in later revisions without breaking it: nothing, archival data, or
# further signatures (the buyer's after the supplier's).
ALLOWED_AFTER_SIGNING = {ModificationLevel.NONE, ModificationLevel.LTA_UPDATES, ModificationLevel.FORM_FILLING}


class UnreadablePdf(ActionError):
    """The bytes given are not a PDF that can be read (422)."""


def sign_pdf(
    pdf: bytes, certificate: SignatoryCertificate, *, field_name: str, now: datetime, reason: str = "", location: str = ""
) -> bytes:
    """`pdf` with one more signature, by the holder of `certificate`, in a new signature field
    `field_name`, appended as an incremental update. The private key is unwrapped here and
    dropped when the signature is made. The signing time is the server clock's (pyHanko reads it)."""
    if certificate.superseded_at is not None or not certificate.is_valid_at(now):
        raise Conflict(
            _("This signing certificate is no longer valid; a new one is issued at the next signature."), code="certificate_not_valid"
        )
    try:
        writer = IncrementalPdfFileWriter(BytesIO(pdf), strict=False)
        taken = {name for name, _, _ in fields.enumerate_sig_fields(writer.prev, filled_status=True)}
    except Exception:  # pyHanko raises many kinds of error on a damaged file
        raise UnreadablePdf(_("This PDF is damaged and cannot be read."), code="unreadable_pdf", field="document") from None
    if field_name in taken:
        raise Conflict(_("This document already has a signature named “%(name)s”.") % {"name": field_name}, code="already_signed")
    signing_cert = asn1_x509.Certificate.load(certificates.certificate_of(certificate).public_bytes(serialization.Encoding.DER))
    try:
        private_key = certificates.unwrapped_key(certificate)
    except InvalidTag:
        raise Conflict(
            _("The signing key cannot be unwrapped (a wrong SIGNATORY_KEK?); a new certificate is issued at the next signature."),
            code="certificate_not_valid",
        ) from None
    signer = signers.SimpleSigner(
        signing_cert=signing_cert,
        signing_key=asn1_keys.PrivateKeyInfo.load(private_key),
        cert_registry=SimpleCertificateStore.from_certs([_asn1_root()]),
    )
    metadata = signers.PdfSignatureMetadata(
        field_name=field_name,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason or None,
        location=location or None,
        name=signing_cert.subject.native.get("common_name"),
    )
    return signers.sign_pdf(writer, metadata, signer=signer).getvalue()


@dataclass(frozen=True)
class Signer:
    name: str
    email: str
    organisation: str
    organisation_identifier: str
    country: str
    certificate_serial: str
    certificate_fingerprint: str
    issuer: str


@dataclass(frozen=True)
class SignatureCheck:
    """One signature in a PDF, as the validator found it."""

    field: str
    valid: bool  # intact, by a certificate under the platform root, nothing but signatures after it
    intact: bool  # the signed bytes are unchanged and the signature over them is correct
    trusted: bool  # the certificate chains to the platform root
    coverage: str  # "entire_file", "entire_revision" (later revisions follow) or "partial"
    byte_range: tuple[int, ...]
    signed_bytes: int  # how much of the file the signed revision spans, from its start
    changes_after: str  # what later revisions add: "none", "signatures", "archival", "other"
    signed_at: datetime | None  # the signing time the signature itself states
    signer: Signer | None
    problems: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class Verification:
    sha256: str
    size: int
    signatures: tuple[SignatureCheck, ...]

    @property
    def all_valid(self) -> bool:
        return bool(self.signatures) and all(s.valid for s in self.signatures)


def verify_pdf(pdf: bytes) -> Verification:
    """Every signature of `pdf`, checked against the platform root. Raises `UnreadablePdf`
    (never anything else) for bytes that are not a readable PDF."""
    if not pdf.lstrip()[:5] == b"%PDF-":
        raise UnreadablePdf(_("This file is not a PDF."), code="not_a_pdf", field="document")
    try:
        reader = PdfFileReader(BytesIO(pdf), strict=False)
        embedded = list(reader.embedded_signatures)
    except Exception:  # pyHanko raises many kinds of error on a damaged file; all mean the same here
        raise UnreadablePdf(_("This PDF is damaged and cannot be read."), code="unreadable_pdf", field="document") from None
    context = ValidationContext(trust_roots=[_asn1_root()], allow_fetching=False, revocation_mode="soft-fail")
    checks = tuple(_check(signature, context, len(pdf)) for signature in embedded)
    return Verification(sha256=hashlib.sha256(pdf).hexdigest(), size=len(pdf), signatures=checks)


def _check(signature, context: ValidationContext, size: int) -> SignatureCheck:
    name = signature.field_name
    byte_range = tuple(int(n) for n in signature.byte_range)
    signed_bytes = byte_range[-2] + byte_range[-1] if len(byte_range) == 4 else 0
    try:
        status = validate_pdf_signature(signature, context)
    except Exception:  # a malformed signature dictionary or CMS blob
        return SignatureCheck(
            field=name,
            valid=False,
            intact=False,
            trusted=False,
            coverage="partial",
            byte_range=byte_range,
            signed_bytes=signed_bytes,
            changes_after="other",
            signed_at=None,
            signer=None,
            problems=(_("The signature cannot be read."),),
        )
    coverage = {
        SignatureCoverageLevel.ENTIRE_FILE: "entire_file",
        SignatureCoverageLevel.ENTIRE_REVISION: "entire_revision",
    }.get(status.coverage, "partial")
    level = status.modification_level
    changes_after = {
        ModificationLevel.NONE: "none",
        ModificationLevel.LTA_UPDATES: "archival",
        ModificationLevel.FORM_FILLING: "signatures",
    }.get(level, "other")
    problems = []
    if not status.intact:
        problems.append(_("The signed bytes were changed after signing."))
    elif not status.valid:
        problems.append(_("The signature does not match the signed bytes."))
    if not status.trusted:
        problems.append(_("The certificate does not chain to the platform's root certificate."))
    if coverage == "partial":
        problems.append(_("The signature does not cover its whole revision of the file."))
    if level not in ALLOWED_AFTER_SIGNING:
        problems.append(_("The document was changed after this signature by more than further signatures."))
    valid = status.bottom_line and not problems
    return SignatureCheck(
        field=name,
        valid=valid,
        intact=bool(status.intact and status.valid),
        trusted=bool(status.trusted),
        coverage=coverage,
        byte_range=byte_range,
        signed_bytes=signed_bytes,
        changes_after=changes_after,
        signed_at=status.signer_reported_dt,
        signer=_signer(status.signing_cert),
        problems=tuple(problems),
    )


def _signer(certificate: asn1_x509.Certificate | None) -> Signer | None:
    if certificate is None:
        return None
    parsed = x509.load_der_x509_certificate(certificate.dump())

    def attribute(oid, name: x509.Name = parsed.subject) -> str:
        values = name.get_attributes_for_oid(oid)
        return str(values[0].value) if values else ""

    return Signer(
        name=attribute(NameOID.COMMON_NAME),
        email=attribute(NameOID.EMAIL_ADDRESS),
        organisation=attribute(NameOID.ORGANIZATION_NAME),
        organisation_identifier=attribute(NameOID.ORGANIZATION_IDENTIFIER),
        country=attribute(NameOID.COUNTRY_NAME),
        certificate_serial=format(parsed.serial_number, "x"),
        certificate_fingerprint=authority.fingerprint(parsed),
        issuer=parsed.issuer.rfc4514_string(),
    )


@dataclass(frozen=True)
class DetachedCheck:
    """A party's own detached CMS signature (.p7s) over a PDF: integrity only."""

    intact: bool  # the signature is over exactly these PDF bytes, and mathematically correct
    signer: Signer | None
    signed_at: datetime | None
    trust: str = "not_checked"  # its certificate is not checked against any trust list
    problems: tuple[str, ...] = ()


def verify_detached(pdf: bytes, p7s: bytes) -> DetachedCheck:
    """Check a detached CMS signature (DER, or PEM-armoured) over `pdf`."""
    try:
        content_info = asn1_cms.ContentInfo.load(_der(p7s))
        if content_info["content_type"].native != "signed_data":
            raise ValueError("not SignedData")
        signed_data = content_info["content"]
        signed_data.native  # parse it whole now, so that a damaged blob fails here  # noqa: B018
    except Exception:
        raise UnreadablePdf(_("This is not a CMS signature (.p7s)."), code="not_a_signature", field="signature") from None
    try:
        context = ValidationContext(trust_roots=[_asn1_root()], allow_fetching=False)
        status = asyncio.run(async_validate_detached_cms(pdf, signed_data, signer_validation_context=context))
    except Exception:
        return DetachedCheck(intact=False, signer=None, signed_at=None, problems=(_("The signature cannot be checked."),))
    intact = bool(status.intact and status.valid)
    problems = () if intact else (_("The signature does not match this PDF."),)
    return DetachedCheck(intact=intact, signer=_signer(status.signing_cert), signed_at=status.signer_reported_dt, problems=problems)


def _der(blob: bytes) -> bytes:
    if blob.lstrip().startswith(b"-----BEGIN"):
        lines = [line for line in blob.decode("ascii", "replace").splitlines() if line and not line.startswith("-----")]
        return base64.b64decode("".join(lines))
    return blob


def _asn1_root() -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(authority.root_certificate().public_bytes(serialization.Encoding.DER))
