"""The double-entry ledger: `post` is the only function that writes entries.

Amounts are integer minor units (ISO 4217) per currency. A posting whose debits and credits
differ in any currency is refused here, and again by the database when the transaction is
marked posted (migration 0002's triggers, on SQLite and PostgreSQL alike).

The movements the money flows write, as (debit, credit):

| movement | debit | credit |
|---|---|---|
| a payment arrives | cash (gateway or bank) | what the money is for: deposits held, supplier payables |
| a refund is decided | deposits held (or supplier payables) | refunds payable |
| the refund is made | refunds payable | cash |
| the refund fails or is withdrawn | refunds payable | deposits held (or supplier payables) |
| a supplier is paid out, less the fee | supplier payables | cash, fee revenue |
| a deposit is forfeited | deposits held | forfeited deposits |
"""

import csv
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import IO

from django.db import connection
from django.db.models import Sum
from django.utils import timezone

from payments.models import Account, Gateway, LedgerEntry, LedgerTransaction, Payment, Purpose, Refund
from payments.money import Money


class UnbalancedPosting(ValueError):
    """Debits and credits of a posting differ, or a line cannot be written."""


@dataclass(frozen=True)
class Line:
    account: str
    money: Money  # positive: debit; negative: credit
    organisation_id: int | None = None


def debit(account: str, money: Money, organisation_id: int | None = None) -> Line:
    return Line(account, money, organisation_id)


def credit(account: str, money: Money, organisation_id: int | None = None) -> Line:
    return Line(account, -money, organisation_id)


