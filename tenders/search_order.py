"""A newest-first page of a full-text search, read in recency slices.

The GIN index finds the matches of a word, not their order: for a word that tens of thousands
of tenders carry, the newest 20 can only be chosen after reading every match's publication time
from the table, and that grows with the table. Read newest first instead, in slices that widen
fourfold (published in the current hour, in the last 3 hours, 15, 63; then all), each one index
lookup of the words together with the hour of publication (migration 0006), and stop at the
first slice that holds the page: a slice is read only when the one before it holds fewer
matches than the page needs. A frequent word's page then reads the tenders of a few recent
hours, however many match in all; a rarer word's reaches the last slice, which reads its few
matches as before.

It stays one SQL statement: each slice is a materialised CTE gated by the count of the one
before (a false gate skips the slice unread), and the page itself is the ordinary query
restricted to the ids the slices found, so its order, its ties (-published_at, -pk) and its
columns are exactly those of the plain sort. Tenders without a publication time come first, as
NULLS FIRST puts them there, from their own small slice. Only PostgreSQL's searches take this
path.
"""

from datetime import UTC, datetime, timedelta

from django.db.models import BooleanField, Q, QuerySet
from django.db.models.expressions import RawSQL

# The last day, then the last week (whole hours, the current one included), then all.
SLICE_HOURS = (24, 168)
NEWEST_FIRST = ("-published_at", "-pk")
# As in the index of migration 0006, so that the slice is one lookup in it.
PUBLISHED_HOUR = "date_trunc('hour', \"tenders_tender\".\"published_at\" AT TIME ZONE 'UTC')"


def mark(queryset: QuerySet) -> QuerySet:
    """Say that the queryset's newest-first page may be read in slices (its filters look words
    or a category up in the search document)."""
    queryset = queryset.all()
    queryset.query.read_in_recency_slices = True
    return queryset


def is_marked(queryset: QuerySet) -> bool:
    query = queryset.query
    return getattr(query, "read_in_recency_slices", False) and tuple(query.order_by) == NEWEST_FIRST


def slice_starts(now: datetime) -> list[datetime]:
    """The first hour of each timed slice (UTC, without time zone, as the index holds it)."""
    this_hour = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0, tzinfo=None)
    return [this_hour - timedelta(hours=hours - 1) for hours in SLICE_HOURS]


def slices(now: datetime) -> list[Q | RawSQL | None]:
    """What each slice adds to the search, in reading order: the tenders never published, then
    those published since each start (each slice holds the ones before it), then all."""
    since = [RawSQL(f"{PUBLISHED_HOUR} >= %s", (start,), output_field=BooleanField()) for start in slice_starts(now)]  # noqa: S611 (a constant expression)
    return [Q(published_at__isnull=True), *since, None]


def first_rows(queryset: QuerySet, top: int, now: datetime) -> QuerySet:
    """The queryset restricted to the ids of its newest `top` rows (and maybe more), found in slices."""
    ctes, params = [], []
    for number, condition in enumerate(slices(now)):
        rows = queryset if condition is None else queryset.filter(condition)
        sql, slice_params = rows.order_by(*NEWEST_FIRST).values_list("pk", flat=True)[:top].query.get_compiler(queryset.db).as_sql()
        if number:
            # Read only while the unpublished tenders and every timed slice before hold fewer
            # than the page: each slice holds the ones before it, so a skipped slice means an
            # earlier one held enough.
            before = [f"(SELECT count(*) FROM slice_{earlier})" for earlier in range(1, number)] or ["0"]  # noqa: S608 (compiled SQL and fixed names)
            gate = " AND ".join(f"(SELECT count(*) FROM slice_0) + {count} < %s" for count in before)  # noqa: S608 (compiled SQL and fixed names)
            sql = f"SELECT * FROM ({sql}) AS found WHERE {gate}"  # noqa: S608 (compiled SQL and fixed names)
            slice_params = (*slice_params, *[top] * len(before))
        ctes.append(f"slice_{number} AS MATERIALIZED ({sql})")
        params.extend(slice_params)
    union = " UNION ALL ".join(f"SELECT * FROM slice_{number}" for number in range(len(ctes)))  # noqa: S608 (compiled SQL and fixed names)
    return queryset.filter(pk__in=RawSQL(f"WITH {', '.join(ctes)} {union}", params))  # noqa: S611 (compiled from the queryset)
