"""Public statistics, from public facts only, each figure one function returning plain rows.

What counts:
- an award is public once its notice is published and while that notice stands (a notice
  cancelled after an upheld challenge takes its awards with it), and stays counted while the
  award is in force: in its standstill or confirmed;
- spend is the price of confirmed awards (the standstill over, nothing left to challenge),
  in the month of confirmation; a confirmed award the winner declined is cancelled and drops out;
- a contract is public once signed by both parties (active, completed or terminated);
- bids are counted only for tenders past their deadline (电子招标投标办法: before it no one may
  learn how many bids a tender has), never for a tender cancelled before its deadline.

Money is never added across currencies: every money figure takes one currency. Each figure is
a handful of grouped queries; nothing here loops over tenders or awards in Python.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import (
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, Left, NullIf, TruncMonth
from django.utils.translation import gettext_lazy as _

from bidding.models import Bid
from contracts.models import Contract
from evaluation.models import Award, AwardNotice
from suppliers import cpv
from suppliers.models import SME_CLASSES
from tenders.models import Item, Tender

CENT = Decimal("0.01")
TENTH = Decimal("0.1")
MOST_BIDS_SHOWN = 5  # tenders with this many bids or more share one bar


@dataclass(frozen=True)
class Period:
    """The filters every figure takes: a calendar year (None: every year) and a currency."""

    year: int | None
    currency: str


@dataclass(frozen=True)
class SpendRow:
    key: str  # the CPV division (two digits) or the agency's code
    label: str
    awards: int
    value: Decimal


@dataclass(frozen=True)
class MonthRow:
    month: date  # the first day of the month
    awards: int
    value: Decimal


@dataclass(frozen=True)
class SmeRow:
    group: str  # "sme", "large" or "undeclared"
    label: str
    awards: int
    value: Decimal
    share_of_awards: Decimal  # percent, one decimal
    share_of_value: Decimal


@dataclass(frozen=True)
class BidsRow:
    bids: int  # MOST_BIDS_SHOWN stands for "that many or more"
    label: str
    tenders: int


@dataclass(frozen=True)
class SavingsRow:
    key: str  # the agency's code; "" for the total
    label: str
    awards: int
    estimate: Decimal
    awarded: Decimal
    savings: Decimal  # estimate − awarded; negative when awards came in above the estimate
    savings_percent: Decimal | None


@dataclass(frozen=True)
class DaysRow:
    measure: str  # "award" or "contract"
    label: str
    processes: int
    mean_days: Decimal | None
    shortest_days: Decimal | None
    longest_days: Decimal | None


# The facts ---------------------------------------------------------------------------------


def public_awards():
    """Awards of published (not cancelled) notices that are in force."""
    return Award.objects.filter(notice__status=AwardNotice.Status.PUBLISHED, status__in=[Award.Status.ACTIVE, Award.Status.CONFIRMED])


def confirmed_awards():
    return public_awards().filter(status=Award.Status.CONFIRMED)


def public_contracts():
    return Contract.objects.public()


def _in_year(queryset, field: str, year: int | None):
    return queryset if year is None else queryset.filter(**{f"{field}__year": year})


def _spend(period: Period):
    return _in_year(confirmed_awards().filter(currency=period.currency), "confirmed_at", period.year)


def _money(value: Decimal | None) -> Decimal:
    return (value or Decimal(0)).quantize(CENT)


def _percent(part: Decimal | int, whole: Decimal | int) -> Decimal:
    if not whole:
        return Decimal(0).quantize(TENTH)
    return (Decimal(part) * 100 / Decimal(whole)).quantize(TENTH, rounding=ROUND_HALF_UP)


def _days(duration: timedelta | None) -> Decimal | None:
    if duration is None:
        return None
    return (Decimal(duration.total_seconds()) / 86400).quantize(TENTH, rounding=ROUND_HALF_UP)


# The filters' choices ----------------------------------------------------------------------


def currencies_in_use() -> list[str]:
    """Currencies of public awards, the most used first (ties alphabetically)."""
    rows = public_awards().values("currency").annotate(n=Count("pk")).order_by("-n", "currency")
    return [row["currency"] for row in rows]


def years_with_data() -> list[int]:
    """Years in which a notice was published or a contract signed, the latest first."""
    years = {day.year for day in AwardNotice.objects.filter(status=AwardNotice.Status.PUBLISHED).dates("published_at", "year")}
    years |= {day.year for day in public_contracts().dates("signed_at", "year")}
    return sorted(years, reverse=True)


# Spend -------------------------------------------------------------------------------------


def _division_of_tender():
    """The tender's CPV division: its main category's first two digits, else its first item's."""
    first_item = Item.objects.filter(tender=OuterRef("tender")).order_by("lot__number", "position", "pk").values("cpv")[:1]
    return Left(Coalesce(NullIf(F("tender__main_category"), Value("")), Subquery(first_item)), 2)


