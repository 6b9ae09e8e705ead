"""Each role's start page, the bid page and the money pages, in real Chromium on a 390 px phone:
they load without a script error and nothing makes the page wider than the screen."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from marketplace.models import Organisation, Role
from tests import factories
from tests.bidding import helpers
from tests.e2e.test_bid_sealing import CHROMIUM_ARGS, signed_in_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def browser(monkeypatch):
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def on_phone(browser, client, user, live_server):
    page = signed_in_page(browser, client, user, live_server)
    page.set_viewport_size(PHONE)
    return page


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_every_role_starts_on_its_own_page_and_it_fits_a_phone(
    browser, live_server, client, officer, evaluator, finance_officer, registry_officer, supplier_a, supplier_org_a, agency
):
    board = factories.make_organisation(Organisation.Kind.REVIEW_BODY, name="Review Board", code="board")
    people = {
        "officer": (officer, "/tenders/agency/"),
        "evaluator": (evaluator, "/tenders/evaluations/"),
        "finance": (finance_officer, "/payments/finance/"),
        "registry": (registry_officer, "/suppliers/registry/"),
        "review": (factories.make_member(board, Role.REVIEW_OFFICER, "review@board.test"), "/tenders/reviews/"),
        "custodian": (factories.make_custodian(agency, "keeper@mot.test"), "/custody/"),
        "supplier": (supplier_a, "/bids/"),
    }
    for name, (user, start) in people.items():
        page = on_phone(browser, client, user, live_server)
        response = page.goto(f"{live_server.url}/start/")
        assert response.status == 200 and page.url == f"{live_server.url}{start}", name
        assert fits(page), f"{name}: {start} is wider than a phone"
        assert page.errors == [], (name, page.errors)
        page.context.close()


def test_the_bid_page_and_the_bid_security_page_fit_a_phone(browser, live_server, client, officer, supplier_a, supplier_org_a):
    helpers.make_supplier(supplier_org_a)
    deadline = (timezone.now() + timedelta(days=3)).replace(microsecond=0)
    tender = helpers.publish(helpers.make_tender(officer, deadline=deadline, deposit_amount=Decimal("2500.00"), lots=2), officer)
    page = on_phone(browser, client, supplier_a, live_server)
    page.goto(f"{live_server.url}/tenders/{tender.pk}/bid/")
    assert "requires a bid deposit of 2500.00 EUR" in page.content()
    assert fits(page), "the bid page is wider than a phone"
    page.click("text=Bid security")
    assert page.url.startswith(f"{live_server.url}/payments/deposits/{tender.pk}/")
    page.click("button:has-text('By bank transfer')")
    assert "Bank transfer under way" in page.content() and "RF" in page.locator("code.reference").inner_text()
    assert fits(page), "the bid security page is wider than a phone"
    assert page.errors == []


def test_on_a_phone_the_header_is_one_row_and_its_menu_opens_on_a_tap(browser, live_server, client, officer, tmp_path):
    page = on_phone(browser, client, officer, live_server)
    page.goto(f"{live_server.url}/tenders/agency/")
    header = page.locator("header.site-header")
    assert header.bounding_box()["height"] < 70 and not page.locator("nav .nav").is_visible()
    page.screenshot(path=tmp_path / "phone-closed.png")
    page.click("label.menu-button")
    assert page.locator("nav .nav").is_visible() and page.locator("text=Sign out").is_visible()
    page.screenshot(path=tmp_path / "phone-open.png")
    assert fits(page) and page.errors == []
    page.set_viewport_size({"width": 1280, "height": 800})
    page.reload()
    assert page.locator("nav .nav").is_visible() and not page.locator("label.menu-button").is_visible()
    page.screenshot(path=tmp_path / "desktop.png")