def post(
    key: str,
    kind: str,
    lines: Iterable[Line],
    *,
    payment: Payment | None = None,
    refund: Refund | None = None,
    memo: str = "",
    now: datetime | None = None,
) -> LedgerTransaction:
    """Write one balanced ledger transaction, inside the caller's database transaction.

    `key` names the fact (`payment:<uuid>:received`): posting it twice raises IntegrityError.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("the ledger is written only inside the action's transaction")
    lines = list(lines)
    if len(lines) < 2:
        raise UnbalancedPosting(f"{key}: a posting needs at least two lines")
    totals: dict[str, int] = defaultdict(int)
    for line in lines:
        if line.account not in Account.values:
            raise UnbalancedPosting(f"{key}: unknown account {line.account!r}")
        if line.money.minor == 0:
            raise UnbalancedPosting(f"{key}: a line of zero on {line.account}")
        totals[line.money.currency] += line.money.minor
    if unbalanced := {currency: total for currency, total in totals.items() if total}:
        raise UnbalancedPosting(f"{key}: debits and credits differ by {unbalanced} (minor units)")
    entry = LedgerTransaction.objects.create(
        key=key, kind=kind, memo=memo[:300], payment=payment, refund=refund, posted_at=now or timezone.now()
    )
    LedgerEntry.objects.bulk_create(
        [
            LedgerEntry(
                transaction=entry,
                account=line.account,
                currency=line.money.currency,
                amount_minor=line.money.minor,
                organisation_id=line.organisation_id,
            )
            for line in lines
        ]
    )
    # Last: the database checks the balance once more as the transaction becomes posted.
    LedgerTransaction.objects.filter(pk=entry.pk).update(posted=True)
    entry.posted = True
    return entry


# Which accounts a payment moves ---------------------------------------------------------


def cash_account(gateway: str) -> str:
    return Account.CASH_AT_GATEWAY if gateway == Gateway.STRIPE else Account.CASH_AT_BANK


def held_account(purpose: str) -> str:
    """The liability a payment of this purpose is held in until it is refunded or used."""
    return {Purpose.BID_DEPOSIT: Account.DEPOSITS_HELD, Purpose.INVOICE_SETTLEMENT: Account.SUPPLIER_PAYABLES}[purpose]


def held_for(payment: Payment) -> int:
    """Whose money the held account keeps: the bidder's deposit, or the supplier's settlement."""
    return payment.payee_id if payment.purpose == Purpose.INVOICE_SETTLEMENT else payment.payer_id


def held_balance(payment: Payment) -> Money:
    """What the ledger holds for the payment's owner in the payment's account and currency."""
    account = held_account(payment.purpose)
    minor = balances(account=account, currency=payment.currency, organisation_id=held_for(payment)).get((account, payment.currency), 0)
    return Money.from_minor(-minor, payment.currency)


def payment_received(payment: Payment, now: datetime) -> LedgerTransaction:
    money = payment.money
    return post(
        f"payment:{payment.pk}:received",
        "payment_received",
        [debit(cash_account(payment.gateway), money), credit(held_account(payment.purpose), money, held_for(payment))],
        payment=payment,
        memo=payment.description,
        now=now,
    )


def refund_requested(refund: Refund, now: datetime) -> LedgerTransaction:
    payment = refund.payment
    money = refund.money
    return post(
        f"refund:{refund.pk}:requested",
        "refund_requested",
        [debit(held_account(payment.purpose), money, held_for(payment)), credit(Account.REFUNDS_PAYABLE, money, payment.payer_id)],
        payment=payment,
        refund=refund,
        memo=refund.reason,
        now=now,
    )


def refund_paid(refund: Refund, now: datetime) -> LedgerTransaction:
    payment = refund.payment
    money = refund.money
    return post(
        f"refund:{refund.pk}:paid",
        "refund_paid",
        [debit(Account.REFUNDS_PAYABLE, money, payment.payer_id), credit(cash_account(payment.gateway), money)],
        payment=payment,
        refund=refund,
        now=now,
    )


def refund_reversed(refund: Refund, now: datetime) -> LedgerTransaction:
    payment = refund.payment
    money = refund.money
    return post(
        f"refund:{refund.pk}:reversed",
        "refund_reversed",
        [debit(Account.REFUNDS_PAYABLE, money, payment.payer_id), credit(held_account(payment.purpose), money, held_for(payment))],
        payment=payment,
        refund=refund,
        memo=refund.failure_reason,
        now=now,
    )


def supplier_paid_out(
    key: str, gateway: str, supplier_id: int, amount: Money, fee: Money | None, now: datetime, *, payment: Payment | None = None
) -> LedgerTransaction:
    """A settlement paid out to a supplier from what was received for it, the platform keeping `fee`."""
    lines = [debit(Account.SUPPLIER_PAYABLES, amount, supplier_id)]
    if fee is not None and fee.amount:
        lines += [credit(cash_account(gateway), amount - fee), credit(Account.FEE_REVENUE, fee)]
    else:
        lines.append(credit(cash_account(gateway), amount))
    return post(key, "supplier_paid_out", lines, payment=payment, now=now)


def deposit_forfeited(payment: Payment, amount: Money, now: datetime) -> LedgerTransaction:
    return post(
        f"payment:{payment.pk}:forfeited",
        "deposit_forfeited",
        [debit(Account.DEPOSITS_HELD, amount, payment.payer_id), credit(Account.FORFEITED_DEPOSITS, amount, payment.payee_id)],
        payment=payment,
        now=now,
    )


# Reading it --------------------------------------------------------------------------


def balances(**filters) -> dict[tuple[str, str], int]:
    """(account, currency) → balance in minor units (debits positive) over posted entries."""
    rows = LedgerEntry.objects.posted().filter(**filters).values("account", "currency").annotate(total=Sum("amount_minor"))
    return {(row["account"], row["currency"]): row["total"] for row in rows}


def unbalanced_transactions() -> list[tuple[str, str, int]]:
    """(key, currency, difference) of every posted transaction whose entries do not sum to zero."""
    rows = (
        LedgerEntry.objects.posted()
        .values("transaction__key", "currency")
        .annotate(total=Sum("amount_minor"))
        .exclude(total=0)
        .order_by("transaction__key")
    )
    return [(row["transaction__key"], row["currency"], row["total"]) for row in rows]


CSV_COLUMNS = [
    "posted_at",
    "transaction",
    "key",
    "kind",
    "account",
    "organisation",
    "currency",
    "debit",
    "credit",
    "amount_minor",
    "payment",
    "refund",
    "memo",
]


def export_csv(out: IO[str], *, since: datetime | None = None, until: datetime | None = None) -> int:
    """Write every posted entry as CSV (amounts as decimal strings in the currency's unit); return the row count."""
    entries = LedgerEntry.objects.posted().select_related("transaction").order_by("transaction__posted_at", "transaction_id", "id")
    if since is not None:
        entries = entries.filter(transaction__posted_at__gte=since)
    if until is not None:
        entries = entries.filter(transaction__posted_at__lt=until)
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    count = 0
    for entry in entries.iterator(chunk_size=2000):
        money = Money.from_minor(abs(entry.amount_minor), entry.currency)
        tx = entry.transaction
        writer.writerow(
            [
                tx.posted_at.isoformat(),
                tx.pk,
                tx.key,
                tx.kind,
                entry.account,
                entry.organisation_id or "",
                entry.currency,
                money.amount if entry.amount_minor > 0 else "",
                money.amount if entry.amount_minor < 0 else "",
                entry.amount_minor,
                tx.payment_id or "",
                tx.refund_id or "",
                spreadsheet_safe(tx.memo),
            ]
        )
        count += 1
    return count


def spreadsheet_safe(text: str) -> str:
    """A memo typed by a person, kept from being read as a formula by a spreadsheet (CSV injection)."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
