"""Each reason a bid is rejected at the opening, from real tampered or mis-sealed data.

Every case opens a valid bid beside the bad one: a rejection never stops the others.
"""

import json
from datetime import timedelta

import pytest
import time_machine

from bidding import actions, opening, sealing
from bidding.keys import public_envelopes
from bidding.models import Bid, Envelope, OpeningLine
from tenders.models import EnvelopeMode
from tests.bidding import helpers

pytestmark = pytest.mark.django_db


@pytest.fixture
def good_bid(tender, supplier_b, supplier_org_b, supplier_record_b):
    return actions.submit_bid(supplier_b, supplier_org_b, tender, helpers.seal_bid(tender, supplier_org_b))


def body(tender, organisation, envelope: str = "bid", /, **changes) -> dict:
    plain = sealing.plaintext(
        tender_id=tender.pk,
        envelope=envelope,
        organisation_id=organisation.pk,
        prices={} if envelope == "technical" else {1: sealing.Decimal("100.00")},
        currency="EUR",
        documents=[sealing.Document("offer.txt", "text/plain", b"Our offer.")],
    )
    return json.loads(plain) | changes


def seal(tender, organisation, content: bytes | dict, envelope: str = "bid", public_jwk: dict | None = None) -> str:
    """Seal any content to the tender's envelope key, with the header a valid bid has."""
    key = next(e for e in public_envelopes(tender) if e["name"] == envelope)
    if isinstance(content, dict):
        content = json.dumps(content).encode()
    return sealing.seal(content, public_jwk or key["jwk"], kid=key["kid"], organisation_id=organisation.pk, tender_id=tender.pk)


def submit(tender, person, organisation, envelopes: dict) -> Bid:
    return actions.submit_bid(person, organisation, tender, envelopes)


def open_at_deadline(tender, deadline):
    with time_machine.travel(deadline + timedelta(seconds=1)):
        return opening.open_tender(tender.pk)


def line_of(bid: Bid) -> OpeningLine:
    return OpeningLine.objects.get(bid=bid)


@pytest.fixture
def alpha(supplier_a, supplier_org_a, supplier_record_a):
    return supplier_a, supplier_org_a


def assert_rejected(bid: Bid, code: str, good_bid: Bid) -> None:
    bid.refresh_from_db()
    assert bid.status == Bid.Status.REJECTED and line_of(bid).reason_code == code
    assert bid.status_reason and line_of(bid).reason == bid.status_reason
    assert Bid.objects.get(pk=good_bid.pk).status == Bid.Status.OPENED


def test_a_ciphertext_altered_in_the_database_does_not_match_its_receipt(tender, deadline, alpha, good_bid):
    bid = submit(tender, *alpha, helpers.seal_bid(tender, alpha[1]))
    envelope = bid.envelopes.get()
    parts = envelope.jwe.split(".")
    parts[3] = ("A" if parts[3][0] != "A" else "B") + parts[3][1:]
    tampered = ".".join(parts)
    Envelope.objects.filter(pk=envelope.pk).update(jwe=tampered, sha256=sealing.digest(tampered))
    record = open_at_deadline(tender, deadline).record
    assert_rejected(bid, "digest_mismatch", good_bid)
    assert [line["result"] for line in record["lines"]] == ["opened", "rejected"]


def test_a_jwe_copied_from_another_bid_is_rejected(tender, deadline, alpha, good_bid):
    bid = submit(tender, *alpha, helpers.seal_bid(tender, alpha[1]))
    Envelope.objects.filter(bid=bid).update(jwe=good_bid.envelopes.get().jwe)
    open_at_deadline(tender, deadline)
    assert_rejected(bid, "digest_mismatch", good_bid)


def test_a_bid_moved_from_another_tender_is_rejected(officer, tender, deadline, alpha, good_bid):
    other = helpers.publish(helpers.make_tender(officer, deadline=deadline), officer)
    bid = submit(other, *alpha, helpers.seal_bid(other, alpha[1]))
    Bid.objects.filter(pk=bid.pk).update(tender=tender)
    open_at_deadline(tender, deadline)
    assert_rejected(bid, "digest_mismatch", good_bid)


def test_an_envelope_sealed_to_another_key_cannot_be_decrypted(officer, tender, deadline, alpha, good_bid):
    stranger = helpers.publish(helpers.make_tender(officer, deadline=deadline), officer)
    wrong_key = public_envelopes(stranger)[0]["jwk"]
    bid = submit(tender, *alpha, {"bid": seal(tender, alpha[1], body(tender, alpha[1]), public_jwk=wrong_key)})
    open_at_deadline(tender, deadline)
    assert_rejected(bid, "undecryptable", good_bid)


def test_a_plaintext_naming_another_tender_is_rejected(tender, deadline, alpha, good_bid):
    bid = submit(tender, *alpha, {"bid": seal(tender, alpha[1], body(tender, alpha[1], tender=tender.pk + 1))})
    open_at_deadline(tender, deadline)
    assert_rejected(bid, "wrong_tender", good_bid)


def test_a_plaintext_naming_another_supplier_is_rejected(tender, deadline, alpha, good_bid, supplier_org_b):
    bid = submit(tender, *alpha, {"bid": seal(tender, alpha[1], body(tender, supplier_org_b))})
    open_at_deadline(tender, deadline)
    assert_rejected(bid, "wrong_supplier", good_bid)


