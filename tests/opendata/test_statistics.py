"""Public statistics, computed from awards made out of real sealed bids."""

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine

from bidding.actions import withdraw_bid
from evaluation import actions
from evaluation.models import Challenge
from opendata import statistics
from opendata.statistics import Period
from suppliers.models import Supplier
from tenders.actions import cancel_tender
from tests.contracts.conftest import english_pdf, quick_documents  # noqa: F401
from tests.contracts.helpers import confirm_award, signed_by_both
from tests.evaluation import helpers as h

pytestmark = pytest.mark.django_db

EUR = Period(year=None, currency="EUR")


@pytest.fixture
def two_awards(officer, evaluator, deadline, firms, supplier_org_b):
    """Alpha (small) wins the first tender at 240,000 against an estimate of 250,000; Beta
    (large) wins the second at 300,000 against the same estimate. Both confirmed."""
    Supplier.objects.filter(organisation=supplier_org_b).update(sme_class="large")
    first, first_award, travel, _clock = confirm_award(officer, evaluator, deadline, firms, prices=("240000.00", "260000.00"))
    travel.stop()
    later = deadline + timedelta(days=30)
    with time_machine.travel(first_award.confirmed_at + timedelta(minutes=1), tick=False):
        second, second_award, travel, _clock = confirm_award(
            officer, evaluator, later, [firms[1], firms[0]], prices=("300000.00", "310000.00")
        )
    travel.stop()
    return (first, first_award), (second, second_award)


def test_spend_by_division_and_agency_adds_confirmed_awards(two_awards):
    [division] = statistics.spend_by_division(EUR)
    assert (division.key, division.awards, division.value) == ("45", 2, Decimal("540000.00"))
    assert division.label == "Construction work"
    [agency] = statistics.spend_by_agency(EUR)
    assert (agency.key, agency.label, agency.awards, agency.value) == ("MOT", "Ministry of Tests", 2, Decimal("540000.00"))


def test_spend_by_month_puts_each_award_in_its_month_of_confirmation(two_awards):
    (_first, award_a), (_second, award_b) = two_awards
    months = statistics.spend_by_month(EUR)
    spent = {(row.month.year, row.month.month): row.value for row in months if row.awards}
    expected = {}
    for award in (award_a, award_b):
        month = (award.confirmed_at.year, award.confirmed_at.month)
        expected[month] = expected.get(month, Decimal(0)) + award.price
    assert spent == expected
    assert statistics.spend_by_month(Period(year=award_a.confirmed_at.year, currency="EUR"))[0].month.month == 1


def test_money_of_another_currency_is_never_added(two_awards):
    assert statistics.spend_by_agency(Period(year=None, currency="USD")) == []
    assert statistics.currencies_in_use() == ["EUR"]


def test_sme_share_by_count_and_by_value(two_awards):
    rows = {row.group: row for row in statistics.sme_share(EUR)}
    assert (rows["sme"].awards, rows["sme"].share_of_awards) == (1, Decimal("50.0"))
    assert (rows["sme"].value, rows["sme"].share_of_value) == (Decimal("240000.00"), Decimal("44.4"))
    assert (rows["large"].value, rows["large"].share_of_value) == (Decimal("300000.00"), Decimal("55.6"))
    assert rows["undeclared"].awards == 0


def test_savings_are_the_estimate_less_the_awarded_price(two_awards):
    agency, total = statistics.savings(EUR)
    assert (agency.estimate, agency.awarded, agency.savings) == (Decimal("500000.00"), Decimal("540000.00"), Decimal("-40000.00"))
    assert agency.savings_percent == Decimal("-8.0")
    assert (total.label, total.savings) == ("All agencies", Decimal("-40000.00"))


def test_days_to_award_run_from_publication_to_the_notice(two_awards):
    to_award, to_contract = statistics.days_to_award_and_contract(EUR)
    durations = [award.notice.published_at - tender.published_at for tender, award in two_awards]
    mean = sum(durations, timedelta()) / 2
    assert to_award.processes == 2
    assert to_award.mean_days == (Decimal(mean.total_seconds()) / 86400).quantize(Decimal("0.1"))
    assert to_award.shortest_days == (Decimal(min(durations).total_seconds()) / 86400).quantize(Decimal("0.1"))
    assert to_contract.processes == 0 and to_contract.mean_days is None


def test_days_to_contract_count_contracts_signed_by_both(officer, evaluator, deadline, firms, supplier_a, quick_documents):  # noqa: F811
    tender, award, travel, _clock = confirm_award(officer, evaluator, deadline, firms)
    contract = signed_by_both(award.contract, officer, supplier_a)
    travel.stop()
    [_to_award, to_contract] = statistics.days_to_award_and_contract(EUR)
    expected = (Decimal((contract.signed_at - tender.published_at).total_seconds()) / 86400).quantize(Decimal("0.1"))
    assert (to_contract.processes, to_contract.mean_days) == (1, expected)


