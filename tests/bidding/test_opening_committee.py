"""Committee custody: k custodians release their shares after the deadline, then the bids open."""

from datetime import timedelta

import pytest
import time_machine

from bidding import actions, opening, readout, shares
from bidding.models import Bid, Opening, ShareRelease
from marketplace.errors import ActionError, Conflict, Forbidden
from marketplace.models import AuditEvent, LiveEvent, Notification, Role
from tenders.models import Custody, EnvelopeMode, Tender
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


def committee_tender(officer, custodians, deadline, **fields):
    tender = helpers.make_tender(officer, deadline=deadline, custody=Custody.COMMITTEE, custodians=custodians, threshold=2, **fields)
    return helpers.publish(tender, officer)


@pytest.fixture
def tender(officer, custodians, deadline, supplier_a, supplier_org_a, supplier_record_a):
    tender = committee_tender(officer, custodians, deadline)
    actions.submit_bid(supplier_a, supplier_org_a, tender, helpers.seal_bid(tender, supplier_org_a))
    return tender


@pytest.fixture
def after_deadline(deadline):
    with time_machine.travel(deadline + timedelta(seconds=1)):
        yield


def release(custodians, tender, n: int, round: str = "bid"):
    return [opening.release_share(custodians[i], tender, round, PASSPHRASES[i]) for i in range(n)]


def test_the_deadline_task_waits_for_the_custodians(tender, after_deadline):
    started = opening.open_tender(tender.pk)
    tender.refresh_from_db()
    assert started.status == Opening.Status.WAITING and tender.status == Tender.Status.OPENING
    assert Bid.objects.get().status == Bid.Status.SUBMITTED


def test_k_minus_one_custodians_open_nothing(tender, custodians, after_deadline):
    [presence] = release(custodians, tender, 1)
    assert presence == {"round": "bid", "present": 1, "needed": 2, "of": 3}
    assert Opening.objects.get().status == Opening.Status.WAITING
    assert Bid.objects.get().status == Bid.Status.SUBMITTED


def test_k_custodians_open_the_bids_and_the_shares_are_erased(tender, custodians, after_deadline):
    release(custodians, tender, 2)
    tender.refresh_from_db()
    assert tender.status == Tender.Status.OPENED
    assert Bid.objects.get().status == Bid.Status.OPENED
    assert Opening.objects.get().status == Opening.Status.COMPLETE
    assert not ShareRelease.objects.filter(wrapped_share__isnull=False).exists()
    assert ShareRelease.objects.filter(erased_at__isnull=False).count() == 2
    assert AuditEvent.objects.filter(action="envelope_key.rebuilt").count() == 1


def test_presence_is_published_live(tender, custodians, after_deadline):
    release(custodians, tender, 2)
    counts = LiveEvent.objects.filter(subject=f"tender.{tender.pk}", kind="opening.custodians").order_by("seq")
    assert [e.payload["present"] for e in counts] == [0, 1, 2]


def test_no_share_is_released_one_second_before_the_deadline(tender, custodians, deadline):
    with time_machine.travel(deadline - timedelta(seconds=1)), pytest.raises(Conflict) as refusal:
        opening.release_share(custodians[0], tender, "bid", PASSPHRASES[0])
    assert refusal.value.problems[0].code == "before_deadline"
    assert not ShareRelease.objects.exists() and not Opening.objects.exists()
    assert AuditEvent.objects.filter(action="custodian_share.release_refused").count() == 1


def test_a_wrong_passphrase_is_counted_and_audited(tender, custodians, after_deadline):
    with pytest.raises(ActionError, match="4 tries left") as refusal:
        opening.release_share(custodians[0], tender, "bid", "not my passphrase at all")
    assert refusal.value.problems[0].field == "passphrase"
    assert ShareRelease.objects.get().failed_attempts == 1 and ShareRelease.objects.get().released_at is None
    assert AuditEvent.objects.filter(action="custodian_share.unlock_refused").count() == 1


def test_five_wrong_passphrases_lock_the_custodian_out_for_15_minutes(tender, custodians, deadline):
    with time_machine.travel(deadline + timedelta(seconds=1), tick=False):
        for _ in range(5):
            with pytest.raises(ActionError):
                opening.release_share(custodians[0], tender, "bid", "not my passphrase at all")
        with pytest.raises(Conflict) as locked:
            opening.release_share(custodians[0], tender, "bid", PASSPHRASES[0])
        assert locked.value.problems[0].code == "locked"
    with time_machine.travel(deadline + timedelta(minutes=15, seconds=1), tick=False):
        assert opening.release_share(custodians[0], tender, "bid", PASSPHRASES[0])["present"] == 1