def test_a_plaintext_naming_another_envelope_is_rejected(officer, deadline, alpha, supplier_b, supplier_org_b, supplier_record_b):
    tender = helpers.publish(helpers.make_tender(officer, deadline=deadline, envelope_mode=EnvelopeMode.TWO), officer)
    good = submit(tender, supplier_b, supplier_org_b, helpers.seal_bid(tender, supplier_org_b))
    swapped = {
        "technical": seal(tender, alpha[1], body(tender, alpha[1], "financial", lots=[]), "technical"),
        "financial": seal(tender, alpha[1], body(tender, alpha[1], "financial"), "financial"),
    }
    bid = submit(tender, *alpha, swapped)
    open_at_deadline(tender, deadline)
    assert_rejected(bid, "wrong_envelope", good)


@pytest.mark.parametrize(
    "content",
    [
        b"this is not JSON",
        {"tender": 1},
        "wrong currency",
        "document digest",
        "unknown lot",
        "negative price",
    ],
)
def test_invalid_content_is_rejected(tender, deadline, alpha, good_bid, content):
    plain = body(tender, alpha[1])
    if content == "wrong currency":
        plain["lots"][0]["price"]["currency"] = "USD"
    elif content == "document digest":
        plain["documents"][0]["sha256"] = "0" * 64
    elif content == "unknown lot":
        plain["lots"][0]["lot"] = 7
    elif content == "negative price":
        plain["lots"][0]["price"]["amount"] = "-5.00"
    else:
        plain = content
    bid = submit(tender, *alpha, {"bid": seal(tender, alpha[1], plain)})
    open_at_deadline(tender, deadline)
    assert_rejected(bid, "invalid_content", good_bid)


def test_prices_in_the_technical_envelope_are_rejected(officer, deadline, alpha, supplier_b, supplier_org_b, supplier_record_b):
    tender = helpers.publish(helpers.make_tender(officer, deadline=deadline, envelope_mode=EnvelopeMode.TWO), officer)
    good = submit(tender, supplier_b, supplier_org_b, helpers.seal_bid(tender, supplier_org_b))
    leaky = {
        "technical": seal(tender, alpha[1], body(tender, alpha[1], "technical", lots=body(tender, alpha[1])["lots"]), "technical"),
        "financial": seal(tender, alpha[1], body(tender, alpha[1], "financial"), "financial"),
    }
    bid = submit(tender, *alpha, leaky)
    record = open_at_deadline(tender, deadline).record
    assert_rejected(bid, "invalid_content", good)
    assert "lots" not in record["lines"][1]


def test_a_rejected_line_reads_out_no_content(tender, deadline, alpha, good_bid):
    bid = submit(tender, *alpha, {"bid": seal(tender, alpha[1], b"{}")})
    open_at_deadline(tender, deadline)
    line = line_of(bid)
    assert set(line.content) == {"supplier", "received_at", "digests"}
    assert not bid.opened_documents.exists()


def test_a_bad_financial_envelope_is_rejected_and_the_bid_stays_qualified(officer, deadline, alpha):
    from bidding import opened

    tender = helpers.publish(helpers.make_tender(officer, deadline=deadline, envelope_mode=EnvelopeMode.TWO), officer)
    envelopes = {
        "technical": seal(tender, alpha[1], body(tender, alpha[1], "technical"), "technical"),
        "financial": seal(tender, alpha[1], body(tender, alpha[1], "financial", lots=[]), "financial"),
    }
    bid = submit(tender, *alpha, envelopes)
    with time_machine.travel(deadline + timedelta(seconds=1)):
        opening.open_tender(tender.pk)
        tender.refresh_from_db()
        tender.start_evaluation()
        tender.save()
        bid.refresh_from_db()
        bid.qualify()
        bid.save()
        financial = opening.open_financial_envelopes(officer, tender, [bid])
    bid.refresh_from_db()
    assert bid.status == Bid.Status.QUALIFIED
    assert opened.line(bid, "financial").reason_code == "invalid_content" and opened.line(bid, "technical").result == "opened"
    assert opened.prices(bid) == {} and opened.currency(bid) is None
    assert financial.record["rejected"] == 1


def test_only_qualified_bids_have_their_financial_envelopes_opened(officer, deadline, alpha):
    from marketplace.errors import ActionError

    tender = helpers.publish(helpers.make_tender(officer, deadline=deadline, envelope_mode=EnvelopeMode.TWO), officer)
    bid = submit(tender, *alpha, helpers.seal_bid(tender, alpha[1]))
    with time_machine.travel(deadline + timedelta(seconds=1)):
        opening.open_tender(tender.pk)
        tender.refresh_from_db()
        tender.start_evaluation()
        tender.save()
        with pytest.raises(ActionError) as refusal:
            opening.open_financial_envelopes(officer, tender, [bid])
    assert refusal.value.problems[0].code == "not_qualified"
    assert not tender.openings.filter(round="financial").exists()


@pytest.mark.parametrize("amount", ["0.00", "0", "000.0"])
def test_a_price_of_zero_is_rejected_with_its_reason_on_the_record(tender, deadline, alpha, good_bid, amount):
    plain = body(tender, alpha[1])
    plain["lots"][0]["price"]["amount"] = amount
    bid = submit(tender, *alpha, {"bid": seal(tender, alpha[1], plain)})
    record = open_at_deadline(tender, deadline).record
    assert_rejected(bid, "invalid_content", good_bid)
    rejected = next(line for line in record["lines"] if line["result"] == "rejected")
    assert "greater than zero" in rejected["reason"] and "lots" not in rejected


def test_the_smallest_positive_price_is_read_out(tender, deadline, alpha, good_bid):
    plain = body(tender, alpha[1])
    plain["lots"][0]["price"]["amount"] = "0.01"
    bid = submit(tender, *alpha, {"bid": seal(tender, alpha[1], plain)})
    open_at_deadline(tender, deadline)
    bid.refresh_from_db()
    assert bid.status == Bid.Status.OPENED and line_of(bid).content["lots"][0]["price"]["amount"] == "0.01"
