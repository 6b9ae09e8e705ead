"""The arithmetic of the evaluation: means, technical and price scores, ranking, abnormally low
prices. Pure functions of plain values, so the report can show each figure and the formula.

Technical score (weighted scoring): for each criterion the mean of the evaluators' scores,
normalised to the criterion's weight, summed:

    technical = Σ_c  mean_c ÷ max_score_c × weight_c          (0 … 100 − price weight)

Price score: lowest qualified price of the lot ÷ bid price × price weight (0 … price weight).
Total = technical + price. Figures are rounded half-up to 4 decimal places before they are
compared, so the ranking follows exactly the figures the report shows. Ties are broken by the
technical score (higher first), then by the time of receipt (earlier first). With the lowest
price method the lowest price ranks first and ties go to the earlier receipt.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext_lazy

PLACES = Decimal("0.0001")
HUNDRED = Decimal(100)

TECHNICAL_FORMULA = "technical = Σ (mean score ÷ highest score × criterion weight)"
PRICE_FORMULA = "price score = lowest qualified price ÷ bid price × price weight"
TOTAL_FORMULA = "total = technical + price score; ties: higher technical, then earlier receipt"
LOWEST_PRICE_RULE = "lowest qualified price wins; ties: earlier receipt"
# The signed documents keep the rules in English, as written; pages show them in the reader's language.
RULE_TEXT = {
    TECHNICAL_FORMULA: gettext_lazy("technical = Σ (mean score ÷ highest score × criterion weight)"),
    PRICE_FORMULA: gettext_lazy("price score = lowest qualified price ÷ bid price × price weight"),
    TOTAL_FORMULA: gettext_lazy("total = technical + price score; ties: higher technical, then earlier receipt"),
    LOWEST_PRICE_RULE: gettext_lazy("lowest qualified price wins; ties: earlier receipt"),
}


def rounded(value: Decimal) -> Decimal:
    return value.quantize(PLACES, rounding=ROUND_HALF_UP)


def mean(values: Iterable[Decimal]) -> Decimal:
    values = list(values)
    if not values:
        raise ValueError("the mean of no values")
    return rounded(sum(values, Decimal(0)) / len(values))


@dataclass(frozen=True)
class CriterionWeight:
    criterion_id: int
    weight: int
    max_score: int


def technical_score(criteria: Iterable[CriterionWeight], means: dict[int, Decimal]) -> Decimal:
    """Σ mean ÷ max × weight over the criteria; every criterion must have its mean."""
    total = Decimal(0)
    for criterion in criteria:
        total += means[criterion.criterion_id] / Decimal(criterion.max_score) * Decimal(criterion.weight)
    return rounded(total)


def price_score(lowest: Decimal, price: Decimal, price_weight: int) -> Decimal:
    """Defined for every price: the opening now rejects a price that is not greater than zero,
    but an older opening may have read one out, and the award must still go ahead. The lowest
    price gets the whole weight (also when it is zero); against a lowest price of zero or less,
    any higher price gets none."""
    if price <= lowest:
        return rounded(Decimal(price_weight))
    if lowest <= 0:
        return rounded(Decimal(0))
    return rounded(lowest / price * Decimal(price_weight))


@dataclass(frozen=True)
class Entry:
    """One bid competing for one lot."""

    bid_id: str
    received_at: datetime
    price: Decimal
    technical: Decimal | None = None


@dataclass(frozen=True)
class Ranked:
    entry: Entry
    rank: int
    price_score: Decimal | None = None
    total: Decimal | None = None
    tie_broken_by: str = ""  # "", "technical" or "receipt": what separated it from the bid ranked just above


@dataclass(frozen=True)
class PriceCheck:
    mean: Decimal
    threshold: Decimal
    flagged: frozenset[str] = field(default_factory=frozenset)


def rank_lowest_price(entries: Iterable[Entry]) -> list[Ranked]:
    ordered = sorted(entries, key=lambda e: (e.price, e.received_at))
    ranked = []
    for position, entry in enumerate(ordered, start=1):
        tie = "receipt" if position > 1 and ordered[position - 2].price == entry.price else ""
        ranked.append(Ranked(entry, position, tie_broken_by=tie))
    return ranked


def rank_weighted(entries: Iterable[Entry], price_weight: int) -> list[Ranked]:
    entries = list(entries)
    if not entries:
        return []
    lowest = min(e.price for e in entries)
    scored = []
    for entry in entries:
        if entry.technical is None:
            raise ValueError(f"bid {entry.bid_id} has no technical score")
        points = price_score(lowest, entry.price, price_weight)
        scored.append((entry, points, rounded(entry.technical + points)))
    scored.sort(key=lambda s: (-s[2], -s[0].technical, s[0].received_at))
    ranked = []
    for position, (entry, points, total) in enumerate(scored, start=1):
        tie = ""
        if position > 1:
            above, _points, above_total = scored[position - 2]
            if above_total == total:
                tie = "receipt" if above.technical == entry.technical else "technical"
        ranked.append(Ranked(entry, position, points, total, tie))
    return ranked


def check_prices(prices: dict[str, Decimal], percent: int) -> PriceCheck | None:
    """Flag the prices strictly under `percent`% of the mean of the qualified prices of a lot."""
    if not prices:
        return None
    total = sum(prices.values(), Decimal(0))
    average = rounded(total / len(prices))
    threshold = rounded(total * Decimal(percent) / (HUNDRED * len(prices)))  # from the exact mean, not the rounded one
    return PriceCheck(average, threshold, frozenset(bid for bid, price in prices.items() if price < threshold))
