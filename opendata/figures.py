"""The statistics page's figures: for each, its title, what it counts, its columns, its chart,
and the same rows as a table and as CSV. The numbers come from `opendata.statistics`."""

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from opendata import charts, statistics
from opendata.statistics import Period
from payments.ledger import spreadsheet_safe

TEXT, COUNT, MONEY, PERCENT, DAYS, MONTH = "text", "count", "money", "percent", "days", "month"


@dataclass(frozen=True)
class Column:
    header: str  # lazy: translated when the page or the CSV is made
    attribute: str
    kind: str


@dataclass(frozen=True)
class Figure:
    name: str  # the CSV's file name, and the section's id on the page
    title: str
    explanation: str
    columns: list[Column]
    rows: Callable[[Period, datetime], list]
    chart: Callable[[Period, list], str]


@dataclass(frozen=True)
class Table:
    figure: Figure
    headers: list[str]
    cells: list[list[str]]
    chart: str


def shown(value, kind: str, currency: str = "") -> str:
    """A value as a reader sees it, in the page's language."""
    if value is None:
        return "–"
    if kind == MONEY:
        return f"{formats.number_format(value, 2, use_l10n=True, force_grouping=True)} {currency}"
    if kind == PERCENT:
        return f"{formats.number_format(value, 1, use_l10n=True)} %"
    if kind == DAYS:
        return formats.number_format(value, 1, use_l10n=True)
    if kind == COUNT:
        return formats.number_format(value, 0, use_l10n=True, force_grouping=True)
    if kind == MONTH:
        return formats.date_format(value, "YEAR_MONTH_FORMAT")
    return str(value)


def raw(value, kind: str) -> str | int:
    """A value as a spreadsheet reads it: plain numbers with a point, ISO months, safe text."""
    if value is None:
        return ""
    if isinstance(value, date):
        return value.strftime("%Y-%m")
    if isinstance(value, int | Decimal):
        return str(value)
    return spreadsheet_safe(str(value))


def _money_bars(attribute: str, label: str = "label"):
    def draw(period: Period, rows: list) -> str:
        bars = [
            charts.Bar(getattr(row, label), getattr(row, attribute), shown(getattr(row, attribute), MONEY, period.currency)) for row in rows
        ]
        return charts.bar_chart(_title_for(period), bars)

    return draw


def _title_for(period: Period) -> str:
    if period.year is None:
        return _("%(currency)s, every year") % {"currency": period.currency}
    return _("%(currency)s, %(year)s") % {"currency": period.currency, "year": period.year}


def _spend_by_month_chart(period: Period, rows: list) -> str:
    columns = [
        charts.Bar(formats.date_format(row.month, "M" if period.year else "m/y"), row.value, shown(row.value, MONEY, period.currency))
        for row in rows
    ]
    return charts.column_chart(_title_for(period), columns)


def _sme_chart(period: Period, rows: list) -> str:
    by_count = [charts.Bar(row.label, row.share_of_awards, shown(row.share_of_awards, PERCENT)) for row in rows]
    by_value = [charts.Bar(row.label, row.share_of_value, shown(row.share_of_value, PERCENT)) for row in rows]
    return charts.bar_chart(_("Share of awards, %(title)s") % {"title": _title_for(period)}, by_count, show_title=True) + charts.bar_chart(
        _("Share of awarded value, %(title)s") % {"title": _title_for(period)}, by_value, show_title=True
    )


def _bids_chart(period: Period, rows: list) -> str:
    bars = [charts.Bar(row.label, Decimal(row.tenders), shown(row.tenders, COUNT)) for row in rows]
    return charts.bar_chart(_("Tenders by the number of bids received"), bars)


def _savings_chart(period: Period, rows: list) -> str:
    bars = [
        charts.Bar(row.label, row.savings_percent, shown(row.savings_percent, PERCENT)) for row in rows if row.savings_percent is not None
    ]
    return charts.bar_chart(_("Savings as a share of the estimate, %(title)s") % {"title": _title_for(period)}, bars)


def _days_chart(period: Period, rows: list) -> str:
    bars = [charts.Bar(row.label, row.mean_days, shown(row.mean_days, DAYS)) for row in rows if row.mean_days is not None]
    return charts.bar_chart(_("Mean days"), bars)


