"""Demo data of the supplier registry: the three demo firms registered and verified, licence
types (a construction permit required for CPV 45000000), valid licences and a few follows.
Every run leaves the same result."""

from datetime import timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from marketplace import audit
from suppliers import actions
from suppliers.models import Follow, LicenceRequirement, LicenceType, Supplier, SupplierCategory, sme_class_for

LICENCE_TYPES = [
    # code, name, description, categories it is required for
    ("business-licence", "Business licence", "The firm's registration certificate from the company registry.", []),
    ("tax-registration", "Tax registration certificate", "Proof that the firm is registered for tax.", []),
    ("iso-9001", "ISO 9001 certificate", "Quality management system certified to ISO 9001.", []),
    ("construction-permit", "Construction permit", "Licence to carry out construction work.", ["45000000"]),
]

FIRMS = {
    # organisation key: details, categories, licences (type codes), follows
    "lotus": {
        "legal_name": "Lotus Engineering Ltd",
        "country": "IE",
        "registration_number": "IE6388047V",
        "address": "12 Quay Street, Galway, Ireland",
        "contact_email": "admin@lotus.example",
        "headcount": 24,
        "turnover_eur": Decimal("4200000"),
        "categories": ["71300000", "45230000", "45000000"],
        "licences": ["business-licence", "tax-registration", "iso-9001", "construction-permit"],
        "follows": [("category", "45000000"), ("category", "71300000"), ("buyer", "agency")],
    },
    "harbour": {
        "legal_name": "Harbour Tech Co.",
        "country": "CN",
        "registration_number": "91110000600037341L",
        "address": "88 Binhai Road, Tianjin, China",
        "contact_email": "admin@harbour.example",
        "headcount": 35,
        "turnover_eur": Decimal("6800000"),
        "categories": ["48000000", "72000000", "32400000"],
        "licences": ["business-licence", "tax-registration"],
        "follows": [("category", "72000000"), ("keywords", "network")],
    },
    "continental": {
        "legal_name": "Continental Build Group",
        "country": "DE",
        "registration_number": "DE136695976",
        "address": "Hafenstraße 1, 20457 Hamburg, Germany",
        "contact_email": "admin@continental.example",
        "headcount": 1850,
        "turnover_eur": Decimal("412000000"),
        "categories": ["45000000", "44000000"],
        "licences": ["business-licence", "tax-registration", "iso-9001", "construction-permit"],
        "follows": [("category", "45200000")],
    },
}


def licence_pdf(title: str, lines: list[str]) -> bytes:
    """A one-page PDF with a few lines of text (a stand-in scan of a certificate)."""

    def escape(text: str) -> str:
        return text.encode("latin-1", "replace").decode("latin-1").replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    text = "BT /F1 20 Tf 72 760 Td (" + escape(title) + ") Tj /F1 12 Tf"
    for line in lines:
        text += " 0 -24 Td (" + escape(line) + ") Tj"
    text += " ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(text.encode('latin-1'))} >>\nstream\n{text}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{offset:010d} 00000 n \n" for offset in offsets).encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out


def _licence_types() -> dict[str, LicenceType]:
    types = {}
    for code, name, description, categories in LICENCE_TYPES:
        types[code], _ = LicenceType.objects.get_or_create(code=code, defaults={"name": name, "description": description})
        for category in categories:
            LicenceRequirement.objects.get_or_create(licence_type=types[code], category=category)
    return types


@transaction.atomic
def _register(organisation, details: dict, admin) -> Supplier:
    """The demo firms' organisations exist already: record them in the registry as the form would."""
    now = timezone.now()
    size = sme_class_for(details["headcount"], details["turnover_eur"])
    fields = {k: v for k, v in details.items() if k not in ("categories", "licences", "follows")}
    supplier = Supplier.objects.create(organisation=organisation, **fields, sme_class=size, size_declared_at=now, listed_in_directory=True)
    SupplierCategory.objects.bulk_create([SupplierCategory(supplier=supplier, code=code) for code in details["categories"]])
    audit.record(
        "supplier.registered",
        actor=admin,
        organisation=organisation,
        obj=supplier,
        payload={"legal_name": supplier.legal_name, "country": supplier.country, "registration_number": supplier.registration_number},
    )
    return supplier


def seed(world, stdout) -> None:
    types = _licence_types()
    officer = world.users["registry@platform.example"]
    today = timezone.localdate()
    for key, details in FIRMS.items():
        organisation = world.organisations[key]
        admin = world.users[f"admin@{key}.example"]
        supplier = Supplier.objects.filter(organisation=organisation).first()
        if supplier is not None:
            continue
        supplier = _register(organisation, details, admin)
        actions.verify_supplier(officer, supplier)
        for number, code in enumerate(details["licences"], start=1):
            reference = f"{supplier.country}-{code.upper()}-{supplier.pk:04d}{number}"
            pdf = licence_pdf(types[code].name, [supplier.legal_name, f"No. {reference}", f"Valid until {today + timedelta(days=730)}"])
            licence = actions.add_licence(
                admin,
                supplier,
                licence_type=types[code],
                number=reference,
                issuer="Companies Registration Office" if code == "business-licence" else "Demo issuing authority",
                valid_from=today - timedelta(days=365),
                valid_to=today + timedelta(days=730),
                upload=SimpleUploadedFile(f"{code}.pdf", pdf, content_type="application/pdf"),
            )
            actions.check_licence(officer, licence, accept=True)
        for kind, target in details["follows"]:
            if kind == Follow.Kind.BUYER:
                actions.add_follow(admin, supplier, kind=kind, buyer=world.organisations[target])
            elif kind == Follow.Kind.CATEGORY:
                actions.add_follow(admin, supplier, kind=kind, category=target)
            else:
                actions.add_follow(admin, supplier, kind=kind, keywords=target)
        stdout.write(f"  supplier registry: {supplier.legal_name} registered and verified ({supplier.get_sme_class_display()})")
