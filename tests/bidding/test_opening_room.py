"""The opening room page: the state on load, for anyone, before, during and after the opening."""

from datetime import timedelta

import pytest
import time_machine

from bidding import actions, opening, sealing
from bidding.models import Envelope
from marketplace.models import Role
from tests.bidding import helpers
from tests.factories import make_member

pytestmark = pytest.mark.django_db

PASSPHRASES = ["first custodian's passphrase", "second custodian's passphrase"]


def room(client, tender):
    return client.get(f"/tenders/{tender.pk}/opening/")


@pytest.fixture
def two_bids(tender, supplier_a, supplier_b, supplier_org_a, supplier_org_b, supplier_record_a, supplier_record_b):
    first = actions.submit_bid(supplier_a, supplier_org_a, tender, helpers.seal_bid(tender, supplier_org_a, prices={1: "1000.00"}))
    second = actions.submit_bid(supplier_b, supplier_org_b, tender, helpers.seal_bid(tender, supplier_org_b, prices={1: "990.5"}))
    return first, second


@pytest.fixture
def opened_tender(tender, two_bids, deadline):
    """Opened at the deadline; the test runs a second after it."""
    with time_machine.travel(deadline + timedelta(seconds=1)):
        opening.open_tender(tender.pk)
        yield tender


def test_before_the_deadline_the_public_sees_a_countdown_and_no_bid(client, tender, two_bids, deadline):
    with time_machine.travel(deadline - timedelta(seconds=1)):
        response = room(client, tender)
    page = response.content.decode()
    assert response.status_code == 200
    assert "data-countdown" in page and f'data-live-subject="tender.{tender.pk}"' in page
    assert "Alpha Works" not in page and "Beta" not in page and 'data-position="1"' not in page


def test_a_draft_has_no_opening_room(client, officer):
    draft = helpers.make_tender(officer)
    assert room(client, draft).status_code == 404


def test_after_the_opening_anyone_reads_each_line_and_the_signature(client, opened_tender):
    page = room(client, opened_tender).content.decode()
    assert page.index("Alpha Works Ltd") < page.index("Beta")
    assert "1000.00 EUR" in page and "990.50 EUR" in page
    assert 'data-position="1"' in page and 'data-position="2"' in page
    assert opened_tender.openings.get().signature in page
    assert f"/api/v1/tenders/{opened_tender.pk}/opening-record/" in page
    assert "data-countdown " not in page and 'class="own-bid' not in page


def test_the_supplier_sees_its_own_line_highlighted(client, opened_tender, supplier_b):
    client.force_login(supplier_b)
    page = room(client, opened_tender).content.decode()
    own = page[page.index('class="own-bid') : page.index("</tr>", page.index('class="own-bid'))]
    assert "your bid" in own and "990.50 EUR" in own and "Alpha Works" not in own


def test_a_rejected_line_shows_its_reason(client, tender, two_bids, deadline):
    first, _second = two_bids
    envelope = first.envelopes.get()
    parts = envelope.jwe.split(".")
    parts[3] = parts[3][:-4] + ("AAAA" if parts[3][-4:] != "AAAA" else "BBBB")
    tampered = ".".join(parts)
    Envelope.objects.filter(pk=envelope.pk).update(jwe=tampered, sha256=sealing.digest(tampered))
    with time_machine.travel(deadline + timedelta(seconds=1)):
        opening.open_tender(tender.pk)
        page = room(client, tender).content.decode()
    rejected = page[page.index('class=" rejected"') :]
    assert "Rejected" in rejected and "altered after it was received" in rejected


def test_the_tender_page_links_to_the_opening_room(client, tender):
    assert f"/tenders/{tender.pk}/opening/" in client.get(f"/tenders/{tender.pk}/").content.decode()


def test_the_tender_page_says_the_bids_were_opened_once_they_were(client, tender, two_bids, deadline):
    with time_machine.travel(deadline + timedelta(seconds=1)):
        helpers.close(tender)
        closed = client.get(f"/tenders/{tender.pk}/").content.decode()
        opening.open_tender(tender.pk)
        opened = client.get(f"/tenders/{tender.pk}/").content.decode()
    assert "sealed bids that will be opened" in closed and "were opened online" not in closed
    assert "were opened online" in opened and "What each held is in the opening record" in opened
    assert "sealed bids that will be opened" not in opened


@pytest.fixture
def committee(agency, officer, deadline, supplier_a, supplier_org_a, supplier_record_a):
    custodians = [make_member(agency, Role.CUSTODIAN, f"custodian{n}@mot.test") for n in (1, 2)]
    for person, passphrase in zip(custodians, PASSPHRASES, strict=True):
        actions.set_opening_passphrase(person, passphrase)
    tender = helpers.make_tender(officer, deadline=deadline, custody="committee", custodians=custodians, threshold=2)
    tender = helpers.publish(tender, officer)
    actions.submit_bid(supplier_a, supplier_org_a, tender, helpers.seal_bid(tender, supplier_org_a))
    return tender, custodians


def test_committee_room_counts_the_custodians_present(client, committee, deadline):
    tender, custodians = committee
    with time_machine.travel(deadline + timedelta(seconds=1)):
        opening.open_tender(tender.pk)
        opening.release_share(custodians[0], tender, "bid", PASSPHRASES[0])
        page = room(client, tender).content.decode()
    assert "1 of 2" in page and "custodians present" in page
    assert "Release my share" not in page  # the public sees no form


def test_a_custodian_gets_the_release_form_after_the_deadline_only(client, committee, deadline):
    tender, custodians = committee
    client.force_login(custodians[1])
    with time_machine.travel(deadline - timedelta(seconds=1)):
        before = room(client, tender).content.decode()
    with time_machine.travel(deadline + timedelta(seconds=1)):
        after = room(client, tender).content.decode()
    assert "Release my share" not in before and "after the deadline" in before
    assert "Release my share" in after and f'action="/tenders/{tender.pk}/opening/release/"' in after
