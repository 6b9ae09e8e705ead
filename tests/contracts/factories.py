"""Contract documents and foreign certificates for the contract tests."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import NameOID

from contracts.document import ContractDocument, Item, Milestone, Party, Signatory


def contract_document(**changes) -> ContractDocument:
    fields = {
        "number": "MOT-2026-0007-C1",
        "tender_reference": "MOT-2026-0007",
        "tender_title": "LED street lighting retrofit",
        "buyer": Party(
            "Ministry of Tests", "IE", "", "1 Merrion Square, Dublin 2", (Signatory("Officer", "Procurement officer", "officer@mot.test"),)
        ),
        "supplier": Party(
            "Alpha Works Ltd 阿尔法工程有限公司",
            "CN",
            "91110000600037341L",
            "北京市朝阳区建国路 88 号",
            (Signatory("王小明", "总经理", "admin@alpha.test"),),
        ),
        "lot_number": 1,
        "lot_title": "Lamps and installation",
        "items": (
            Item("LED lamp, 60 W 路灯", Decimal("120"), "piece", Decimal("1234.50")),
            Item("Installation", Decimal("1"), "lot", Decimal("9860.00")),
        ),
        "value": Decimal("158000.00"),
        "currency": "EUR",
        "period_start": date(2027, 1, 4),
        "period_end": date(2027, 6, 30),
        "issued_on": date(2026, 12, 2),
        "milestones": (
            Milestone("Delivery of the lamps", date(2027, 3, 1), Decimal("100000.00"), "120 lamps"),
            Milestone("Installation and acceptance", date(2027, 6, 30), Decimal("58000.00")),
        ),
        "special_terms": "Warranty of five years.\n保修五年。",
    }
    return ContractDocument(**(fields | changes))


def foreign_certificate(name: str = "Mallory") -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey, x509.Certificate]:
    """A signing certificate under a root that is not the platform's: (certificate, key, root)."""
    now = datetime.now(UTC)
    root_key = ec.generate_private_key(ec.SECP256R1())
    root_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Elsewhere Root CA")])
    root = (
        x509.CertificateBuilder()
        .subject_name(root_name)
        .issuer_name(root_name)
        .public_key(root_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(root_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    certificate = (
        x509.CertificateBuilder()
        .subject_name(
            x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name), x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Alpha Works Ltd")])
        )
        .issuer_name(root_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(root_key, hashes.SHA256())
    )
    return certificate, key, root


def detached_signature(pdf: bytes) -> bytes:
    """A detached CMS signature (.p7s, DER) over `pdf`, made with a certificate of the firm's own."""
    certificate, key, _ = foreign_certificate("Alpha's own signatory")
    options = [pkcs7.PKCS7Options.DetachedSignature, pkcs7.PKCS7Options.Binary]
    builder = pkcs7.PKCS7SignatureBuilder().set_data(pdf).add_signer(certificate, key, hashes.SHA256())
    return builder.sign(serialization.Encoding.DER, options)
