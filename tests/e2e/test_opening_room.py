"""A visitor, not signed in, watches the opening in Chromium: the record appears line by line,
live, without reloading the page, through a real daphne process."""

import subprocess
import sys
import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone
from playwright.sync_api import expect, sync_playwright

from bidding import actions, opening, sealing
from bidding.models import Envelope
from tests.bidding import helpers
from tests.conftest import redis_url
from tests.factories import make_member, make_supplier_organisation
from tests.processes import ROOT, Processes

pytestmark = [pytest.mark.browser, pytest.mark.processes, pytest.mark.django_db(transaction=True)]

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
FIRMS = ["Alpha Works Ltd", "Beta Supplies Ltd", "Gamma Roads plc"]


@pytest.fixture
def browser(monkeypatch):
    # Playwright's sync API keeps an event loop in this thread; the test's own database calls
    # are still plain synchronous ones between browser steps.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def platform(tmp_path):
    """One daphne on this run's database, serving the collected static files."""
    env = helpers.process_environment(tmp_path, redis_url=redis_url(), STATIC_MANIFEST="false")
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    with Processes(env) as processes:
        yield f"http://127.0.0.1:{processes.daphne()}"


def tender_with_three_bids(officer, deadline):
    tender = helpers.publish(helpers.make_tender(officer, deadline=deadline), officer)
    bids = []
    for n, name in enumerate(FIRMS):
        firm = make_supplier_organisation(name=name, code=f"firm{n}")
        helpers.make_supplier(firm)
        bidder = make_member(firm, "bidder", f"bidder@firm{n}.test")
        sealed = helpers.seal_bid(tender, firm, prices={1: f"{1000 + n}.00"})
        bids.append(actions.submit_bid(bidder, firm, tender, sealed))
    # The second bid's stored envelope is altered after its receipt: it is read out as rejected.
    envelope = bids[1].envelopes.get()
    altered = envelope.jwe[:-30] + ("A" if envelope.jwe[-30] != "A" else "B") + envelope.jwe[-29:]
    Envelope.objects.filter(pk=envelope.pk).update(jwe=altered, sha256=sealing.digest(altered))
    return tender


def run_like_a_worker(task, *args) -> None:
    """In a thread of its own, as a worker runs it: Playwright's event loop owns this thread,
    and the engine broadcasts after each commit through the channel layer."""
    failures = []

    def run():
        try:
            task(*args)
        except BaseException as exc:
            failures.append(exc)
        finally:
            connection.close()

    worker = threading.Thread(target=run)
    worker.start()
    worker.join(60)
    assert not failures and not worker.is_alive(), failures


def test_a_visitor_watches_the_lines_appear_in_order_without_reloading(browser, platform, officer):
    deadline = (timezone.now() + timedelta(days=1)).replace(microsecond=0)
    tender = tender_with_three_bids(officer, deadline)
    page = browser.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    page.goto(f"{platform}/tenders/{tender.pk}/opening/")
    assert page.is_visible("[data-countdown]")
    assert page.locator("[data-lines] tr").count() == 0
    page.wait_for_selector("[data-live-badge]:not([hidden])", timeout=15_000)  # the websocket is open
    page.evaluate("window.notReloaded = true")

    with time_machine.travel(deadline + timedelta(seconds=1)):
        run_like_a_worker(opening.open_tender, tender.pk)

    page.wait_for_selector('[data-round="bid"] [data-round-complete]:not([hidden])', timeout=20_000)
    rows = page.locator('[data-round="bid"] [data-lines] tr')
    assert [rows.nth(n).get_attribute("data-position") for n in range(rows.count())] == ["1", "2", "3"]
    assert [rows.nth(n).locator('[data-cell="supplier"]').inner_text() for n in range(3)] == FIRMS
    assert "1000.00 EUR" in rows.nth(0).inner_text() and "1002.00 EUR" in rows.nth(2).inner_text()
    assert "Rejected" in rows.nth(1).inner_text() and "altered after it was received" in rows.nth(1).inner_text()
    assert page.input_value("[data-round-signature]") == tender.openings.get().signature
    assert page.evaluate("window.notReloaded") is True
    assert errors == []


PASSPHRASES = ["first custodian's passphrase", "second custodian's passphrase"]


def test_the_custodians_arriving_are_counted_live_then_the_lines_appear(browser, platform, agency, officer):
    custodians = [make_member(agency, "custodian", f"custodian{n}@mot.test") for n in (1, 2)]
    for person, passphrase in zip(custodians, PASSPHRASES, strict=True):
        actions.set_opening_passphrase(person, passphrase)
    deadline = (timezone.now() + timedelta(days=1)).replace(microsecond=0)
    tender = helpers.make_tender(officer, deadline=deadline, custody="committee", custodians=custodians, threshold=2)
    tender = helpers.publish(tender, officer)
    firm = make_supplier_organisation(name=FIRMS[0], code="firm0")
    helpers.make_supplier(firm)
    actions.submit_bid(make_member(firm, "bidder", "bidder@firm0.test"), firm, tender, helpers.seal_bid(tender, firm))
    page = browser.new_page()
    page.goto(f"{platform}/tenders/{tender.pk}/opening/")
    assert page.inner_text("[data-custodians-present]") == "0 of 2"
    page.wait_for_selector("[data-live-badge]:not([hidden])", timeout=15_000)

    with time_machine.travel(deadline + timedelta(seconds=1)):
        run_like_a_worker(opening.open_tender, tender.pk)
        run_like_a_worker(opening.release_share, custodians[0], tender, "bid", PASSPHRASES[0])
        expect(page.locator("[data-custodians-present]")).to_have_text("1 of 2", timeout=15_000)
        assert page.locator("[data-lines] tr").count() == 0
        run_like_a_worker(opening.release_share, custodians[1], tender, "bid", PASSPHRASES[1])
    page.wait_for_selector('[data-round="bid"] [data-round-complete]:not([hidden])', timeout=20_000)
    assert page.inner_text("[data-custodians-present]") == "2 of 2"
    assert page.locator('[data-lines] [data-cell="supplier"]').all_inner_texts() == [FIRMS[0]]


def test_the_tender_page_warns_of_a_deadline_only_when_it_passes_while_open(browser, platform, officer):
    now = timezone.now().replace(microsecond=0)
    past = helpers.publish(helpers.make_tender(officer, deadline=now + timedelta(seconds=3)), officer)
    soon = helpers.publish(helpers.make_tender(officer, deadline=now + timedelta(seconds=8)), officer)
    page = browser.new_page()
    while timezone.now() < past.submission_deadline + timedelta(seconds=1):
        page.wait_for_timeout(250)

    page.goto(f"{platform}/tenders/{past.pk}/")
    page.wait_for_timeout(1500)
    assert page.is_hidden("[data-live-notice]")  # already past when the page was rendered: nothing changed since

    page.goto(f"{platform}/tenders/{soon.pk}/")
    assert page.is_hidden("[data-live-notice]")
    expect(page.locator("[data-live-notice]")).to_be_visible(timeout=15_000)
    assert "deadline has passed" in page.inner_text("[data-live-notice]")
