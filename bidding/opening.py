"""The public opening: the tender moves closed → opening → opened and its envelopes are read out.

This module holds the rounds (`Opening`): starting one (at the deadline, by an officer, for the
financial envelopes), getting its private key and running it. A round is read out in batches by
`bidding.readout`; when every line is in, `bidding.record` builds, signs and publishes the
record; under committee custody `bidding.shares` admits the custodians and keeps their shares.

Custody decides how the round gets its private key: `platform` unwraps it (automatically at
the deadline); `committee` waits until k custodians have released their shares after the
deadline, rebuilds the key in memory, and erases the released shares once the round is read.

Lock order: tender, then opening, then bid, then the audit chain head (taken by audit/live).
"""

import uuid
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from jwcrypto import jwk

from bidding import custody, envelopes, keys, readout, record, shares, unsealing
from bidding.models import Bid, EnvelopeKey, Opening, OpeningLine, ShareRelease
from bidding.shares import custodian_presence
from marketplace import audit, journal, live, twofactor
from marketplace.errors import ActionError, Conflict
from marketplace.models import User
from tenders.actions import close_tender
from tenders.actions.common import lock
from tenders.models import Custody, EnvelopeMode, Tender

__all__ = [
    "custodian_presence",
    "first_round",
    "open_financial_envelopes",
    "open_tender",
    "release_share",
    "run_round",
    "start_opening",
]


def first_round(tender: Tender) -> str:
    return Opening.Round.BID if tender.envelope_mode == EnvelopeMode.SINGLE else Opening.Round.TECHNICAL


def _bids_in_order(bids) -> list[str]:
    return [str(pk) for pk in bids.order_by("received_at", "id").values_list("id", flat=True)]


# Starting a round --------------------------------------------------------------------------


def open_tender(tender_id: int, *, requested_by: User | None = None) -> Opening | None:
    """The task at the deadline: close the tender, start its first round, read it out if the
    platform holds the key. Idempotent: run twice, by two workers, or after a crash, it leaves
    each bid read exactly once. Returns the first round's Opening (None before the deadline).

    `requested_by`: the officer starting it by hand, refused if the round has already started."""
    close_tender(tender_id)
    # Every submission has committed (the closing's lock on the tender waited for them, and none
    # is taken after it): their audit events join the chain before the opening's own. Drained in
    # a transaction of its own, so the head is never held while waiting for the tender's locks.
    journal.drain()
    opening = _start_first_round(tender_id, requested_by=requested_by)
    if opening is not None and opening.status == Opening.Status.RUNNING:
        opening = run_round(opening.pk)
    return opening


def start_opening(actor: User, tender: Tender) -> Opening:
    """An officer starts the opening by hand (the deadline task does it too): refused before the
    deadline, and refused if it has already started."""
    now = timezone.now()
    refusal = None
    if not tender.is_past_deadline(now):
        refusal = Conflict(_("The submission deadline has not passed: the opening cannot start before it."), code="before_deadline")
    elif Opening.objects.filter(tender=tender, round=first_round(tender)).exists():
        refusal = Conflict(_("The opening of this tender has already started."), code="already_started")
    elif tender.status not in (Tender.Status.PUBLISHED, Tender.Status.CLOSED):
        refusal = Conflict(
            _("The tender is %(status)s: it cannot be opened.") % {"status": tender.get_status_display()}, code="not_openable"
        )
    if refusal is not None:
        raise refusal
    opening = open_tender(tender.pk, requested_by=actor)
    if opening is None:
        raise Conflict(_("The tender is not ready to be opened."), code="not_openable")
    return opening


def _start_first_round(tender_id: int, *, requested_by: User | None = None) -> Opening | None:
    with transaction.atomic():
        tender = lock(tender_id)
        now = timezone.now()
        started = Opening.objects.filter(tender=tender, round=first_round(tender)).first()
        if started is not None:
            if requested_by is not None:
                # Checked again under the lock: two officers pressing at once start it once.
                raise Conflict(_("The opening of this tender has already started."), code="already_started")
            return started
        if tender.status != Tender.Status.CLOSED or not tender.is_past_deadline(now):
            return None
        tender.start_opening()
        tender.save(update_fields=["status", "updated_at"])
        live.publish(f"tender.{tender.pk}", "tender.opening", {"reference": tender.reference, "status": tender.status})
        bids = Bid.objects.filter(tender=tender).entered()
        opening = _create_round(tender, first_round(tender), _bids_in_order(bids), now=now)
        audit.record(
            "tender.opening_started",
            actor=requested_by,
            organisation=tender.buyer,
            obj=tender,
            payload={"round": opening.round, "custody": tender.custody, "bids": len(opening.bid_ids)},
            now=now,
        )
    return opening


def _create_round(tender: Tender, round: str, bid_ids: list[str], *, now: datetime) -> Opening:
    """A new round: running at once under platform custody (or with nothing to open), else
    waiting for the custodians until the tender's quorum window ends."""
    # bidding.tasks runs the rounds of this module: imported here, the one way round.
    from bidding import tasks

    opening = Opening(tender=tender, round=round, bid_ids=bid_ids, created_at=now)
    if tender.custody == Custody.COMMITTEE and bid_ids:
        opening.quorum_deadline = now + timedelta(hours=tender.opening_quorum_hours)
        opening.save()
        tasks.schedule_quorum_check(opening)
        record.publish(tender, "opening.custodians", custodian_presence(opening))
    else:
        _start(opening, tender, now)
    return opening