def test_a_cancelled_award_notice_is_not_counted(officer, evaluator, deadline, firms, supplier_b, supplier_org_b):
    tender = h.published(officer, deadline, standstill_days=10, challenge_answer_days=5)
    winner = h.bid(tender, *firms[0], {1: "900.00"})
    loser = h.bid(tender, *firms[1], {1: "1000.00"})
    with h.past(deadline):
        h.open_at_deadline(tender)
        actions.start_evaluation(officer, tender, [evaluator])
        h.declare_clear(evaluator, tender=tender)
        for bid in (winner, loser):
            actions.qualify_bid(officer, tender, bid, h.pass_all(tender))
        actions.approve_report(officer, tender)
        actions.award_tender(officer, tender)
        assert statistics.sme_share(EUR)[0].awards == 1
        challenge = actions.lodge_challenge(supplier_b, supplier_org_b, tender, grounds="The winner's licence had expired.")
        actions.answer_challenge(officer, challenge, answer="It had.", decision=Challenge.Decision.UPHOLD)
        actions.accept_answer(supplier_b, challenge)
    assert sum(row.awards for row in statistics.sme_share(EUR)) == 0
    assert statistics.savings(EUR) == []
    assert statistics.days_to_award_and_contract(EUR)[0].processes == 0


def test_sealed_bids_are_not_counted_one_second_before_the_deadline(officer, deadline, firms):
    tender = h.published(officer, deadline)
    h.bid(tender, *firms[0], {1: "900.00"})
    h.bid(tender, *firms[1], {1: "950.00"})
    assert statistics.bids_per_tender(EUR, now=deadline - timedelta(seconds=1)) == []
    rows = statistics.bids_per_tender(EUR, now=deadline + timedelta(seconds=1))
    assert {row.bids: row.tenders for row in rows if row.tenders} == {2: 1}
    assert statistics.mean_bids(rows) == Decimal("2.0")


def test_a_withdrawn_bid_is_not_a_bid(officer, deadline, firms):
    tender = h.published(officer, deadline)
    h.bid(tender, *firms[0], {1: "900.00"})
    second = h.bid(tender, *firms[1], {1: "950.00"})
    withdraw_bid(firms[1][0], second)
    rows = statistics.bids_per_tender(EUR, now=deadline)
    assert {row.bids: row.tenders for row in rows if row.tenders} == {1: 1}


def test_the_csv_has_a_bom_headers_with_the_currency_and_exact_amounts(two_awards, client):
    response = client.get("/statistics/sme-share.csv?currency=EUR")
    assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="sme-share-all-EUR.csv"'
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body.removeprefix("\ufeff"))))
    assert rows[0] == ["Winners", "Awards", "Share of awards", "Value (EUR)", "Share of value"]
    assert rows[1] == ["Small and medium-sized firms", "1", "50.0", "240000.00", "44.4"]


def test_a_name_that_looks_like_a_formula_is_quoted_in_the_csv(two_awards, client, agency):
    agency.name = '=HYPERLINK("http://evil.test")'
    agency.save(update_fields=["name"])
    rows = list(csv.reader(io.StringIO(client.get("/statistics/spend-by-agency.csv").content.decode().removeprefix("\ufeff"))))
    assert rows[1][1] == '\'=HYPERLINK("http://evil.test")'


def test_an_unknown_figure_is_not_found(client):
    assert client.get("/statistics/passwords.csv").status_code == 404


def test_the_page_shows_each_figure_as_svg_and_table_in_english(two_awards, client, django_assert_max_num_queries):
    _first, (_second, award) = two_awards
    with time_machine.travel(award.confirmed_at + timedelta(days=1)), django_assert_max_num_queries(14):
        response = client.get("/statistics/")
    page = response.content.decode()
    assert response.status_code == 200
    assert page.count('<svg class="chart" role="img"') == 8  # the SME share by count and by value
    assert "Spend by CPV division" in page and "240,000.00 EUR" in page and "<td>2</td>" in page
    assert 'href="/statistics/savings.csv?currency=EUR"' in page


def test_the_page_renders_in_chinese(two_awards, client):
    response = client.get("/statistics/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    page = response.content.decode()
    assert response.status_code == 200 and 'lang="zh-hans"' in page and "<svg" in page


def test_the_year_filter_keeps_to_its_year(two_awards, client):
    (_first, award), _second = two_awards
    year = award.confirmed_at.year
    assert statistics.spend_by_agency(Period(year=year - 1, currency="EUR")) == []
    response = client.get(f"/statistics/?year={year}&currency=EUR")
    assert (
        response.status_code == 200 and f'href="/statistics/spend-by-month.csv?currency=EUR&amp;year={year}"' in response.content.decode()
    )


def test_a_label_is_escaped_inside_the_chart(two_awards, client, agency):
    agency.name = "<script>alert(1)</script>"
    agency.save(update_fields=["name"])
    page = client.get("/statistics/").content.decode()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_an_empty_platform_shows_the_page(client, db):
    response = client.get("/statistics/")
    assert response.status_code == 200 and "Nothing to count yet" in response.content.decode()


def test_a_negative_saving_stays_a_number_in_the_csv(two_awards, client):
    rows = list(csv.reader(io.StringIO(client.get("/statistics/savings.csv?currency=EUR").content.decode().removeprefix("\ufeff"))))
    assert rows[0][-2:] == ["Savings (EUR)", "Savings (% of estimate)"]
    assert rows[-1] == ["", "All agencies", "2", "500000.00", "540000.00", "-40000.00", "-8.0"]


def test_a_tender_cancelled_before_its_deadline_never_shows_its_bid_count(officer, deadline, firms):
    tender = h.published(officer, deadline)
    h.bid(tender, *firms[0], {1: "900.00"})
    cancel_tender(officer, tender, reason="The budget was withdrawn.")
    assert statistics.bids_per_tender(EUR, now=deadline + timedelta(days=1)) == []
