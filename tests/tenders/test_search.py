from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tenders import actions
from tests import factories as people
from tests.tenders import factories

pytestmark = pytest.mark.django_db


def found(api_client, **params) -> list[str]:
    response = api_client.get("/api/v1/tenders/", params)
    assert response.status_code == 200, response.content
    return [t["reference"] for t in response.json()["results"]]


@pytest.fixture
def road(officer, agency):
    return factories.make_published(officer, agency)


@pytest.fixture
def laptops(officer, agency):
    spec = factories.complete_spec(
        title="Laptops for primary schools",
        description="Portable computers with three years of warranty.",
        main_category=factories.LAPTOPS,
        method="rfq",
        currency="USD",
        estimated_value=Decimal("90000"),
        submission_deadline=timezone.now() + timedelta(days=5),
        clarification_deadline=timezone.now() + timedelta(days=2),
    )
    spec.lots[0].items = factories.items(factories.LAPTOPS)
    return factories.make_published(officer, agency, spec)


@pytest.fixture
def bridges(other_officer, other_agency):
    return factories.make_published(other_officer, other_agency, factories.lots_spec(title="Bridge and road repairs"))


def test_drafts_never_appear(api_client, road, draft):
    assert found(api_client) == [road.reference]


def test_category_matches_its_descendants(api_client, road, laptops, bridges):
    assert set(found(api_client, category="45000000")) == {road.reference, bridges.reference}
    assert found(api_client, category="30200000") == [laptops.reference]


def test_category_matches_an_items_category(api_client, bridges, road):
    assert found(api_client, category=factories.BRIDGE) == [bridges.reference]


def test_category_follows_an_amendment(api_client, road, officer):
    actions.amend_tender(officer, road, reason="Reclassified.", changes={"main_category": "71631450"})
    assert found(api_client, category="71600000") == [road.reference]
    assert found(api_client, category="45233000") == [road.reference]  # its items are still roadworks
    assert found(api_client, category="45221111") == []


def test_an_unknown_category_is_a_clear_error(api_client, db):
    response = api_client.get("/api/v1/tenders/", {"category": "99999999"})
    assert response.status_code == 400
    assert response.json()["errors"] == [{"field": "category", "code": "unknown_cpv", "message": "99999999 is not a CPV 2008 code."}]


def test_buyer_method_currency_and_value(api_client, road, laptops, bridges, other_agency):
    assert found(api_client, buyer=other_agency.pk) == [bridges.reference]
    assert found(api_client, method="rfq") == [laptops.reference]
    assert found(api_client, currency="USD") == [laptops.reference]
    assert found(api_client, min_value="100000", max_value="1100000") == [bridges.reference]


def test_deadline_window_counts_whole_days(api_client, road, laptops):
    day = timezone.localdate(laptops.submission_deadline)
    assert found(api_client, deadline_from=day.isoformat(), deadline_to=day.isoformat()) == [laptops.reference]
    assert found(api_client, deadline_from=(day + timedelta(days=1)).isoformat()) == [road.reference]


def test_lots_and_sme_reserved(api_client, road, bridges):
    assert found(api_client, has_lots="true") == [bridges.reference]
    assert found(api_client, has_lots="false") == [road.reference]
    assert found(api_client, sme_reserved="true") == [bridges.reference]
    assert found(api_client, sme_reserved="false") == [road.reference]


def test_words_find_title_and_description(api_client, road, laptops):
    assert found(api_client, q="laptops") == [laptops.reference]
    assert found(api_client, q="warranty computers") == [laptops.reference]
    assert found(api_client, q="resurfacing") == [road.reference]
    assert found(api_client, q="submarine") == []


def test_a_reference_is_found_whole(api_client, road, laptops):
    assert found(api_client, q=laptops.reference.lower()) == [laptops.reference]


def test_status_reads_the_clock(api_client, road, laptops):
    with time_machine.travel(laptops.submission_deadline + timedelta(seconds=1)):
        assert found(api_client, status="published") == [road.reference]
        assert found(api_client, status="closed") == [laptops.reference]
    with time_machine.travel(laptops.submission_deadline - timedelta(seconds=1)):
        assert set(found(api_client, status="published")) == {road.reference, laptops.reference}


def test_status_as_the_api_shows_it_reads_the_clock(api_client, laptops):
    with time_machine.travel(laptops.submission_deadline + timedelta(seconds=1)):
        [result] = api_client.get("/api/v1/tenders/").json()["results"]
    assert result["status"] == "closed"


def test_cancelled_tenders_are_found_by_status(api_client, road, laptops, officer):
    actions.cancel_tender(officer, road, reason="Withdrawn.")
    assert found(api_client, status="cancelled") == [road.reference]


def test_sorting(api_client, road, laptops, bridges):
    assert found(api_client, ordering="deadline")[0] == laptops.reference
    assert found(api_client, ordering="-value") == [road.reference, bridges.reference, laptops.reference]
    assert found(api_client, ordering="value") == [laptops.reference, bridges.reference, road.reference]
    assert found(api_client) == [bridges.reference, laptops.reference, road.reference]  # newest first


def test_pagination(api_client, officer, agency):
    for _ in range(5):
        factories.make_published(officer, agency)
    page = api_client.get("/api/v1/tenders/", {"page_size": 2, "page": 3}).json()
    assert page["count"] == 5 and len(page["results"]) == 1 and page["next"] is None


