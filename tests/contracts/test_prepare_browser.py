"""The draft's page in Chromium, on a desktop and a 390 px phone: the officer adds a milestone row
with the page's script, fills the form and saves it."""

from decimal import Decimal

import pytest

from contracts.models import Contract
from tests.contracts.helpers import confirm_award
from tests.e2e.test_bid_sealing import browser, signed_in_page  # noqa: F401 (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [1280, 390])
def test_the_officer_prepares_the_draft_in_chromium(browser, live_server, client, officer, evaluator, deadline, firms, width, tmp_path):  # noqa: F811
    _tender, award, travel, _clock = confirm_award(officer, evaluator, deadline, firms)
    try:
        contract = Contract.objects.get(award=award)
        page = signed_in_page(browser, client, officer, live_server)
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{live_server.url}/contracts/{contract.pk}/prepare/")
        page.fill("#id_period_start", "2027-01-04")
        page.fill("#id_period_end", "2027-06-30")
        page.fill("#id_supplier_0_title", "Director")
        for index, (description, due, amount) in enumerate(
            [("Delivery", "2027-03-01", "300.00"), ("Installation", "2027-04-01", "300.00"), ("Acceptance", "2027-06-30", "300.00")]
        ):
            if index == 2:
                page.click("[data-formset-add]")  # two empty rows come with the page; the third is added
            page.fill(f"#id_milestones-{index}-description", description)
            page.fill(f"#id_milestones-{index}-due_date", due)
            page.fill(f"#id_milestones-{index}-amount", amount)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.screenshot(path=tmp_path / f"prepare-{width}.png", full_page=True)
        page.click("text=Save the draft")
        page.wait_for_selector("text=The draft is saved.")
        assert list(contract.milestones.values_list("description", "amount")) == [
            ("Delivery", Decimal("300.00")),
            ("Installation", Decimal("300.00")),
            ("Acceptance", Decimal("300.00")),
        ]
        assert page.errors == []
    finally:
        travel.stop()
