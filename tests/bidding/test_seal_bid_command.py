import json
from datetime import timedelta

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.utils import timezone

from bidding import keys, sealing
from tests.bidding import helpers

pytestmark = pytest.mark.django_db


def test_cli_sealed_bid_is_accepted_and_opens_after_the_deadline(
    tender, supplier_a, supplier_org_a, supplier_record_a, api_as, deadline, tmp_path
):
    offer = tmp_path / "offer.txt"
    offer.write_text("We offer the works.")
    body_path = tmp_path / "bid.json"
    call_command("seal_bid", tender=tender.pk, organisation=supplier_org_a.pk, price=["1=777.5"], document=[str(offer)], output=body_path)
    response = api_as(supplier_a).post(f"/api/v1/tenders/{tender.pk}/bids/", json.loads(body_path.read_text()), format="json")
    assert response.status_code == 201
    with time_machine.travel(deadline + timedelta(seconds=1), tick=False):
        helpers.close(tender)
        key = keys.unwrap_platform_key(helpers.envelope_key(tender), now=timezone.now())
    opened = json.loads(sealing.open_envelope(json.loads(body_path.read_text())["envelopes"]["bid"], key))
    assert (
        opened["lots"] == [{"lot": 1, "price": {"amount": "777.50", "currency": "EUR"}}] and opened["documents"][0]["name"] == "offer.txt"
    )


def test_cli_refuses_a_malformed_price(tender, supplier_org_a):
    with pytest.raises(CommandError, match="LOT=AMOUNT"):
        call_command("seal_bid", tender=tender.pk, organisation=supplier_org_a.pk, price=["one thousand"])