def _start(opening: Opening, tender: Tender, now: datetime) -> None:
    opening.start()
    opening.started_at = now
    opening.save()
    record.publish(tender, "opening.started", {"round": opening.round, "bids": len(opening.bid_ids)})


def open_financial_envelopes(actor: User, tender: Tender, qualified_bids) -> Opening:
    """Open the financial envelopes of exactly these bids (all qualified); the others stay sealed.

    For two-envelope tenders under evaluation. Under committee custody the round waits for k
    custodians to release their financial shares (`release_share`)."""
    wanted = {str(getattr(bid, "pk", bid)) for bid in qualified_bids}
    with transaction.atomic():
        tender = lock(tender.pk)
        now = timezone.now()
        if tender.envelope_mode != EnvelopeMode.TWO:
            raise Conflict(_("This tender has a single envelope: its prices were read out at the opening."), code="single_envelope")
        if tender.status != Tender.Status.EVALUATING:
            raise Conflict(_("Financial envelopes are opened only while the tender is being evaluated."), code="not_evaluating")
        if Opening.objects.filter(tender=tender, round=Opening.Round.FINANCIAL).exists():
            raise Conflict(_("The financial envelopes of this tender were already opened."), code="already_started")
        try:
            bids = Bid.objects.filter(tender=tender, pk__in=[uuid.UUID(pk) for pk in wanted])
        except ValueError:
            bids = Bid.objects.none()
        found = dict(bids.values_list("id", "status"))
        if len(found) != len(wanted) or any(status != Bid.Status.QUALIFIED for status in found.values()):
            raise ActionError(
                _("Only the financial envelopes of this tender's qualified bids can be opened."), code="not_qualified", field="bids"
            )
        opening = _create_round(tender, Opening.Round.FINANCIAL, _bids_in_order(bids), now=now)
        audit.record(
            "opening.financial_started",
            actor=actor,
            organisation=tender.buyer,
            obj=opening,
            payload={"tender": tender.pk, "bids": opening.bid_ids},
            now=now,
        )
    if opening.status == Opening.Status.RUNNING:
        opening = run_round(opening.pk)
    return opening


# Running a round ---------------------------------------------------------------------------


def run_round(opening_id: int) -> Opening:
    """Read every bid of a running round that has no line yet, then complete it. Safe to run
    concurrently and again after a crash: a line is written once, under the Opening's lock."""
    opening = Opening.objects.select_related("tender").get(pk=opening_id)
    if opening.status != Opening.Status.RUNNING:
        return opening
    read = {str(pk) for pk in OpeningLine.objects.filter(opening=opening).values_list("bid_id", flat=True)}
    pending = [(position, bid_id) for position, bid_id in enumerate(opening.bid_ids, start=1) if bid_id not in read]
    if pending:
        key = unsealing.OpeningKey.from_jwk(_private_key(opening))
        try:
            with envelopes.envelopes_for(opening.round, [bid_id for _position, bid_id in pending]) as source:
                while pending:
                    pending = readout.read_batch(opening.pk, pending, key, source)
        finally:
            del key  # the private key lives for this run only, in this frame
    return record.complete_round(opening.pk)


def _private_key(opening: Opening) -> jwk.JWK:
    envelope_key = EnvelopeKey.objects.select_related("tender").get(tender=opening.tender_id, name=opening.round)
    now = timezone.now()
    if envelope_key.custody == Custody.PLATFORM:
        return keys.unwrap_platform_key(envelope_key, now=now)
    releases = ShareRelease.objects.filter(opening=opening, released_at__isnull=False, wrapped_share__isnull=False)
    mnemonics = [shares.unwrap_share(release) for release in releases]
    return custody.rebuild_committee_key(envelope_key, mnemonics, now=now)


def release_share(custodian: User, tender: Tender, round: str, passphrase: str, otp: str | None = None) -> dict:
    """A custodian, after the deadline, unlocks their share of the round's key with their opening
    passphrase (and a fresh code from their authenticator app, if they have one). The k-th
    release starts the round and reads it out. Returns the presence count.

    Wrong passphrases are counted per custodian and round: the fifth in a row locks the
    custodian out for 15 minutes. Every attempt is audited.
    """
    twofactor.require_code(custodian, otp, purpose="custodian_share.release")
    if round == first_round(tender) and not Opening.objects.filter(tender=tender, round=round).exists():
        open_tender(tender.pk)  # the deadline task may not have run yet; it is idempotent
    with transaction.atomic():
        tender = Tender.objects.select_related("buyer").get(pk=tender.pk)
        opening = Opening.objects.select_for_update().filter(tender=tender, round=round).first()
        now = timezone.now()
        try:
            release = shares.admit_custodian(custodian, tender, opening, round, now)
        except ActionError as error:
            refusal, presence = error, None
            audit.record(
                "custodian_share.release_refused",
                actor=custodian,
                organisation=tender.buyer,
                obj=tender,
                payload={"round": round, "code": error.problems[0].code},
                now=now,
            )
        else:
            refusal, presence = shares.take_share(release, custodian, tender, opening, passphrase, now)
            if refusal is None and presence["present"] >= presence["needed"]:
                _start(opening, tender, now)
                audit.record(
                    "opening.started", actor=custodian, organisation=tender.buyer, obj=opening, payload={"round": opening.round}, now=now
                )
    # Refusals are raised after the commit, so the attempt (and the count of wrong tries) stays recorded.
    if refusal is not None:
        raise refusal
    if presence["present"] >= presence["needed"]:
        run_round(opening.pk)
    return presence
