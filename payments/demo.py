"""Demo money for `manage.py seed_demo`: bid deposits paid by bank transfer and confirmed by the
finance officer, a bank guarantee accepted, the losers' deposits of the awarded tender
refunded, and the demo contract's accepted milestone invoiced, approved and paid. Offline gateway only (the embedded default). Safe to run again.

`prepare` runs before the evaluation demo: it makes its awarded tender ask a deposit, which each
firm pays (by bank transfer, confirmed by finance) before it bids. `seed` runs after it.
"""

from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from contracts import demo as contracts_demo
from contracts.models import Milestone
from evaluation import demo as evaluation_demo
from payments import actions, deposits, invoices
from payments.models import Gateway, Guarantee, Payment, Purpose, Refund
from payments.money import Money
from tenders.demo import pdf
from tenders.models import Tender

ROADWORKS = "Resurfacing of the R445 between Naas and Kilcullen"


def prepare(world, stdout) -> None:
    if pay_before_bidding not in evaluation_demo.before_bidding:
        evaluation_demo.before_bidding.append(pay_before_bidding)


def pay_before_bidding(world, tender: Tender, organisation, user) -> None:
    _pay_by_transfer(tender, organisation, user, world.users["finance@mpw.example"])


def seed(world, stdout) -> None:
    finance = world.users["finance@mpw.example"]
    agency = world.organisations["agency"]
    roadworks = Tender.objects.filter(buyer=agency, title=ROADWORKS, status=Tender.Status.PUBLISHED).first()
    if roadworks is not None:
        lotus, continental = world.organisations["lotus"], world.organisations["continental"]
        if deposits.required_money(lotus, roadworks) is not None:
            _pay_by_transfer(roadworks, lotus, world.users["admin@lotus.example"], finance)
        if deposits.required_money(continental, roadworks) is not None and not Guarantee.objects.filter(tender=roadworks).exists():
            guarantee = deposits.submit_guarantee(
                world.users["admin@continental.example"],
                continental,
                roadworks,
                issuer="Deutsche Handelsbank AG",
                number="BG-2026-118204",
                amount=Money(roadworks.deposit_amount, roadworks.currency),
                valid_until=deposits.guarantee_needed_until(roadworks),
                document=SimpleUploadedFile(
                    "guarantee.pdf", pdf(["Bid guarantee BG-2026-118204", "Deutsche Handelsbank AG", "EUR 25,000.00"])
                ),
            )
            deposits.decide_guarantee(finance, guarantee, accept=True)
    awarded = Tender.objects.filter(buyer=agency, title=evaluation_demo.AWARDED).first()
    made = 0
    if awarded is not None and awarded.deposit_amount:
        deposits.return_due_deposits(tender_id=awarded.pk)
        for refund in Refund.objects.filter(payment__tender=awarded, status=Refund.Status.PENDING):
            actions.confirm_offline_refund(finance, refund, bank_reference=f"IE-TRSY-{refund.created_at:%Y%m%d}-{made + 1:03d}")
            made += 1
    settled = _settle_demo_invoice(world)
    stdout.write(
        f"Demo payments: {Payment.objects.filter(purpose=Purpose.BID_DEPOSIT).count()} deposits, {made} refunds made now"
        f"{', an invoice settled' if settled else ''}."
    )


def _settle_demo_invoice(world) -> bool:
    """The demo contract's accepted milestone invoiced, approved and paid by treasury transfer."""
    milestone = (
        Milestone.objects.filter(contract__tender__title=contracts_demo.ACTIVE, status=Milestone.Status.ACCEPTED)
        .select_related("contract__supplier")
        .first()
    )
    if milestone is None:
        return False
    contract = milestone.contract
    finance = world.users["finance@mpw.example"]
    invoice = invoices.submit_invoice(
        world.users[f"admin@{contract.supplier.code}.example"],
        milestone,
        number=f"{contract.supplier.code.upper()}-2027-0001",
        issued_on=timezone.localdate(),
        amount=milestone.amount,
        document=SimpleUploadedFile(
            "invoice.pdf",
            pdf([f"Invoice {contract.supplier.code.upper()}-2027-0001", contract.number, f"{milestone.amount} {contract.currency}"]),
        ),
    )
    invoice = invoices.approve_invoice(finance, invoice)
    actions.confirm_offline_payment(
        finance, invoice.payment, bank_reference=f"IE-TRSY-INV-{invoice.pk:05d}", received=Money(invoice.amount, invoice.currency)
    )
    return True


def _pay_by_transfer(tender: Tender, organisation, user, finance) -> None:
    if deposits.deposit_satisfied(organisation, tender):
        return
    with transaction.atomic():
        start = deposits.start_deposit(user, organisation, tender, gateway=Gateway.OFFLINE)
        actions.confirm_offline_payment(
            finance,
            start.payment,
            bank_reference=f"IE-{organisation.code.upper()}-{tender.pk:05d}",
            received=Money(Decimal(start.payment.amount), start.payment.currency),
        )
