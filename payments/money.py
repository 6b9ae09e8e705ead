"""Money: `Decimal` + ISO 4217 code in the platform, integer minor units in the ledger and at Stripe.

Two different minor units meet here. The ledger counts in the currency's ISO 4217 minor unit
(cents, fils, yen). Stripe has its own table, which differs for a few currencies: ISK has no
minor unit in ISO 4217 but two decimals in Stripe's API (whole krónur only, in multiples of 100),
MGA has two in ISO and none at Stripe, and Stripe's three-decimal currencies must end in 0.
Nothing here rounds on its own: an amount that a unit cannot hold exactly is refused, and the
caller that computes an amount (a percentage, a split) quantizes it with `quantize`, saying how.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from marketplace.currencies import is_known

# ISO 4217 minor-unit digits of the currencies that do not have two.
ISO_EXPONENTS = {
    **dict.fromkeys(
        ["BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF"], 0
    ),
    **dict.fromkeys(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"], 3),
    **dict.fromkeys(["CLF", "UYW"], 4),
}
# Codes that are not money one can pay with (precious metals, testing, SDR, no currency).
NOT_PAYABLE = {"XAG", "XAU", "XBA", "XBB", "XBC", "XBD", "XDR", "XPD", "XPT", "XSU", "XTS", "XUA", "XXX"}

# Stripe's own table (docs.stripe.com/currencies): zero-decimal currencies, three-decimal ones
# (amounts must be a multiple of 10), and ISK, two-decimal in the API but whole krónur only.
STRIPE_ZERO_DECIMAL = {"BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF"}
STRIPE_THREE_DECIMAL = {"BHD", "JOD", "KWD", "OMR", "TND"}
STRIPE_WHOLE_UNITS_ONLY = {"ISK"}


class MoneyError(ValueError):
    """An amount or currency that cannot be used as money here."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.code = code


def exponent(currency: str) -> int:
    """The number of ISO 4217 minor-unit digits of `currency` (2 for most)."""
    if not is_known(currency) or currency in NOT_PAYABLE:
        raise MoneyError(f"{currency!r} is not a currency one can pay in", "unknown_currency")
    return ISO_EXPONENTS.get(currency, 2)


def quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-exponent(currency))


def quantize(amount: Decimal, currency: str, rounding: str = ROUND_HALF_EVEN) -> Decimal:
    """`amount` rounded to the currency's minor unit, the way the caller says (banker's by default)."""
    return Decimal(amount).quantize(quantum(currency), rounding=rounding)


@dataclass(frozen=True, slots=True)
class Money:
    """An exact amount in one currency, held at the currency's minor unit."""

    amount: Decimal
    currency: str

    def __post_init__(self):
        if isinstance(self.amount, float) or not isinstance(self.amount, Decimal | int):
            raise MoneyError(f"an amount must be a Decimal, not {type(self.amount).__name__}", "not_decimal")
        amount = Decimal(self.amount)
        if not amount.is_finite():
            raise MoneyError(f"{amount} is not a finite amount", "not_finite")
        try:
            exact = amount.quantize(quantum(self.currency))
        except InvalidOperation:
            raise MoneyError(f"{amount} is too large an amount", "too_large") from None
        if exact != amount:
            raise MoneyError(
                f"{amount} {self.currency} has more decimals than the currency's {exponent(self.currency)}: quantize it first",
                "too_many_decimals",
            )
        object.__setattr__(self, "amount", exact)

    @classmethod
    def from_minor(cls, minor: int, currency: str) -> "Money":
        """From integer minor units of the ledger (ISO 4217)."""
        if not isinstance(minor, int) or isinstance(minor, bool):
            raise MoneyError(f"minor units must be an integer, not {type(minor).__name__}", "not_integer")
        return cls(Decimal(minor).scaleb(-exponent(currency)), currency)

    @property
    def minor(self) -> int:
        """Integer minor units of the ledger (ISO 4217): cents, fils, yen."""
        return int(self.amount.scaleb(exponent(self.currency)))

    def __add__(self, other: "Money") -> "Money":
        self._same_currency(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: "Money") -> "Money":
        self._same_currency(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> "Money":
        return Money(-self.amount, self.currency)

    def _same_currency(self, other: "Money") -> None:
        if not isinstance(other, Money) or other.currency != self.currency:
            raise MoneyError(f"cannot combine {self.currency} with {getattr(other, 'currency', other)!r}", "currency_mismatch")

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"


# The Stripe boundary -------------------------------------------------------------------


def stripe_exponent(currency: str) -> int:
    """Decimal digits of an amount in Stripe's API for `currency`."""
    iso = exponent(currency)
    if currency in STRIPE_ZERO_DECIMAL:
        return 0
    if currency in STRIPE_THREE_DECIMAL:
        return 3
    if currency in STRIPE_WHOLE_UNITS_ONLY or iso == 2:
        return 2
    raise MoneyError(f"Stripe has no minor unit defined for {currency}", "unsupported_currency")


def to_stripe_amount(money: Money) -> int:
    """The integer `amount` Stripe expects for `money`, refusing what Stripe would round or reject."""
    digits = stripe_exponent(money.currency)
    scaled = money.amount.scaleb(digits)
    if scaled != scaled.to_integral_value():
        # MGA: two ISO decimals, none at Stripe; the ariary's fraction cannot be charged.
        raise MoneyError(f"{money} cannot be charged through Stripe, which takes whole units of {money.currency}", "not_chargeable")
    units = int(scaled)
    if money.currency in STRIPE_THREE_DECIMAL and units % 10:
        raise MoneyError(f"{money}: Stripe takes {money.currency} amounts in multiples of 0.010 only", "not_chargeable")
    if money.currency in STRIPE_WHOLE_UNITS_ONLY and units % 100:
        raise MoneyError(f"{money}: Stripe takes whole units of {money.currency} only", "not_chargeable")
    return units


def from_stripe_amount(units: int, currency: str) -> Money:
    """The platform's `Money` for an integer `amount` and a (lower-case) currency from Stripe."""
    if not isinstance(units, int) or isinstance(units, bool):
        raise MoneyError(f"a Stripe amount must be an integer, not {type(units).__name__}", "not_integer")
    code = currency.upper()
    return Money(Decimal(units).scaleb(-stripe_exponent(code)), code)


def stripe_currency(currency: str) -> str:
    stripe_exponent(currency)  # refuses a currency Stripe cannot take
    return currency.lower()
