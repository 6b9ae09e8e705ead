"""Who can unwrap an envelope key, and when: platform custody and committee custody."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from bidding import actions, custody, keys, sealing
from bidding.models import CustodianShare, EnvelopeKey
from marketplace.errors import ActionError, Conflict
from marketplace.models import AuditEvent, Role
from tenders.models import Custody, EnvelopeMode
from tests.bidding import helpers
from tests.factories import make_member

pytestmark = pytest.mark.django_db

PASSPHRASES = ["first custodian's passphrase", "second custodian's passphrase", "third custodian's passphrase"]


@pytest.fixture
def custodians(agency):
    people = [make_member(agency, Role.CUSTODIAN, f"custodian{n}@mot.test") for n in (1, 2, 3)]
    for person, passphrase in zip(people, PASSPHRASES, strict=True):
        actions.set_opening_passphrase(person, passphrase)
    return people


@pytest.fixture
def committee_tender(officer, custodians, deadline):
    return helpers.publish(
        helpers.make_tender(officer, deadline=deadline, custody=Custody.COMMITTEE, custodians=custodians, threshold=2), officer
    )


def test_each_envelope_gets_its_own_published_key(officer):
    tender = helpers.publish(helpers.make_tender(officer, envelope_mode=EnvelopeMode.TWO), officer)
    envelopes = keys.public_envelopes(tender)
    assert [e["name"] for e in envelopes] == ["technical", "financial"]
    assert all(e["jwk"]["kty"] == "EC" and e["jwk"]["crv"] == "P-256" and "d" not in e["jwk"] for e in envelopes)
    assert len({e["kid"] for e in envelopes}) == 2 and all(e["jwk"]["kid"] == e["kid"] for e in envelopes)


def test_draft_has_no_keys(officer):
    assert keys.public_envelopes(helpers.make_tender(officer)) == []


def test_platform_key_is_stored_only_wrapped(tender):
    key = helpers.envelope_key(tender)
    assert key.wrapped_private_key and len(bytes(key.wrapped_private_key)) == 12 + 32 + 16


def test_platform_unwrap_is_refused_one_second_before_the_deadline(tender, deadline):
    with time_machine.travel(deadline - timedelta(seconds=1), tick=False):
        helpers.force_close(tender)  # even a tender closed too early stays sealed until the clock says so
        with pytest.raises(Conflict, match="deadline has not passed"):
            keys.unwrap_platform_key(helpers.envelope_key(tender), now=timezone.now())
    assert AuditEvent.objects.filter(action="envelope_key.unwrap_refused").count() == 1


def test_platform_unwrap_is_allowed_one_second_after_the_deadline(tender, deadline, supplier_org_a):
    sealed = helpers.seal_bid(tender, supplier_org_a)["bid"]
    with time_machine.travel(deadline + timedelta(seconds=1), tick=False):
        helpers.close(tender)
        key = keys.unwrap_platform_key(helpers.envelope_key(tender), now=timezone.now())
    assert b'"amount":"1234.50"' in sealing.open_envelope(sealed, key)
    assert AuditEvent.objects.filter(action="envelope_key.unwrapped").count() == 1


def test_platform_unwrap_is_refused_while_the_tender_is_not_closed(tender, deadline):
    with time_machine.travel(deadline + timedelta(seconds=1), tick=False), pytest.raises(Conflict, match="cannot be opened"):
        keys.unwrap_platform_key(helpers.envelope_key(tender), now=timezone.now())


def test_platform_unwrap_with_another_kek_fails(tender, deadline, settings):
    settings.SEALING_KEK = b"\x07" * 32
    with time_machine.travel(deadline + timedelta(seconds=1), tick=False):
        helpers.close(tender)
        with pytest.raises(Conflict, match="SEALING_KEK"):
            keys.unwrap_platform_key(helpers.envelope_key(tender), now=timezone.now())


def test_cancelled_tender_keys_are_destroyed(tender, officer, deadline):
    helpers.cancel(tender, officer)
    key = helpers.envelope_key(tender)
    assert key.wrapped_private_key is None and key.destroyed_at is not None
    with time_machine.travel(deadline + timedelta(seconds=1), tick=False), pytest.raises(Conflict):
        keys.unwrap_platform_key(key, now=timezone.now())


def test_committee_key_is_never_stored(committee_tender):
    key = helpers.envelope_key(committee_tender)
    assert key.wrapped_private_key is None and key.threshold == 2
    assert CustodianShare.objects.filter(envelope_key=key).count() == 3


def test_publication_is_refused_while_a_custodian_has_no_opening_key(officer, agency):
    newcomer = make_member(agency, Role.CUSTODIAN, "newcomer@mot.test")
    tender = helpers.make_tender(officer, custody=Custody.COMMITTEE, custodians=[newcomer, officer], threshold=2)
    messages = [str(p.message) for p in helpers.publication_problems(tender, officer)]
    assert any("has not set an opening passphrase" in m for m in messages) and len(messages) == 2


def test_platform_custody_has_no_publication_problem(officer):
    assert helpers.publication_problems(helpers.make_tender(officer), officer) == []


def unlock(person, tender, passphrase):
    return custody.unlock_share(person, helpers.envelope_key(tender), passphrase, now=timezone.now())


def test_committee_key_is_rebuilt_from_k_shares(committee_tender, custodians, deadline, supplier_org_a):
    sealed = helpers.seal_bid(committee_tender, supplier_org_a)["bid"]
    with time_machine.travel(deadline + timedelta(seconds=1), tick=False):
        helpers.close(committee_tender)
        shares = [unlock(custodians[0], committee_tender, PASSPHRASES[0]), unlock(custodians[2], committee_tender, PASSPHRASES[2])]
        key = custody.rebuild_committee_key(helpers.envelope_key(committee_tender), shares, now=timezone.now())
    assert b'"envelope":"bid"' in sealing.open_envelope(sealed, key)
    assert AuditEvent.objects.filter(action="envelope_key.rebuilt").count() == 1


def test_committee_key_is_not_rebuilt_from_k_minus_one_shares(committee_tender, custodians, deadline):
    with time_machine.travel(deadline + timedelta(seconds=1), tick=False):
        helpers.close(committee_tender)
        share = unlock(custodians[1], committee_tender, PASSPHRASES[1])
        with pytest.raises(Conflict, match="2 custodians' shares are needed"):
            custody.rebuild_committee_key(helpers.envelope_key(committee_tender), [share, share], now=timezone.now())
    assert AuditEvent.objects.filter(action="envelope_key.rebuild_refused").count() == 1


def test_share_cannot_be_unlocked_one_second_before_the_deadline(committee_tender, custodians, deadline):
    with time_machine.travel(deadline - timedelta(seconds=1), tick=False), pytest.raises(Conflict):
        unlock(custodians[0], committee_tender, PASSPHRASES[0])
    assert AuditEvent.objects.filter(action="custodian_share.unlock_refused", actor=custodians[0]).count() == 1


def test_wrong_passphrase_does_not_unlock_a_share(committee_tender, custodians, deadline):
    with time_machine.travel(deadline + timedelta(seconds=1), tick=False):
        helpers.close(committee_tender)
        with pytest.raises(custody.WrongPassphrase):
            unlock(custodians[0], committee_tender, PASSPHRASES[1])
    assert AuditEvent.objects.filter(action="custodian_share.unlock_refused").count() == 1


def test_custodian_checks_the_passphrase_before_the_deadline_without_seeing_the_share(committee_tender, custodians):
    assert actions.check_custodian_shares(custodians[1], committee_tender, PASSPHRASES[1]) == ["bid"]
    share = CustodianShare.objects.get(custodian=custodians[1])
    assert share.last_checked_at is not None
    event = AuditEvent.objects.get(action="custodian_share.checked")
    assert share.sealed_share not in str(event.payload)


def test_failed_check_is_audited(committee_tender, custodians):
    with pytest.raises(ActionError, match="does not unlock"):
        actions.check_custodian_shares(custodians[1], committee_tender, "not the passphrase at all")
    assert AuditEvent.objects.filter(action="custodian_share.check_failed", actor=custodians[1]).exists()


def test_changing_the_passphrase_keeps_the_shares(committee_tender, custodians):
    actions.change_opening_passphrase(custodians[0], PASSPHRASES[0], "a brand new opening passphrase")
    assert actions.check_custodian_shares(custodians[0], committee_tender, "a brand new opening passphrase") == ["bid"]
    with pytest.raises(ActionError):
        actions.check_custodian_shares(custodians[0], committee_tender, PASSPHRASES[0])


def test_opening_passphrase_is_set_only_once(custodians):
    with pytest.raises(Conflict):
        actions.set_opening_passphrase(custodians[0], "another passphrase entirely")


def test_short_passphrase_is_refused(agency):
    person = make_member(agency, Role.CUSTODIAN, "short@mot.test")
    with pytest.raises(ActionError, match="at least 12"):
        actions.set_opening_passphrase(person, "short")


def test_passphrase_is_not_stored(custodians):
    opening_key = custodians[0].opening_key
    stored = b"".join(bytes(v) if isinstance(v, bytes | memoryview) else str(v).encode() for v in opening_key.__dict__.values())
    assert PASSPHRASES[0].encode() not in stored


def test_cancelling_a_committee_tender_destroys_the_shares(committee_tender, officer):
    helpers.cancel(committee_tender, officer)
    assert not CustodianShare.objects.exists()
    assert EnvelopeKey.objects.get().destroyed_at is not None