def test_a_custodian_of_another_tender_is_refused(officer, tender, deadline, agency, after_deadline):
    stranger = make_member(agency, Role.CUSTODIAN, "stranger@mot.test")
    actions.set_opening_passphrase(stranger, "stranger's own passphrase")
    with pytest.raises(Forbidden) as refusal:
        opening.release_share(stranger, tender, "bid", "stranger's own passphrase")
    assert refusal.value.problems[0].code == "not_custodian"
    assert not ShareRelease.objects.exists()


def test_a_share_is_released_once(tender, custodians, after_deadline):
    release(custodians, tender, 1)
    with pytest.raises(Conflict) as refusal:
        opening.release_share(custodians[0], tender, "bid", PASSPHRASES[0])
    assert refusal.value.problems[0].code == "already_released"


def test_after_the_opening_no_more_shares_are_taken(tender, custodians, after_deadline):
    release(custodians, tender, 2)
    with pytest.raises(Conflict) as refusal:
        opening.release_share(custodians[2], tender, "bid", PASSPHRASES[2])
    assert refusal.value.problems[0].code == "already_open"
    assert ShareRelease.objects.filter(custodian=custodians[2]).count() == 0


def test_officers_are_alerted_when_the_quorum_window_ends(officer, tender, custodians, deadline):
    with time_machine.travel(deadline + timedelta(seconds=1)):
        release(custodians, tender, 1)
    waiting = Opening.objects.get()
    with time_machine.travel(waiting.quorum_deadline - timedelta(seconds=1)):
        assert not shares.alert_quorum_missed(waiting.pk)
    with time_machine.travel(waiting.quorum_deadline + timedelta(seconds=1)):
        assert shares.alert_quorum_missed(waiting.pk)
        assert not shares.alert_quorum_missed(waiting.pk)
    assert Notification.objects.filter(user=officer, kind="opening.quorum_missed").count() == 1
    assert Opening.objects.get().quorum_missed_at is not None
    with time_machine.travel(waiting.quorum_deadline + timedelta(minutes=5)):
        opening.release_share(custodians[1], tender, "bid", PASSPHRASES[1])
    assert Opening.objects.get().record["quorum_missed_at"] is not None


def test_financial_shares_are_released_for_the_financial_round(
    officer, custodians, deadline, supplier_a, supplier_org_a, supplier_record_a
):
    tender = committee_tender(officer, custodians, deadline, envelope_mode=EnvelopeMode.TWO)
    bid = actions.submit_bid(supplier_a, supplier_org_a, tender, helpers.seal_bid(tender, supplier_org_a, prices={1: "77"}))
    with time_machine.travel(deadline + timedelta(seconds=1)):
        release(custodians, tender, 2, "technical")
        with pytest.raises(Conflict) as early:
            opening.release_share(custodians[0], tender, "financial", PASSPHRASES[0])
        assert early.value.problems[0].code == "not_started"
        tender.refresh_from_db()
        tender.start_evaluation()
        tender.save()
        bid.refresh_from_db()
        bid.qualify()
        bid.save()
        waiting = opening.open_financial_envelopes(officer, tender, [bid])
        assert waiting.status == Opening.Status.WAITING
        release(custodians, tender, 2, "financial")
    financial = Opening.objects.get(round="financial")
    assert financial.status == Opening.Status.COMPLETE
    assert financial.record["lines"][0]["lots"][0]["price"]["amount"] == "77.00"


def test_a_committee_round_interrupted_half_way_resumes_from_the_wrapped_shares(
    officer, custodians, deadline, supplier_a, supplier_org_a, supplier_record_a, supplier_b, supplier_org_b, supplier_record_b, monkeypatch
):
    from bidding import tasks
    from bidding.models import OpeningLine

    tender = committee_tender(officer, custodians, deadline)
    for person, firm in [(supplier_a, supplier_org_a), (supplier_b, supplier_org_b)]:
        actions.submit_bid(person, firm, tender, helpers.seal_bid(tender, firm))
    read_line = readout.read_line

    def worker_dies(*args):
        raise RuntimeError("the worker died")

    monkeypatch.setattr(readout, "read_line", worker_dies)
    with time_machine.travel(deadline + timedelta(seconds=1)):
        release(custodians, tender, 1)
        with pytest.raises(RuntimeError):
            opening.release_share(custodians[1], tender, "bid", PASSPHRASES[1])
        assert ShareRelease.objects.filter(wrapped_share__isnull=False).count() == 2 and not OpeningLine.objects.exists()
        monkeypatch.setattr(readout, "read_line", read_line)
        tasks.sweep_openings.call()
    assert Opening.objects.get().status == Opening.Status.COMPLETE and OpeningLine.objects.count() == 2
    assert not ShareRelease.objects.filter(wrapped_share__isnull=False).exists()