def division_name(division: str) -> str:
    known = cpv.get(f"{division}000000")
    return known.name if known is not None else str(_("Unclassified"))


def spend_by_division(period: Period) -> list[SpendRow]:
    rows = (
        _spend(period)
        .annotate(division=_division_of_tender())
        .values("division")
        .annotate(awards=Count("pk"), value=Sum("price"))
        .order_by("-value", "division")
    )
    return [SpendRow(row["division"] or "", division_name(row["division"] or ""), row["awards"], _money(row["value"])) for row in rows]


def spend_by_agency(period: Period) -> list[SpendRow]:
    rows = (
        _spend(period)
        .values("tender__buyer__code", "tender__buyer__name")
        .annotate(awards=Count("pk"), value=Sum("price"))
        .order_by("-value", "tender__buyer__name")
    )
    return [SpendRow(row["tender__buyer__code"].upper(), row["tender__buyer__name"], row["awards"], _money(row["value"])) for row in rows]


def spend_by_month(period: Period) -> list[MonthRow]:
    """Every month of the year (or from the first month with spend to the last), gaps as zero."""
    rows = (
        _spend(period)
        .annotate(month=TruncMonth("confirmed_at"))
        .values("month")
        .annotate(awards=Count("pk"), value=Sum("price"))
        .order_by("month")
    )
    found = {_first_of_month(row["month"]): (row["awards"], _money(row["value"])) for row in rows}
    if period.year is not None:
        first, last = date(period.year, 1, 1), date(period.year, 12, 1)
    elif found:
        first, last = min(found), max(found)
    else:
        return []
    months = []
    month = first
    while month <= last:
        awards, value = found.get(month, (0, _money(None)))
        months.append(MonthRow(month, awards, value))
        month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return months


def _first_of_month(moment: date | datetime) -> date:
    return date(moment.year, moment.month, 1)


# SME share ---------------------------------------------------------------------------------

SME_GROUPS = {"sme": _("Small and medium-sized firms"), "large": _("Large firms"), "undeclared": _("Size not declared")}


def sme_share(period: Period) -> list[SmeRow]:
    """Awards in force by the winner's size as the supplier registry holds it (EU definition)."""
    awards = _in_year(public_awards().filter(currency=period.currency), "notice__published_at", period.year)
    rows = awards.values("supplier__supplier__sme_class").annotate(awards=Count("pk"), value=Sum("price"))
    totals = {group: [0, Decimal(0)] for group in SME_GROUPS}
    for row in rows:  # one row per size class: at most five
        size = row["supplier__supplier__sme_class"]
        group = "sme" if size in SME_CLASSES else "large" if size else "undeclared"
        totals[group][0] += row["awards"]
        totals[group][1] += row["value"]
    count = sum(awards for awards, _value in totals.values())
    value = sum(value for _awards, value in totals.values())
    return [
        SmeRow(group, str(SME_GROUPS[group]), awards, _money(amount), _percent(awards, count), _percent(amount, value))
        for group, (awards, amount) in totals.items()
    ]


# Bids per tender ---------------------------------------------------------------------------


def tenders_with_public_bid_counts(now: datetime):
    """Tenders past their deadline, whose bid box's count is public: not drafts, and not
    cancelled before the deadline."""
    return (
        Tender.objects.public()
        .filter(submission_deadline__lte=now)
        .exclude(status=Tender.Status.CANCELLED, cancelled_at__lt=F("submission_deadline"))
    )


def bids_per_tender(period: Period, now: datetime) -> list[BidsRow]:
    """How many tenders received 0, 1, 2, … bids (replaced and withdrawn bids are not bids),
    by the year of their deadline."""
    entered = Bid.objects.entered().filter(tender=OuterRef("pk")).order_by().values("tender").annotate(n=Count("pk")).values("n")
    tenders = _in_year(tenders_with_public_bid_counts(now), "submission_deadline", period.year)
    rows = (
        tenders.annotate(bid_count=Coalesce(Subquery(entered, output_field=IntegerField()), 0))
        .values("bid_count")
        .annotate(tenders=Count("pk"))
        .order_by("bid_count")
    )
    counts = dict.fromkeys(range(MOST_BIDS_SHOWN + 1), 0)
    for row in rows:  # one row per distinct number of bids
        counts[min(row["bid_count"], MOST_BIDS_SHOWN)] += row["tenders"]
    if not any(counts.values()):
        return []
    return [BidsRow(bids, _bids_label(bids), tenders) for bids, tenders in counts.items()]


