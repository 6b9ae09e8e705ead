"""Charts drawn on the server as SVG: no script, readable on a 390 px phone (the drawing scales
to its box through its viewBox), and labelled for screen readers (`role="img"` with a title and
a description; the page shows the same figures as a table under each chart).

Every text placed in the drawing goes through `format_html`, so a name can never become markup.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

# Drawing units: 400 wide keeps 14-unit text at about 12.5 px on a 390 px phone, and the
# page caps the chart's width so that on a desktop it grows only by about a quarter.
WIDTH = 400
LONGEST_LABEL = 46  # characters; a longer label is cut with an ellipsis (whole in the table below)
BAR_HEIGHT = 22
BAR_GAP = 10
LABEL_HEIGHT = 16  # each bar's label sits on its own line above the bar: long names need no room beside it
TOP = 8
COLUMN_AREA = 180


@dataclass(frozen=True)
class Bar:
    label: str
    value: Decimal
    shown: str  # the value as the reader sees it, e.g. "1,234.00 EUR" or "42.5 %"


def _short(label: str) -> str:
    return label if len(label) <= LONGEST_LABEL else f"{label[: LONGEST_LABEL - 1].rstrip()}…"


def _fraction(value: Decimal, largest: Decimal) -> float:
    # Drawing coordinates only: the figures themselves stay Decimal in the table and the CSV.
    return float(value / largest) if largest else 0.0


def bar_chart(title: str, bars: list[Bar], *, description: str = "", show_title: bool = False) -> SafeString:
    """Horizontal bars, one per row, with their label above and value beside. Negative values
    (an award above its estimate) extend left of a zero line. `show_title` writes the title
    above the bars too, where two charts of one figure stand one above the other."""
    if not bars:
        return mark_safe("")
    top = TOP + (24 if show_title else 0)
    largest = max(abs(bar.value) for bar in bars)
    has_negative = any(bar.value < 0 for bar in bars)
    zero = WIDTH * 0.3 if has_negative else 0.0
    room = (WIDTH - zero) * 0.62  # the rest holds the value written beside the longest bar
    row = LABEL_HEIGHT + BAR_HEIGHT + BAR_GAP
    height = top + row * len(bars)
    shapes = [format_html('<text x="0" y="{}" class="chart-title">{}</text>', TOP + 12, title)] if show_title else []
    for index, bar in enumerate(bars):
        y = top + index * row
        length = _fraction(abs(bar.value), largest) * (room if bar.value >= 0 else zero * 0.9)
        x = zero if bar.value >= 0 else zero - length
        value_x = zero + length + 6 if bar.value >= 0 else zero + 6
        shapes.append(
            format_html(
                '<text x="{}" y="{}" class="chart-label">{}</text>'
                '<rect x="{}" y="{}" width="{}" height="{}" class="chart-bar{}"/>'
                '<text x="{}" y="{}" class="chart-value">{}</text>',
                0,
                y + LABEL_HEIGHT - 4,
                _short(bar.label),
                f"{x:.1f}",
                y + LABEL_HEIGHT,
                f"{max(length, 1.0):.1f}",
                BAR_HEIGHT,
                " negative" if bar.value < 0 else "",
                f"{value_x:.1f}",
                y + LABEL_HEIGHT + BAR_HEIGHT - 6,
                bar.shown,
            )
        )
    if has_negative:
        shapes.append(format_html('<line x1="{}" y1="{}" x2="{}" y2="{}" class="chart-axis"/>', zero, top, zero, height))
    return _svg(title, description, height, shapes)


def column_chart(title: str, columns: list[Bar], *, description: str = "") -> SafeString:
    """Vertical columns over time (one per month), labelled under the axis; the values are in
    the table below, the tallest column is marked with its value."""
    if not columns:
        return mark_safe("")
    largest = max((column.value for column in columns), default=Decimal(0))
    slot = WIDTH / len(columns)
    width = min(slot * 0.7, 40)
    base = TOP + 20 + COLUMN_AREA
    shapes = [format_html('<line x1="0" y1="{}" x2="{}" y2="{}" class="chart-axis"/>', base, WIDTH, base)]
    every = -(-len(columns) // 12)  # at most twelve labels under the axis
    for index, column in enumerate(columns):
        height = _fraction(max(column.value, Decimal(0)), largest) * COLUMN_AREA
        x = index * slot + (slot - width) / 2
        shapes.append(
            format_html(
                '<rect x="{}" y="{}" width="{}" height="{}" class="chart-bar"><title>{}: {}</title></rect>'
                '<text x="{}" y="{}" class="chart-tick" text-anchor="middle">{}</text>',
                f"{x:.1f}",
                f"{base - height:.1f}",
                f"{width:.1f}",
                f"{height:.1f}",
                column.label,
                column.shown,
                f"{x + width / 2:.1f}",
                base + 18,
                column.label if index % every == 0 else "",
            )
        )
        if largest and column.value == largest:
            shapes.append(
                format_html(
                    '<text x="{}" y="{}" class="chart-value" text-anchor="middle">{}</text>',
                    f"{min(max(x + width / 2, 60), WIDTH - 60):.1f}",
                    f"{base - height - 6:.1f}",
                    column.shown,
                )
            )
    return _svg(title, description, base + 26, shapes)


def _svg(title: str, description: str, height: float, shapes: list[SafeString]) -> SafeString:
    return format_html(
        '<svg class="chart" role="img" viewBox="0 0 {} {}" width="100%" preserveAspectRatio="xMinYMin meet"'
        ' xmlns="http://www.w3.org/2000/svg"><title>{}</title><desc>{}</desc>{}</svg>',
        WIDTH,
        f"{height:.0f}",
        title,
        description,
        format_html_join("", "{}", ((shape,) for shape in shapes)),
    )
