"""Newest first in recency slices (PostgreSQL): the same pages, in the same order, ties broken
the same way, as the plain sort over every match."""

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from tenders import paging, search_order
from tenders.filters import TenderFilter, public_listing
from tenders.models import Tender
from tenders.paging import SearchPaginator
from tests.tenders import factories

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

TITLES = [
    ("Resurfacing of the N7", factories.ROAD),
    ("Road markings on the N11", factories.ROAD),
    ("Roadworks in Naas", factories.ROAD),
    ("Bridge repairs at Athy", factories.BRIDGE),
    ("Road bridge over the Barrow", factories.BRIDGE),
    ("Laptops for schools", factories.LAPTOPS),
    ("Laptops for the road safety office", factories.LAPTOPS),
    ("Portable computers for inspectors", factories.LAPTOPS),
    ("Resurfacing of school yards", factories.ROAD),
    ("Winter road maintenance", factories.ROAD),
    ("Bridge inspection", factories.BRIDGE),
    ("Road signs", factories.ROAD),
]
# Hours before now at which each tender was published: every slice gets some, several share
# a moment (ties broken by id), and one has no publication time at all (NULLS FIRST).
HOURS_AGO = [0, 0, 2, 2, 2, 10, 40, 40, 200, None, 3000, 0.5]

QUERIES = [
    {"q": "road"},
    {"q": "road", "category": "45000000"},
    {"q": "laptops"},
    {"q": "laptops or bridge"},
    {"q": "road -bridge"},
    {"q": "-laptops", "category": "45000000"},
    {"q": "roadworks"},  # a category's name: its words or the category
    {"q": "the", "category": "45000000"},  # only a stop word: nothing matches
    {"category": "45200000"},
    {"category": "45000000", "method": "open"},
    {"category": "30000000", "currency": "EUR"},
    {"q": "resurfacing", "ordering": "-published"},
]


@pytest.fixture(autouse=True)
def needs_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("full-text search runs on PostgreSQL (DATABASE_URL): it runs in CI")


@pytest.fixture(autouse=True)
def slices_for_every_search(monkeypatch):
    """Beyond the few matches of these tests, so that every page here is read in slices."""
    monkeypatch.setattr(paging, "SORTED_UP_TO", 0)


@pytest.fixture
def catalogue(officer, agency):
    now = timezone.now()
    tenders = []
    for (title, code), hours in zip(TITLES, HOURS_AGO, strict=True):
        spec = factories.complete_spec(title=title, main_category=code)
        spec.lots[0].items = factories.items(code)
        tender = factories.make_published(officer, agency, spec)
        published = None if hours is None else now - timedelta(hours=hours)
        Tender.objects.filter(pk=tender.pk).update(published_at=published)
        tenders.append(tender)
    return tenders


def pages(params: dict, page_size: int) -> list[list[int]]:
    results = TenderFilter(params, queryset=public_listing()).qs
    paginator = SearchPaginator(results, page_size)
    return [[t.pk for t in paginator.page(number)] for number in paginator.page_range]


def plain_pages(params: dict, page_size: int) -> list[list[int]]:
    results = list(TenderFilter(params, queryset=public_listing()).qs.values_list("pk", flat=True))
    return [results[start : start + page_size] for start in range(0, len(results), page_size)] or [[]]


@pytest.mark.parametrize("page_size", [1, 2, 5, 20])
@pytest.mark.parametrize("params", QUERIES)
def test_the_slices_give_the_pages_of_the_plain_sort(catalogue, params, page_size):
    assert pages(params, page_size) == plain_pages(params, page_size)


def test_the_page_is_read_in_slices(catalogue):
    results = TenderFilter({"q": "road"}, queryset=public_listing()).qs
    assert search_order.is_marked(results)
    page = SearchPaginator(results, 2).page(1)
    assert "slice_1 AS MATERIALIZED" in str(page.object_list.query)


def test_ties_and_the_unpublished_tender_come_in_the_plain_order(catalogue):
    found = [t.pk for t in SearchPaginator(TenderFilter({"category": "45000000"}, queryset=public_listing()).qs, 20).page(1)]
    same_moment = sorted((catalogue[n].pk for n in (2, 3, 4)), reverse=True)
    assert found[0] == catalogue[9].pk  # never published
    assert found[1:3] == sorted((catalogue[0].pk, catalogue[1].pk), reverse=True)
    assert [pk for pk in found if pk in same_moment] == same_moment
    assert found[-1] == catalogue[10].pk


def test_other_sorts_and_references_are_not_read_in_slices(catalogue):
    by_value = TenderFilter({"q": "road", "ordering": "-value"}, queryset=public_listing()).qs
    by_reference = TenderFilter({"q": catalogue[0].reference}, queryset=public_listing()).qs
    assert not search_order.is_marked(by_value)
    assert not search_order.is_marked(by_reference)


def test_a_slice_is_one_lookup_in_the_words_and_hours_index(catalogue):
    """On a table this small PostgreSQL would read it all, or pick the words' own index: forbid
    both (the index is dropped inside the transaction only) to see the hours' index serve."""
    condition = search_order.slices(timezone.now())[2]
    queryset = TenderFilter({"q": "road"}, queryset=public_listing()).qs.filter(condition).order_by()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute("DROP INDEX tender_search_idx")
        plan = queryset.explain()
        transaction.set_rollback(True)
    assert "Bitmap Index Scan on tender_search_hour_idx" in plan
    assert "date_trunc('hour'::text, (published_at AT TIME ZONE 'UTC'::text)) >=" in plan
