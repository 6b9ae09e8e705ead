"""Full-text search on PostgreSQL: stemming, the web search syntax, the GIN index."""

import pytest
from django.db import connection, transaction

from tenders import actions
from tenders.filters import TenderFilter, public_listing
from tests.tenders import factories

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


@pytest.fixture(autouse=True)
def needs_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("full-text search runs on PostgreSQL (DATABASE_URL): it runs in CI")


def search(**params) -> list[str]:
    return [t.title for t in TenderFilter(params, queryset=public_listing()).qs]


@pytest.fixture
def tenders(officer, agency):
    road = factories.make_published(officer, agency)
    laptops = factories.make_published(
        officer, agency, factories.complete_spec(title="Laptops for schools", description="Portable computers.")
    )
    return road, laptops


def test_words_match_their_stems(tenders):
    assert search(q="resurface roads") == ["Resurfacing of the N7 between Naas and Kildare"]
    assert search(q="laptop") == ["Laptops for schools"]


def test_web_search_syntax(tenders):
    assert search(q="schools -laptops") == []
    assert sorted(search(q="laptops or resurfacing")) == ["Laptops for schools", "Resurfacing of the N7 between Naas and Kildare"]
    assert search(q='"portable computers"') == ["Laptops for schools"]


def test_the_search_document_follows_an_amendment(tenders, officer):
    road, _laptops = tenders
    actions.amend_tender(officer, road, reason="Scope.", changes={"title": "Bridge strengthening on the N7"})
    assert search(q="bridge") == ["Bridge strengthening on the N7"]


def test_best_match_ranks_the_title_above_the_description(officer, agency):
    factories.make_published(officer, agency, factories.complete_spec(title="Office furniture", description="Includes laptop stands."))
    factories.make_published(officer, agency, factories.complete_spec(title="Laptop computers", description="For offices."))
    assert search(q="laptop", ordering="relevance") == ["Laptop computers", "Office furniture"]


def test_words_and_category_use_the_gin_index(tenders):
    """On a table this small PostgreSQL would read it all: forbid that to see which index serves."""
    queryset = TenderFilter({"q": "laptops", "category": "45000000"}, queryset=public_listing()).qs.order_by()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        plan = queryset.explain()
    assert "Bitmap Index Scan on tender_search_idx" in plan
    assert "'laptop'" in plan and "'cpv45'" in plan
