"""A bid sealed in real Chromium by the page's own WebCrypto code opens with jwcrypto after the deadline."""

import hashlib
import json
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import sync_playwright

from bidding import keys, sealing
from bidding.models import Bid
from tenders.models import EnvelopeMode
from tests.bidding import helpers

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture
def browser(monkeypatch):
    # Playwright's sync API keeps an event loop in this thread; the test's own database calls
    # are still plain synchronous ones between browser steps.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def signed_in_page(browser, client, user, live_server):
    client.force_login(user)
    context = browser.new_context()
    context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value, "url": live_server.url}]
    )
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.errors = errors
    return page


def test_bid_sealed_in_chromium_opens_after_the_deadline(browser, live_server, client, officer, supplier_a, supplier_org_a):
    helpers.make_supplier(supplier_org_a)
    deadline = (timezone.now() + timedelta(days=2)).replace(microsecond=0)
    tender = helpers.publish(helpers.make_tender(officer, deadline=deadline, envelope_mode=EnvelopeMode.TWO, lots=2), officer)
    drawings = bytes(range(256)) * 1200  # 300 KB: read, encoded and sealed in chunks
    page = signed_in_page(browser, client, supplier_a, live_server)

    page.goto(f"{live_server.url}/tenders/{tender.pk}/bid/")
    page.fill("#price-1", "1234.50")
    page.fill("#price-2", "99")
    page.set_input_files(
        "#documents-technical", files=[{"name": "drawings.bin", "mimeType": "application/octet-stream", "buffer": drawings}]
    )
    page.set_input_files(
        "#documents-financial", files=[{"name": "prices.csv", "mimeType": "text/csv", "buffer": b"lot,price\n1,1234.50\n"}]
    )
    page.click("[data-seal-submit]")
    page.wait_for_selector("text=Your bid is in the box", timeout=30_000)
    assert page.errors == []

    bid = Bid.objects.get()
    assert bid.lots == [1, 2] and sorted(bid.envelopes.values_list("name", flat=True)) == ["financial", "technical"]
    with time_machine.travel(deadline + timedelta(seconds=1), tick=False):
        tender = helpers.close(tender)
        opened = {
            e.name: json.loads(
                sealing.open_envelope(e.jwe, keys.unwrap_platform_key(helpers.envelope_key(tender, e.name), now=timezone.now()))
            )
            for e in bid.envelopes.all()
        }
    financial, technical = opened["financial"], opened["technical"]
    assert financial["lots"] == [
        {"lot": 1, "price": {"amount": "1234.50", "currency": "EUR"}},
        {"lot": 2, "price": {"amount": "99", "currency": "EUR"}},
    ]
    assert (financial["tender"], financial["organisation"], financial["envelope"]) == (tender.pk, supplier_org_a.pk, "financial")
    [document] = technical["documents"]
    assert document["name"] == "drawings.bin" and document["sha256"] == hashlib.sha256(drawings).hexdigest()
    assert sealing.base64.b64decode(document["content"]) == drawings
    assert technical["lots"] == [{"lot": 1}, {"lot": 2}]


def test_receipt_from_the_page_verifies_on_the_verification_page(browser, live_server, client, officer, supplier_a, supplier_org_a):
    helpers.make_supplier(supplier_org_a)
    tender = helpers.publish(helpers.make_tender(officer), officer)
    page = signed_in_page(browser, client, supplier_a, live_server)
    page.goto(f"{live_server.url}/tenders/{tender.pk}/bid/")
    page.fill("#price-1", "5000")
    page.click("[data-seal-submit]")
    page.wait_for_selector("text=Your bid is in the box", timeout=30_000)
    receipt = page.input_value("textarea.receipt")

    page.goto(f"{live_server.url}/receipts/verify/")
    page.fill("#id_receipt", receipt)
    page.click("button:has-text('Verify')")
    assert page.is_visible("[data-receipt-valid]") and receipt == Bid.objects.get().receipt


def test_a_price_of_zero_is_refused_beside_its_field_before_sealing(browser, live_server, client, officer, supplier_a, supplier_org_a):
    helpers.make_supplier(supplier_org_a)
    tender = helpers.publish(helpers.make_tender(officer, lots=2), officer)
    page = signed_in_page(browser, client, supplier_a, live_server)

    page.goto(f"{live_server.url}/tenders/{tender.pk}/bid/")
    page.fill("#price-1", "0.00")
    page.fill("#price-2", "120.00")
    page.click("[data-seal-submit]")
    page.wait_for_selector("#price-1-error", timeout=10_000)

    assert page.text_content("#price-1-error") == "A price must be greater than zero."
    assert page.get_attribute("#price-1", "aria-describedby") == "price-1-error"
    assert page.query_selector("#price-2-error") is None
    assert "A price must be greater than zero." in page.text_content("[data-seal-status]")
    assert not page.is_disabled("[data-seal-submit]") and page.errors == []
    assert not Bid.objects.exists()


def test_the_summary_of_what_is_sealed_is_saved_in_the_browser_and_nothing_is_sent(
    browser, live_server, client, officer, supplier_a, supplier_org_a, tmp_path
):
    helpers.make_supplier(supplier_org_a)
    tender = helpers.publish(helpers.make_tender(officer, envelope_mode=EnvelopeMode.TWO), officer)
    page = signed_in_page(browser, client, supplier_a, live_server)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/tenders/{tender.pk}/bid/")
    sent = []
    page.on("request", lambda request: sent.append(request.url) if request.method != "GET" else None)
    drawings = b"%PDF-1.4 drawings\n" * 100
    page.fill("#price-1", "4321.00")
    page.set_input_files("#documents-technical", files=[{"name": "drawings.pdf", "mimeType": "application/pdf", "buffer": drawings}])
    with page.expect_download() as download:
        page.click("[data-seal-summary]")
    saved = tmp_path / "summary.json"
    download.value.save_as(saved)
    summary = json.loads(saved.read_text())
    assert summary["lots"] == [{"lot": 1, "price": {"amount": "4321.00", "currency": "EUR"}}]
    [document] = summary["envelopes"]["technical"]["documents"]
    assert (document["name"], document["size"], document["sha256"]) == ("drawings.pdf", len(drawings), hashlib.sha256(drawings).hexdigest())
    assert sent == [] and Bid.objects.count() == 0 and page.errors == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