def test_search_page_paginates_with_the_filters_kept(public, officer, agency):
    for _ in range(3):
        factories.make_published(officer, agency)
    text = public.get("/tenders/", {"page_size": 10, "method": "open"}).text
    assert "3 tenders found" in text
    text = public.get("/tenders/", {"page_size": 10, "method": "rfq"}).text
    assert "0 tenders found" in text


def many_tenders(count: int, officer, agency):
    spec = factories.lots_spec()
    for _ in range(count):
        factories.make_published(officer, agency, spec)


@pytest.mark.parametrize("path", ["/api/v1/tenders/", "/tenders/"])
def test_queries_per_page_do_not_grow_with_the_page_size(client, officer, agency, path):
    many_tenders(12, officer, agency)
    people.make_agency(name="Another Ministry", code="anm")
    params = {"category": "45000000", "min_value": "10", "q": "resurfacing"}
    counts = []
    for size in (2, 10):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path, params | {"page_size": size})
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_tender_detail_queries_do_not_grow_with_lots_and_documents(api_client, officer, agency):
    from tests.tenders.test_documents import PDF, upload

    small = factories.make_draft(officer, agency)
    actions.upload_document(officer, small, upload("d.pdf", PDF), title="Document")
    actions.publish_tender(officer, small)
    big = factories.make_draft(officer, agency, factories.lots_spec())
    for n in range(3):
        actions.upload_document(officer, big, upload(f"d{n}.pdf", PDF), title=f"Document {n}")
    actions.publish_tender(officer, big)
    counts = []
    for tender in (small, big):
        with CaptureQueriesContext(connection) as queries:
            assert api_client.get(f"/api/v1/tenders/{tender.pk}/").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_counting_stops_at_the_limit_and_says_so(api_client, public, officer, agency, monkeypatch):
    from tenders import paging

    monkeypatch.setattr(paging, "RESULTS_LIMIT", 3)
    for _ in range(4):
        factories.make_published(officer, agency)
    data = api_client.get("/api/v1/tenders/", {"page_size": 2}).json()
    assert (data["count"], data["count_limited"], len(data["results"])) == (3, True, 2)
    assert api_client.get("/api/v1/tenders/", {"page_size": 2, "page": 3}).status_code == 404
    assert "More than 3 tenders found" in public.get("/tenders/").text


def test_a_count_under_the_limit_is_exact(api_client, road, laptops):
    data = api_client.get("/api/v1/tenders/").json()
    assert (data["count"], data["count_limited"]) == (2, False)


def test_the_filter_form_escapes_and_keeps_the_choices(public, other_agency):
    from marketplace.models import Organisation

    Organisation.objects.filter(pk=other_agency.pk).update(name='Ministry <script>alert("x")</script>')
    text = public.get(
        "/tenders/", {"buyer": other_agency.pk, "status": ["published", "closed"], "currency": "EUR", "has_lots": "true"}
    ).text
    assert "<script>alert" not in text and "Ministry &lt;script&gt;" in text
    assert f'<option value="{other_agency.pk}" selected>' in text and '<option value="EUR" selected>' in text
    assert 'value="published" id="id_status_0" checked' in text and 'value="closed" id="id_status_1" checked' in text
    assert '<option value="true" selected>' in text


def test_a_word_finds_the_tenders_whose_category_it_names(api_client, officer, agency, laptops):
    quiet = factories.make_published(officer, agency, factories.complete_spec(title="Surface renewal", description="Milling and paving."))
    assert found(api_client, q="roadworks") == [quiet.reference]
    assert found(api_client, q="portable") == [laptops.reference]  # "Portable computers"


def test_a_word_that_names_too_many_categories_is_searched_as_a_word_only(api_client, road):
    from tenders.filters import MAX_NAMED_CATEGORIES, _categories_named

    assert _categories_named("services") == [] and len(_categories_named("roadworks")) <= MAX_NAMED_CATEGORIES


def test_cpv_words_match_the_start_of_words_only(api_client, db):
    from suppliers import cpv

    names = [entry.name.lower() for entry in cpv.search("road", limit=1000)]
    assert "roadworks" in names and not any("broadcast" in name for name in names)
    rows = api_client.get("/api/v1/cpv/", {"q": "road"}).json()
    rows = rows["results"] if isinstance(rows, dict) else rows
    assert not any("broadcast" in row["name"].lower() for row in rows)


def test_the_picker_value_with_the_name_is_taken_as_its_code(api_client, road, laptops):
    assert found(api_client, category="45233140 Roadworks") == [road.reference]


def test_a_minimum_above_the_maximum_is_a_clear_error(api_client, client, road):
    answer = api_client.get("/api/v1/tenders/", {"min_value": "500", "max_value": "100"})
    assert answer.status_code == 400 and "maximum is below the minimum" in answer.content.decode()
    page = client.get("/tenders/", {"min_value": "500", "max_value": "100"})
    assert page.status_code == 400 and "The maximum is below the minimum." in page.content.decode()


@pytest.mark.parametrize("path", ["/tenders/", "/awards/", "/suppliers/directory/", "/contracts/"])
def test_every_filter_says_any_for_no_choice(client, path, db):
    page = client.get(path).content.decode()
    assert "---------" not in page


def test_a_tender_is_found_by_its_reference_in_the_address(client, road, draft):
    answer = client.get(f"/tenders/{road.reference.lower()}/")
    assert answer.status_code == 302 and answer["Location"] == f"/tenders/{road.pk}/"
    assert f'href="/tenders/{road.reference}/"' in client.get(f"/tenders/{road.pk}/").content.decode()
    assert client.get("/tenders/XYZ-2026-9999/").status_code == 404
