"""Demo tenders of the Ministry of Public Works, for `manage.py seed_demo`. Safe to run again:
a tender whose title exists already is left as it is."""

from datetime import timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from suppliers.models import Supplier
from tenders import actions, rules
from tenders.actions import CriterionSpec, DraftSpec, ItemSpec, LotSpec
from tenders.models import Tender


def seed(world, stdout) -> None:
    agency = world.organisations["agency"]
    officer = world.users["officer@mpw.example"]
    custodians = [world.users[f"custodian{n}@mpw.example"] for n in (1, 2, 3)]
    created = []
    site_visit = ("Is there a site visit?", "Yes: at the Naas depot on the first Monday of the period, at 10:00.")
    phasing = ("May the works be phased over two construction seasons?", "No: the works must be completed within one season.")
    for title, build, publish, clarification, question in [
        ("Resurfacing of the R445 between Naas and Kilcullen", _roadworks, True, site_visit, phasing),
        ("Laptops and tablets for primary and secondary schools", lambda: _laptops(custodians), True, None, None),
        ("Cleaning of the Ministry's headquarters, six months", _cleaning, True, None, None),
        ("Inspection of county bridges, 2027 programme", _bridges_draft, False, None, None),
    ]:
        if Tender.objects.filter(buyer=agency, title=title).exists():
            continue
        spec, documents = build()
        tender = actions.create_draft(officer, agency, spec)
        for document_title, filename, lines in documents:
            actions.upload_document(officer, tender, SimpleUploadedFile(filename, pdf(lines)), title=document_title)
        if publish:
            tender = actions.publish_tender(officer, tender)
        if clarification:
            actions.publish_clarification(officer, tender, question=clarification[0], answer=clarification[1])
        if question:
            _question_from_a_firm(world, officer, tender, *question)
        created.append(tender)
    stdout.write(f"Demo tenders: {len(created)} created, {Tender.objects.filter(buyer=agency).count()} in all.")


def _deadlines(method: str = "open", days_after_minimum: int = 14) -> dict:
    now = timezone.now()
    earliest = rules.earliest_deadline(Tender(method=method), now)
    deadline = (earliest + timedelta(days=days_after_minimum)).replace(hour=12, minute=0, second=0, microsecond=0)
    return {"submission_deadline": deadline, "clarification_deadline": deadline - timedelta(days=max(1, days_after_minimum // 2))}


def _roadworks():
    spec = DraftSpec(
        fields={
            "title": "Resurfacing of the R445 between Naas and Kilcullen",
            "description": (
                "Planing and resurfacing of 9.4 km of regional road R445, with new road markings, kerb repairs and "
                "drainage works at three junctions. Works must keep one lane open at all times."
            ),
            "main_category": "45233140",
            "estimated_value": Decimal("2350000.00"),
            "currency": "EUR",
            "deposit_amount": Decimal("25000.00"),
            "deposit_waived_for_sme": False,
            "standstill_days": 14,
            **_deadlines(),
        },
        lots=[
            LotSpec(
                items=[
                    ItemSpec("Planing and resurfacing, 40 mm SMA surface course", Decimal("9400"), "m", "45233140"),
                    ItemSpec("Road markings, thermoplastic", Decimal("18800"), "m", "45233221"),
                    ItemSpec("Drainage works at junctions", Decimal("3"), "junction", "45232450"),
                ]
            )
        ],
    )
    documents = [
        ("Instructions to tenderers", "instructions.pdf", ["Instructions to tenderers", "R445 resurfacing, Naas to Kilcullen"]),
        ("Bill of quantities", "bill-of-quantities.pdf", ["Bill of quantities", "1. Planing 9,400 m", "2. Markings 18,800 m"]),
    ]
    return spec, documents


def _laptops(custodians):
    spec = DraftSpec(
        fields={
            "title": "Laptops and tablets for primary and secondary schools",
            "description": "Supply, configuration and three years of on-site warranty for devices for 42 schools.",
            "main_category": "30213000",
            "currency": "EUR",
            "divided_into_lots": True,
            "envelope_mode": "two",
            "award_method": "weighted",
            "price_weight": 60,
            "custody": "committee",
            "custody_threshold": 2,
            **_deadlines(days_after_minimum=21),
        },
        lots=[
            LotSpec(
                title="Laptops for secondary schools",
                estimated_value=Decimal("780000"),
                items=[ItemSpec("Laptop, 14 inch, 16 GB memory", Decimal("1200"), "piece", "30213100")],
            ),
            LotSpec(
                title="Tablets for primary schools",
                estimated_value=Decimal("210000"),
                sme_reserved=True,
                items=[ItemSpec("Tablet, 10 inch, with keyboard cover", Decimal("900"), "piece", "30213200")],
            ),
        ],
        criteria=[
            CriterionSpec("Warranty and repair times", 25, "Hours to repair or replace on site."),
            CriterionSpec("Accessibility features", 15, "Screen readers, keyboard access, contrast."),
        ],
        custodians=custodians,
    )
    return spec, [("Technical specification", "specification.pdf", ["Technical specification", "Lot 1 laptops", "Lot 2 tablets"])]


def _cleaning():
    spec = DraftSpec(
        fields={
            "title": "Cleaning of the Ministry's headquarters, six months",
            "description": "Daily office cleaning of 4,200 m² on five floors, window cleaning every month.",
            "method": "rfq",
            "main_category": "90911200",
            "estimated_value": Decimal("48000.00"),
            "currency": "EUR",
            **_deadlines("rfq", days_after_minimum=3),
        },
        lots=[LotSpec(sme_reserved=True, items=[ItemSpec("Office cleaning", Decimal("6"), "month", "90919200")])],
    )
    return spec, []


def _bridges_draft():
    spec = DraftSpec(
        fields={"title": "Inspection of county bridges, 2027 programme", "main_category": "71631450", "currency": "EUR"},
    )
    return spec, []


def _question_from_a_firm(world, officer, tender: Tender, question: str, answer: str) -> None:
    """A question from Lotus Engineering, answered; only if the registry has verified the firm."""
    lotus = world.organisations["lotus"]
    asker = world.users.get("bidder@lotus.example")
    if asker is None or not Supplier.objects.filter(organisation=lotus, status=Supplier.Status.VERIFIED).exists():
        return
    asked = actions.ask_question(asker, tender, question=question, organisation=lotus)
    actions.answer_question(officer, asked, answer=answer)


def pdf(lines: list[str]) -> bytes:
    """A one-page PDF showing the given lines (ASCII), with a correct cross-reference table."""
    text = "BT /F1 14 Tf 72 760 Td 18 TL " + " ".join(f"({line.replace('(', '[').replace(')', ']')}) '" for line in lines) + " ET"
    objects = [
        b"<</Type/Catalog/Pages 2 0 R>>",
        b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Resources<</Font<</F1 4 0 R>>>>/Contents 5 0 R>>",
        b"<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>",
        b"<</Length %d>>stream\n%s\nendstream" % (len(text), text.encode("ascii")),
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)
