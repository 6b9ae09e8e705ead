"""A tender's whole public life driven through the real actions, and a client that follows the feed."""

from datetime import timedelta

import time_machine

from contracts import actions as contracts
from contracts.models import Contract
from evaluation import actions as evaluation
from opendata import standard
from tests.bidding import helpers as bidding
from tests.contracts.helpers import PERIOD
from tests.evaluation import helpers as h
from tests.factories import PASSWORD


def whole_life(officer, evaluator, deadline, firms, *, prices=("900.00", "1000.00", "1100.00")):
    """Published, amended, three sealed bids, opened, evaluated, awarded, confirmed after the
    standstill, and a contract signed by both. Returns (tender, contract)."""
    tender = h.published(officer, deadline, standstill_days=10)
    bidding.amend(tender, officer)
    bids = [h.bid(tender, user, org, {1: price}) for (user, org), price in zip(firms, prices, strict=True)]
    with h.past(deadline):
        h.open_at_deadline(tender)
        evaluation.start_evaluation(officer, tender, [evaluator])
        h.declare_clear(evaluator, tender=tender)
        for bid in bids[:-1]:
            evaluation.qualify_bid(officer, tender, bid, h.pass_all(tender))
        evaluation.qualify_bid(officer, tender, bids[-1], h.fail_documents(tender))
        evaluation.approve_report(officer, tender)
        notice = evaluation.award_tender(officer, tender)
    with time_machine.travel(notice.standstill_ends_at + timedelta(seconds=1), tick=False):
        [award] = evaluation.confirm_awards(officer, tender)
        contract = Contract.objects.get(award=award)
        contracts.edit_draft(officer, contract, PERIOD)
        contracts.send_for_signature(officer, contract)
        contracts.sign_contract(firms[0][0], contract, password=PASSWORD)
        contracts.sign_contract(officer, contract, password=PASSWORD)
    return h.refresh(tender), h.refresh(contract)


def follow_feed(client, *, limit: int = 2, start: str = "/api/v1/ocds/releases/") -> tuple[list[dict], str]:
    """Read the feed page by page until a page comes back empty, checking every page that holds
    releases against the schema (an empty page says only "nothing new": OCDS wants at least one
    release in a package). Returns the releases received and the link to poll next."""
    received, url = [], f"{start}?limit={limit}"
    while True:
        response = client.get(url)
        assert response.status_code == 200, response.content
        package = response.json()
        url = package["links"]["next"].removeprefix("http://testserver")
        if not package["releases"]:
            return received, url
        assert_valid_release_package(package)
        received += package["releases"]


def errors_of(validator, document) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(document)]


def assert_valid_release_package(package: dict) -> None:
    errors = errors_of(standard.release_package_validator(), package)
    assert not errors, errors


def assert_valid_record_package(package: dict) -> None:
    errors = errors_of(standard.record_package_validator(), package)
    assert not errors, errors