def _bids_label(bids: int) -> str:
    if bids == MOST_BIDS_SHOWN:
        return str(_("%(n)s or more bids") % {"n": bids})
    return str(_("%(n)s bids") % {"n": bids}) if bids != 1 else str(_("1 bid"))


def mean_bids(rows: list[BidsRow]) -> Decimal | None:
    """Bids per tender on average; the open-ended top bucket makes it a lower bound there."""
    tenders = sum(row.tenders for row in rows)
    return (Decimal(sum(row.bids * row.tenders for row in rows)) / tenders).quantize(TENTH) if tenders else None


# Savings against the estimate --------------------------------------------------------------


def savings(period: Period) -> list[SavingsRow]:
    """Per agency and in total: the estimate of each awarded lot (the lot's own, else the
    tender's when it has one lot) against the awarded price. Lots without an estimate are left out."""
    awards = (
        _in_year(public_awards().filter(currency=period.currency, tender__currency=period.currency), "notice__published_at", period.year)
        .annotate(estimate=Coalesce("lot__estimated_value", "tender__estimated_value"))
        .filter(estimate__isnull=False)
        .exclude(lot__estimated_value__isnull=True, tender__divided_into_lots=True)
    )
    rows = list(
        awards.values("tender__buyer__code", "tender__buyer__name")
        .annotate(awards=Count("pk"), estimate_total=Sum("estimate"), awarded=Sum("price"))
        .order_by("tender__buyer__name")
    )
    result = [
        _savings_row(row["tender__buyer__code"].upper(), row["tender__buyer__name"], row["awards"], row["estimate_total"], row["awarded"])
        for row in rows
    ]
    if result:
        total = awards.aggregate(awards=Count("pk"), estimate_total=Sum("estimate"), awarded=Sum("price"))
        result.append(_savings_row("", str(_("All agencies")), total["awards"], total["estimate_total"], total["awarded"]))
    return result


def _savings_row(key: str, label: str, awards: int, estimate: Decimal, awarded: Decimal) -> SavingsRow:
    estimate, awarded = _money(estimate), _money(awarded)
    saved = estimate - awarded
    return SavingsRow(key, label, awards, estimate, awarded, saved, _percent(saved, estimate) if estimate else None)


# Time to award and to contract -------------------------------------------------------------


def days_to_award_and_contract(period: Period) -> list[DaysRow]:
    """Days from a tender's publication to its first published award notice (by the notice's
    year), and to each signed contract (by the year of signature)."""
    award_notices = AwardNotice.objects.filter(status=AwardNotice.Status.PUBLISHED, kind=AwardNotice.Kind.AWARD)
    # A tender's first standing notice: none of its standing notices is earlier (an anti-join,
    # which PostgreSQL answers in one pass where a per-tender subquery took far longer).
    earlier = award_notices.filter(tender=OuterRef("tender"), published_at__lt=OuterRef("published_at"))
    to_award = (
        _in_year(award_notices, "published_at", period.year)
        .exclude(Exists(earlier))
        .annotate(days=ExpressionWrapper(F("published_at") - F("tender__published_at"), output_field=DurationField()))
    )
    contracts = _in_year(public_contracts(), "signed_at", period.year).annotate(
        days=ExpressionWrapper(F("signed_at") - F("tender__published_at"), output_field=DurationField())
    )
    return [
        _days_row("award", _("Publication to award notice"), to_award),
        _days_row("contract", _("Publication to signed contract"), contracts),
    ]


def _days_row(measure: str, label, queryset) -> DaysRow:
    # The mean is the total over the count: PostgreSQL and SQLite both sum intervals exactly.
    found = queryset.aggregate(n=Count("pk"), total=Sum("days"), shortest=Min("days"), longest=Max("days"))
    mean = found["total"] / found["n"] if found["n"] else None
    return DaysRow(measure, str(label), found["n"], _days(mean), _days(found["shortest"]), _days(found["longest"]))
