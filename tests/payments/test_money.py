from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from payments.money import (
    ISO_EXPONENTS,
    STRIPE_THREE_DECIMAL,
    STRIPE_ZERO_DECIMAL,
    Money,
    MoneyError,
    exponent,
    from_stripe_amount,
    quantize,
    stripe_exponent,
    to_stripe_amount,
)

# Currencies Stripe takes, one of each kind of minor unit.
STRIPE_CURRENCIES = ["EUR", "USD", "CNY", "GBP", "JPY", "KRW", "VND", "CLP", "KWD", "BHD", "JOD", "OMR", "TND", "ISK", "HUF"]
LEDGER_CURRENCIES = [*STRIPE_CURRENCIES, "IQD", "LYD", "CLF", "MGA", "UGX"]


def stripe_money():
    """Amounts Stripe can charge exactly, in each kind of currency."""

    def build(currency: str, units: int) -> Money:
        if currency in STRIPE_THREE_DECIMAL:
            units *= 10  # Stripe's three-decimal amounts end in 0
        if currency == "ISK":
            units *= 100  # whole krónur, two decimals in Stripe's API
        return Money(Decimal(units).scaleb(-stripe_exponent(currency)), currency)

    return st.builds(build, st.sampled_from(STRIPE_CURRENCIES), st.integers(min_value=1, max_value=99_999_999))


@given(stripe_money())
def test_stripe_amount_round_trip_is_exact(money):
    units = to_stripe_amount(money)
    assert isinstance(units, int)
    assert from_stripe_amount(units, money.currency.lower()) == money


@given(st.sampled_from(LEDGER_CURRENCIES), st.integers(min_value=-(10**15), max_value=10**15))
def test_ledger_minor_units_round_trip_is_exact(currency, minor):
    money = Money.from_minor(minor, currency)
    assert money.minor == minor
    assert Money(money.amount, currency) == money


@given(
    st.sampled_from(LEDGER_CURRENCIES), st.decimals(min_value=-(10**9), max_value=10**9, allow_nan=False, allow_infinity=False, places=6)
)
def test_quantize_then_money_never_loses_more_than_half_a_minor_unit(currency, amount):
    exact = quantize(amount, currency)
    money = Money(exact, currency)
    assert abs(money.amount - amount) <= Decimal(1).scaleb(-exponent(currency)) / 2
    assert Money.from_minor(money.minor, currency) == money


@pytest.mark.parametrize(
    ("amount", "currency", "stripe_units", "ledger_minor"),
    [
        ("10.00", "EUR", 1000, 1000),
        ("500", "JPY", 500, 500),
        ("50000", "KRW", 50000, 50000),
        ("5.120", "KWD", 5120, 5120),
        ("1500", "ISK", 150000, 1500),  # no minor unit in ISO 4217, two decimals at Stripe
        ("700", "MGA", 700, 70000),  # two decimals in ISO 4217, none at Stripe
    ],
)
def test_minor_units_follow_each_side_table(amount, currency, stripe_units, ledger_minor):
    money = Money(Decimal(amount), currency)
    assert to_stripe_amount(money) == stripe_units
    assert money.minor == ledger_minor


@pytest.mark.parametrize(
    ("amount", "currency", "code"),
    [
        ("5.125", "KWD", "not_chargeable"),  # Stripe's three-decimal amounts end in 0
        ("700.50", "MGA", "not_chargeable"),  # Stripe takes whole ariary
    ],
)
def test_amount_stripe_cannot_charge_exactly_is_refused_not_rounded(amount, currency, code):
    with pytest.raises(MoneyError) as error:
        to_stripe_amount(Money(Decimal(amount), currency))
    assert error.value.code == code


def test_more_decimals_than_the_currency_has_is_refused():
    with pytest.raises(MoneyError, match="quantize it first"):
        Money(Decimal("10.005"), "EUR")
    with pytest.raises(MoneyError):
        Money(Decimal("1.5"), "JPY")


def test_float_is_never_money():
    with pytest.raises(MoneyError) as error:
        Money(10.1, "EUR")
    assert error.value.code == "not_decimal"


def test_unknown_or_unpayable_currency_is_refused():
    for code in ("EURO", "XAU", "XTS", "ZZZ"):
        with pytest.raises(MoneyError):
            Money(Decimal("1"), code)


def test_different_currencies_do_not_add():
    with pytest.raises(MoneyError):
        Money(Decimal("1"), "EUR") + Money(Decimal("1"), "USD")


def test_zero_decimal_tables_agree_where_they_overlap():
    for code in STRIPE_ZERO_DECIMAL - {"MGA"}:
        assert ISO_EXPONENTS[code] == 0
    for code in STRIPE_THREE_DECIMAL:
        assert ISO_EXPONENTS[code] == 3


def test_currency_stripe_has_no_table_for_is_refused_at_the_stripe_boundary():
    with pytest.raises(MoneyError) as error:
        to_stripe_amount(Money(Decimal("1.000"), "IQD"))
    assert error.value.code == "unsupported_currency"
