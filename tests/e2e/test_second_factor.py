"""Two-step sign-in in real Chromium: an officer sets up an app after the password (desktop),
then signs in again with a code on a 390 px phone. Screenshots go to the test's folder."""

import base64
import os
from pathlib import Path

import pytest
from django_otp.oath import totp

from tests.e2e.test_bid_sealing import CHROMIUM_ARGS
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture
def browser(monkeypatch):
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def shots(tmp_path) -> Path:
    """Where the screenshots go: SCREENSHOT_DIR if set (to look at them), else the test's folder."""
    folder = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def new_page(browser, viewport):
    page = browser.new_context(viewport=viewport).new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.errors = errors
    return page


def sign_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")


def code_for(secret: str, steps_ahead: int = 0) -> str:
    return f"{totp(base64.b32decode(secret.replace(' ', '')), drift=steps_ahead):06d}"


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


def test_an_officer_sets_up_an_app_then_signs_in_with_its_code_on_a_phone(browser, live_server, officer, shots):
    desktop = new_page(browser, DESKTOP)
    sign_in(desktop, live_server.url, officer.email)
    assert desktop.url.startswith(f"{live_server.url}/accounts/two-factor/enrol/")
    assert desktop.locator("svg.qr").is_visible() and desktop.locator("svg.qr").bounding_box()["width"] >= 100
    desktop.screenshot(path=shots / "enrol-desktop.png", full_page=True)
    secret = desktop.inner_text("[data-totp-secret]")
    desktop.fill("#id_code", "000000" if code_for(secret) != "000000" else "111111")
    desktop.click("main button:has-text('Confirm and continue')")
    assert "That code is not right" in desktop.inner_text("main")
    desktop.wait_for_timeout(1100)  # the wait after one wrong code
    desktop.fill("#id_code", code_for(secret))
    desktop.click("main button:has-text('Confirm and continue')")
    codes = desktop.locator("[data-recovery-codes] code").all_inner_texts()
    assert len(codes) == 10
    desktop.screenshot(path=shots / "recovery-codes-desktop.png", full_page=True)
    desktop.click("text=I have kept them: continue")
    assert desktop.url == f"{live_server.url}/tenders/agency/"
    assert desktop.errors == []

    phone = new_page(browser, PHONE)
    sign_in(phone, live_server.url, officer.email)
    assert phone.url.startswith(f"{live_server.url}/accounts/two-factor/verify/")
    assert fits(phone), "the code step is wider than a phone"
    phone.screenshot(path=shots / "verify-phone.png", full_page=True)
    phone.fill("#id_code", code_for(secret, steps_ahead=1))  # the code of the next 30 s: the last one was used
    phone.click("main button:has-text('Continue')")
    assert phone.url == f"{live_server.url}/tenders/agency/"
    assert phone.errors == []


def test_the_enrolment_page_fits_a_phone(browser, live_server, evaluator, shots):
    phone = new_page(browser, PHONE)
    sign_in(phone, live_server.url, evaluator.email)
    assert phone.url.startswith(f"{live_server.url}/accounts/two-factor/enrol/")
    assert phone.locator("svg.qr").is_visible() and fits(phone), "the enrolment page is wider than a phone"
    phone.screenshot(path=shots / "enrol-phone.png", full_page=True)
    assert phone.errors == []