FIGURES = [
    Figure(
        "spend-by-division",
        gettext_lazy("Spend by CPV division"),
        gettext_lazy(
            "The price of confirmed awards (their standstill over), by the division (first two digits) "
            "of the tender's main CPV category, or of its first item's."
        ),
        [
            Column(gettext_lazy("Division"), "key", TEXT),
            Column(gettext_lazy("Name"), "label", TEXT),
            Column(gettext_lazy("Awards"), "awards", COUNT),
            Column(gettext_lazy("Value"), "value", MONEY),
        ],
        lambda period, now: statistics.spend_by_division(period),
        _money_bars("value"),
    ),
    Figure(
        "spend-by-agency",
        gettext_lazy("Spend by agency"),
        gettext_lazy("The price of confirmed awards, by the buying agency."),
        [
            Column(gettext_lazy("Agency code"), "key", TEXT),
            Column(gettext_lazy("Agency"), "label", TEXT),
            Column(gettext_lazy("Awards"), "awards", COUNT),
            Column(gettext_lazy("Value"), "value", MONEY),
        ],
        lambda period, now: statistics.spend_by_agency(period),
        _money_bars("value"),
    ),
    Figure(
        "spend-by-month",
        gettext_lazy("Spend by month"),
        gettext_lazy("The price of confirmed awards, by the month of confirmation."),
        [
            Column(gettext_lazy("Month"), "month", MONTH),
            Column(gettext_lazy("Awards"), "awards", COUNT),
            Column(gettext_lazy("Value"), "value", MONEY),
        ],
        lambda period, now: statistics.spend_by_month(period),
        _spend_by_month_chart,
    ),
    Figure(
        "sme-share",
        gettext_lazy("Share of awards won by small and medium-sized firms"),
        gettext_lazy(
            "Awards in force (in their standstill or confirmed) of published award notices, by the "
            "winner's size as declared to the supplier registry (EU definition), by count and by value."
        ),
        [
            Column(gettext_lazy("Winners"), "label", TEXT),
            Column(gettext_lazy("Awards"), "awards", COUNT),
            Column(gettext_lazy("Share of awards"), "share_of_awards", PERCENT),
            Column(gettext_lazy("Value"), "value", MONEY),
            Column(gettext_lazy("Share of value"), "share_of_value", PERCENT),
        ],
        lambda period, now: statistics.sme_share(period),
        _sme_chart,
    ),
    Figure(
        "bids-per-tender",
        gettext_lazy("Bids per tender"),
        gettext_lazy(
            "Tenders past their submission deadline (by its year), by the number of bids they received; "
            "replaced and withdrawn bids are not counted, and no count is given before the deadline. "
            "Every currency."
        ),
        [Column(gettext_lazy("Bids"), "label", TEXT), Column(gettext_lazy("Tenders"), "tenders", COUNT)],
        lambda period, now: statistics.bids_per_tender(period, now),
        _bids_chart,
    ),
    Figure(
        "savings",
        gettext_lazy("Savings against the estimate"),
        gettext_lazy(
            "For awards in force: the estimated value of each awarded lot less the price awarded. "
            "A negative saving is an award above its estimate; lots without an estimate are left out."
        ),
        [
            Column(gettext_lazy("Agency code"), "key", TEXT),
            Column(gettext_lazy("Agency"), "label", TEXT),
            Column(gettext_lazy("Awards"), "awards", COUNT),
            Column(gettext_lazy("Estimate"), "estimate", MONEY),
            Column(gettext_lazy("Awarded"), "awarded", MONEY),
            Column(gettext_lazy("Savings"), "savings", MONEY),
            # xgettext:no-python-format
            Column(gettext_lazy("Savings (% of estimate)"), "savings_percent", PERCENT),
        ],
        lambda period, now: statistics.savings(period),
        _savings_chart,
    ),
    Figure(
        "days-to-award",
        gettext_lazy("Days from publication to award and to contract"),
        gettext_lazy(
            "From a tender's publication to its first published award notice, and to each contract "
            "signed by both parties (by the year of the notice or of the signature). Every currency."
        ),
        [
            Column(gettext_lazy("Measure"), "label", TEXT),
            Column(gettext_lazy("Processes"), "processes", COUNT),
            Column(gettext_lazy("Mean days"), "mean_days", DAYS),
            Column(gettext_lazy("Shortest"), "shortest_days", DAYS),
            Column(gettext_lazy("Longest"), "longest_days", DAYS),
        ],
        lambda period, now: statistics.days_to_award_and_contract(period),
        _days_chart,
    ),
]
BY_NAME = {figure.name: figure for figure in FIGURES}


def table(figure: Figure, period: Period, now: datetime) -> Table:
    rows = figure.rows(period, now)
    cells = [[shown(getattr(row, column.attribute), column.kind, period.currency) for column in figure.columns] for row in rows]
    return Table(figure, [str(column.header) for column in figure.columns], cells, figure.chart(period, rows) if rows else "")


def csv_text(figure: Figure, period: Period, now: datetime) -> str:
    """The figure as CSV, with a byte-order mark so that spreadsheets read it as UTF-8; money
    columns carry their currency in the header."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow([_header(column, period) for column in figure.columns])
    for row in figure.rows(period, now):
        writer.writerow([raw(getattr(row, column.attribute), column.kind) for column in figure.columns])
    return out.getvalue()


def _header(column: Column, period: Period) -> str:
    return f"{column.header} ({period.currency})" if column.kind == MONEY else str(column.header)
