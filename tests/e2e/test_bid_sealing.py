"""A bid sealed in real Chromium by the page's own WebCrypto code opens with jwcrypto after the deadline."""

import hashlib
import json
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import sync_playwright

from bidding import keys, reading, sealing
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
    assert technical["lots"] == []  # the technical envelope holds no price, nor lot entries
    for name, plaintext in opened.items():  # and the opening reads both envelopes as a valid bid
        read = reading.check(
            json.dumps(plaintext).encode(),
            tender_id=tender.pk,
            organisation_id=supplier_org_a.pk,
            name=name,
            currency=tender.currency,
            lot_numbers={1, 2},
        )
        assert len(read.lots) == (2 if name == "financial" else 0)


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


def test_a_plaintext_the_opening_would_refuse_is_not_sealed(browser, live_server, client, officer, supplier_a, supplier_org_a):
    helpers.make_supplier(supplier_org_a)
    tender = helpers.publish(helpers.make_tender(officer), officer)
    page = signed_in_page(browser, client, supplier_a, live_server)
    sent = []
    page.on("request", lambda request: sent.append(request.url) if request.method == "POST" else None)

    page.goto(f"{live_server.url}/tenders/{tender.pk}/bid/")
    page.fill("#price-1", "120.00")
    long_name = "n" * 197 + ".pdf"  # 201 characters: the schema (and the opening) allow 200
    page.set_input_files("#documents-bid", files=[{"name": long_name, "mimeType": "application/pdf", "buffer": b"%PDF-1.7"}])
    page.click("[data-seal-submit]")
    page.wait_for_selector("text=Nothing was sealed", timeout=10_000)
    assert "plaintext.documents[0].name: must be at most 200 characters" in page.inner_text("[data-seal-status]")
    assert sent == [] and not Bid.objects.exists()


def test_the_pages_schema_check_agrees_with_a_json_schema_validator(browser, live_server, client, officer, supplier_a, supplier_org_a):
    """The page's own checker (plaintext-check.js) against jsonschema's Draft 2020-12 validator on
    the same schema, over valid plaintexts and one wrong in each way the schema forbids."""
    from jsonschema import Draft202012Validator

    from bidding.plaintext_schema import plaintext_schema

    helpers.make_supplier(supplier_org_a)
    tender = helpers.publish(helpers.make_tender(officer, envelope_mode=EnvelopeMode.TWO, lots=2), officer)
    schema = plaintext_schema(tender)
    content = sealing.base64.b64encode(b"offer").decode()
    document = {"name": "offer.txt", "media_type": "text/plain", "sha256": hashlib.sha256(b"offer").hexdigest(), "content": content}
    financial = {
        "tender": tender.pk,
        "envelope": "financial",
        "organisation": supplier_org_a.pk,
        "lots": [{"lot": 1, "price": {"amount": "10.50", "currency": "EUR"}}],
        "documents": [document],
    }
    technical = financial | {"envelope": "technical", "lots": []}

    def changed(base, **fields):
        return {**base, **fields}

    cases = [
        financial,
        technical,
        changed(technical, lots=financial["lots"]),
        changed(financial, lots=[]),
        changed(financial, lots=[{"lot": 3, "price": {"amount": "1", "currency": "EUR"}}]),
        changed(financial, lots=[{"lot": 1, "price": {"amount": "0.00", "currency": "EUR"}}]),
        changed(financial, lots=[{"lot": 1, "price": {"amount": "1.005", "currency": "EUR"}}]),
        changed(financial, lots=[{"lot": 1, "price": {"amount": "1", "currency": "USD"}}]),
        changed(financial, lots=[{"lot": 1}]),
        changed(financial, tender=tender.pk + 1),
        changed(financial, envelope="bid"),
        changed(financial, organisation="1"),
        changed(financial, documents=[document | {"sha256": "ABC"}]),
        changed(financial, documents=[document | {"content": "not base64!"}]),
        changed(financial, documents=[document | {"name": "a/b.txt"}]),
        changed(financial, documents=[document | {"name": "x" * 201}]),
        changed(financial, documents=[document | {"extra": 1}]),
        changed(financial, documents=[{k: v for k, v in document.items() if k != "sha256"}]),
        changed(financial, documents=[document] * 201),
        changed(financial, extra=True),
        {k: v for k, v in financial.items() if k != "documents"},
        [],
    ]
    expected = [Draft202012Validator(schema).is_valid(case) for case in cases]
    assert expected[:2] == [True, True] and not any(expected[2:])

    page = signed_in_page(browser, client, supplier_a, live_server)
    page.goto(f"{live_server.url}/tenders/{tender.pk}/bid/")
    verdicts = page.evaluate(
        """async ([schema, cases]) => {
            const { problems } = await import("/static/js/plaintext-check.js");
            return cases.map((c) => problems(schema, c).length === 0);
        }""",
        [schema, cases],
    )
    assert verdicts == expected
