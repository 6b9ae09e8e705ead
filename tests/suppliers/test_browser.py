"""The registry's flow in Chromium: register a firm, verify it as the registry officer, follow a category."""

import shutil

import pytest

from marketplace.models import Notification
from suppliers.models import Follow, Supplier

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture
def browser(monkeypatch):
    if not shutil.which(CHROMIUM):
        pytest.skip("Chromium is not installed at /usr/bin/chromium")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the test's own queries are still synchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
        )
        yield chromium
        chromium.close()


def sign_in(page, base: str, email: str, password: str, code: str = "") -> None:
    """The sign-in form, then (for whoever has an authenticator app) the code step."""
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", password)
    page.click("main button[type=submit]")
    if code:
        page.fill("#id_code", code)
        page.click("main button[type=submit]")


def test_register_verify_and_follow(browser, live_server, registry_officer):
    from tests.factories import PASSWORD, current_code, make_authenticator

    firm = browser.new_page()
    firm.goto(f"{live_server.url}/")
    firm.click("text=Register your firm")
    for field, value in {
        "legal_name": "Emerald Paving Ltd",
        "registration_number": "IE 8Z49289F",
        "address": "4 Main Street, Sligo",
        "contact_email": "office@emerald.test",
        "headcount": "14",
        "turnover_eur": "2500000",
        "categories": "45233000",
        "admin_name": "Erin Emerald",
        "admin_email": "erin@emerald.test",
        "password": "emerald-roads-2026",
    }.items():
        firm.fill(f"#id_{field}", value)
    firm.select_option("#id_country", "IE")
    firm.click("text=Register the firm")
    assert "Waiting for a registry officer" in firm.text_content("main")

    officer = browser.new_context().new_page()
    app = make_authenticator(registry_officer)
    sign_in(officer, live_server.url, registry_officer.email, PASSWORD, current_code(app))
    officer.click("nav >> text=Registry")
    officer.click("text=Emerald Paving Ltd")
    officer.click("button:has-text('Verify')")
    assert "Emerald Paving Ltd is verified." in officer.text_content("main")

    firm.goto(f"{live_server.url}/suppliers/mine/")
    assert "Verified" in firm.text_content("h1")
    firm.click("text=Follows and alerts")
    firm.fill("#cpv-q", "roads")
    firm.click("main button:has-text('Search')")
    firm.locator("li:has-text('45233000') button:has-text('Follow')").first.click()
    assert "Your firm now follows 45233000" in firm.text_content("main")

    supplier = Supplier.objects.get(legal_name="Emerald Paving Ltd")
    assert supplier.status == Supplier.Status.VERIFIED
    assert list(Follow.objects.values_list("category", flat=True)) == ["45233000"]
    assert Notification.objects.filter(user__email="erin@emerald.test", kind="supplier.verified").exists()
