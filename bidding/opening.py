"""The public opening: the tender moves closed → opening → opened and its envelopes are read out.

A round (`Opening`) reads the bids it holds in order of receipt, one line per bid, a batch of
lines per transaction under the Opening's row lock: the line is written at most once (the
lock, and the unique (opening, bid) constraint), and a run that stops half-way — a worker
killed, an exception — is resumed by the next run from the first bid without a line. While an
envelope is decrypted and checked the next one is fetched (`EnvelopeFetcher`), and each is
dropped once read, so memory holds at most two whatever the size of the batch. When every line is in, the record is built, signed with the platform key and
published.

Custody decides how the round gets its private key: `platform` unwraps it (automatically at
the deadline); `committee` waits until k custodians have released their shares after the
deadline, rebuilds the key in memory, and erases the released shares once the round is read.

Lock order: tender, then opening, then bid, then the audit chain head (taken by audit/live).
"""

import time
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import NamedTuple

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from jwcrypto import jwk

from bidding import custody, keys, reading, receipts, signals
from bidding.models import Bid, Envelope, EnvelopeKey, OpenedDocument, Opening, OpeningLine, ShareRelease
from marketplace import audit, live, signing
from marketplace.errors import ActionError, Conflict, Forbidden
from marketplace.models import User
from marketplace.notify import notify
from tenders.actions.common import buyer_officers, follower_users, lock, platform_language, tender_path
from tenders.models import Custody, EnvelopeMode, Tender, TenderCustodian

# A batch of lines is read in one transaction: the Opening's lock, the audit chain head, the
# event numbers and the commit are paid once a batch. It ends after this many lines or this long,
# so the room still sees the lines come in a few at a time, in order.
BATCH_LINES = 50
BATCH_SECONDS = 0.1

MAX_FAILED_RELEASES = 5
RELEASE_LOCKOUT = timedelta(minutes=15)


def first_round(tender: Tender) -> str:
    return Opening.Round.BID if tender.envelope_mode == EnvelopeMode.SINGLE else Opening.Round.TECHNICAL


def _publish(tender: Tender, kind: str, payload: dict) -> None:
    """Opening events go to everyone watching the tender and to its officers."""
    live.publish(f"tender.{tender.pk}", kind, payload)
    live.publish(f"tender.{tender.pk}.officers", kind, payload)


def _bids_in_order(bids) -> list[str]:
    return [str(pk) for pk in bids.order_by("received_at", "id").values_list("id", flat=True)]


# Starting a round --------------------------------------------------------------------------


def open_tender(tender_id: int, *, requested_by: User | None = None) -> Opening | None:
    """The task at the deadline: close the tender, start its first round, read it out if the
    platform holds the key. Idempotent: run twice, by two workers, or after a crash, it leaves
    each bid read exactly once. Returns the first round's Opening (None before the deadline).

    `requested_by`: the officer starting it by hand, refused if the round has already started."""
    from tenders.actions import close_tender

    close_tender(tender_id)
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
        bids = Bid.objects.filter(tender=tender).exclude(status__in=[Bid.Status.REPLACED, Bid.Status.WITHDRAWN])
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
    from bidding import tasks

    opening = Opening(tender=tender, round=round, bid_ids=bid_ids, created_at=now)
    if tender.custody == Custody.COMMITTEE and bid_ids:
        opening.quorum_deadline = now + timedelta(hours=tender.opening_quorum_hours)
        opening.save()
        tasks.schedule_quorum_check(opening)
        _publish(tender, "opening.custodians", custodian_presence(opening))
    else:
        _start(opening, tender, now)
    return opening


def _start(opening: Opening, tender: Tender, now: datetime) -> None:
    opening.start()
    opening.started_at = now
    opening.save()
    _publish(tender, "opening.started", {"round": opening.round, "bids": len(opening.bid_ids)})


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


# Reading a round ---------------------------------------------------------------------------


def run_round(opening_id: int) -> Opening:
    """Read every bid of a running round that has no line yet, then complete it. Safe to run
    concurrently and again after a crash: a line is written once, under the Opening's lock."""
    opening = Opening.objects.select_related("tender").get(pk=opening_id)
    if opening.status != Opening.Status.RUNNING:
        return opening
    read = {str(pk) for pk in OpeningLine.objects.filter(opening=opening).values_list("bid_id", flat=True)}
    pending = [(position, bid_id) for position, bid_id in enumerate(opening.bid_ids, start=1) if bid_id not in read]
    if pending:
        key = _private_key(opening)
        try:
            while pending:
                pending = read_batch(opening.pk, pending, key)
        finally:
            del key  # the private key lives for this run only, in this frame
    return _complete(opening.pk)


def _private_key(opening: Opening) -> jwk.JWK:
    envelope_key = EnvelopeKey.objects.select_related("tender").get(tender=opening.tender_id, name=opening.round)
    now = timezone.now()
    if envelope_key.custody == Custody.PLATFORM:
        return keys.unwrap_platform_key(envelope_key, now=now)
    releases = ShareRelease.objects.filter(opening=opening, released_at__isnull=False, wrapped_share__isnull=False)
    mnemonics = [_unwrap_share(release) for release in releases]
    return custody.rebuild_committee_key(envelope_key, mnemonics, now=now)


class LineRead(NamedTuple):
    """One bid read: its line and its documents (their files already stored), to be written."""

    line: OpeningLine
    documents: list[OpenedDocument]


def read_batch(opening_id: int, pending: list[tuple[int, str]], key: jwk.JWK) -> list[tuple[int, str]]:
    """Read the next bids of `pending` (position, bid) in one transaction, for up to
    `BATCH_SECONDS` or `BATCH_LINES`, and return the bids left.

    Under the Opening's lock a bid that already has a line is skipped. A line that fails (an
    error, not a rejection) ends the batch: the lines read before it are written, then the error
    is raised. Nothing is half-written: a line, its documents, its bid's status, its audit event
    and its live event commit together."""
    batch, left = pending[:BATCH_LINES], pending[BATCH_LINES:]
    readings: list[LineRead] = []
    failure = None
    try:
        with transaction.atomic():
            # Only the Opening row: the tender stays free for the completion, which locks it first.
            opening = Opening.objects.select_for_update(of=("self",)).select_related("tender").get(pk=opening_id)
            if opening.status != Opening.Status.RUNNING:
                return []
            bid_ids = [bid_id for _position, bid_id in batch]
            read = {str(pk) for pk in OpeningLine.objects.filter(opening=opening, bid__in=bid_ids).values_list("bid_id", flat=True)}
            to_read = [(position, bid_id) for position, bid_id in batch if bid_id not in read]
            bids = Bid.objects.select_for_update(of=("self",)).select_related("organisation", "tender").order_by("pk")
            bids = {str(bid.pk): bid for bid in bids.filter(pk__in=[bid_id for _position, bid_id in to_read])}
            stored: dict[str, dict[str, str]] = {}
            for bid_id, name, sha256 in Envelope.objects.filter(bid__in=bids).values_list("bid_id", "name", "sha256"):
                stored.setdefault(str(bid_id), {})[name] = sha256
            ends_at = time.monotonic() + BATCH_SECONDS
            with EnvelopeFetcher(opening.round) as fetcher:
                upcoming = fetcher.fetch(to_read[0][1]) if to_read else None
                for number, (position, bid_id) in enumerate(to_read):
                    jwe = upcoming.result()
                    more = number + 1 < len(to_read) and time.monotonic() < ends_at
                    # The next envelope comes from PostgreSQL while this one is decrypted and checked.
                    upcoming = fetcher.fetch(to_read[number + 1][1]) if more else None
                    try:
                        readings.append(read_line(opening, position, bids[bid_id], jwe, stored.get(bid_id, {}), key))
                    except Exception as error:
                        failure = error
                    del jwe
                    if failure is not None or not more:
                        left = to_read[number + 1 :] + left
                        break
            _write_lines(opening, readings)
    except BaseException:
        for reading_ in readings:
            _delete_files(reading_.documents)
        raise
    if failure is not None:
        raise failure
    return left


class EnvelopeFetcher:
    """Fetches one envelope's JWE at a time in a background thread, on this thread's database
    connection and inside its transaction, while this thread decrypts and checks the previous
    one: it never touches the connection while a fetch is under way (`read_line` runs no query).
    So at most two JWEs are in memory, the one being read and the next."""

    def __init__(self, name: str):
        self.name = name
        self.database = transaction.get_connection()  # this thread's own, not the per-thread proxy

    def __enter__(self) -> "EnvelopeFetcher":
        self.database.inc_thread_sharing()
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="opening-envelope")
        return self

    def __exit__(self, *exc_info) -> None:
        self.pool.shutdown(wait=True)  # no fetch outlives the batch's use of the connection
        self.database.dec_thread_sharing()

    def fetch(self, bid_id: str) -> Future:
        sql, params = Envelope.objects.filter(bid=bid_id, name=self.name).values_list("jwe").query.sql_with_params()
        return self.pool.submit(self._run, sql, params)

    def _run(self, sql: str, params: tuple) -> str | None:
        with self.database.cursor() as cursor:
            cursor.execute(sql, params)
            row = cursor.fetchone()
        return row[0] if row else None


def read_line(opening: Opening, position: int, bid: Bid, jwe: str | None, stored_digests: dict[str, str], key: jwk.JWK) -> LineRead:
    """Decrypt and check one bid's envelope (None if it has none of this round): its line and
    documents, written by the batch. Runs no query (see `EnvelopeFetcher`)."""
    digests = reading.receipt_digests(bid)
    found = reading.read(jwe, bid, name=opening.round, key=key, digests=digests, lot_numbers=set(bid.lots))
    content = {
        "supplier": {"id": bid.organisation_id, "name": bid.organisation.name},
        "received_at": receipts.utc_timestamp(bid.received_at),
        "digests": dict(sorted(digests.items())) or dict(sorted(stored_digests.items())),
    }
    if found.result == OpeningLine.Result.OPENED:
        if opening.holds_prices:
            content["lots"] = found.lots
        content["documents"] = [document.as_json() for document in found.documents]
    line = OpeningLine(
        opening=opening,
        bid=bid,
        position=position,
        result=found.result,
        reason_code=found.reason_code,
        reason=found.reason,
        read_at=timezone.now(),
        content=content,
    )
    documents: list[OpenedDocument] = []
    try:
        for number, document in enumerate(found.documents, start=1):
            documents.append(_keep_document(bid, opening.round, number, document))
    except BaseException:
        _delete_files(documents)
        raise
    return LineRead(line, documents)


def _write_lines(opening: Opening, readings: list[LineRead]) -> None:
    """The batch's lines, documents, bid statuses, audit events and live events, in bulk."""
    if not readings:
        return
    tender = opening.tender
    OpeningLine.objects.bulk_create([line for line, _documents in readings])
    OpenedDocument.objects.bulk_create([document for _line, documents in readings for document in documents])
    if opening.is_first_round:
        outcomes: dict[tuple[str, str], list] = {}
        for line, _documents in readings:
            line.bid.open() if line.is_opened else line.bid.reject()
            line.bid.status_reason = line.reason
            outcomes.setdefault((line.bid.status, line.reason), []).append(line.bid.pk)
        # One update per outcome (opened, or rejected for a reason): the batch's bids are locked.
        for (status, reason), bid_ids in outcomes.items():
            Bid.objects.filter(pk__in=bid_ids).update(status=status, status_reason=reason)
    audit.record_many(
        [
            {
                "action": f"bid.{opening.round}_opened" if line.is_opened else f"bid.{opening.round}_rejected",
                "organisation": tender.buyer,
                "obj": line.bid,
                "payload": {"tender": tender.pk, "round": opening.round, "position": line.position, "reason_code": line.reason_code},
                "now": line.read_at,
            }
            for line, _documents in readings
        ]
    )
    # On `tender.<id>` only: the line is public, and the officers hear that subject too.
    live.publish_many(f"tender.{tender.pk}", [("opening.line", line_event(opening, line)) for line, _documents in readings])


def _delete_files(documents: list[OpenedDocument]) -> None:
    for document in documents:
        document.file.storage.delete(document.file.name)


def _keep_document(bid: Bid, envelope: str, position: int, document: reading.Document) -> OpenedDocument:
    """Store the document's file in private storage; its row is written with the batch."""
    kept = OpenedDocument(
        bid=bid,
        envelope=envelope,
        position=position,
        name=document.name,
        media_type=document.media_type,
        sha256=document.sha256,
        size=len(document.content),
    )
    name = kept.file.field.generate_filename(kept, f"{document.sha256[:16]}.bin")
    if kept.file.storage.exists(name):
        # Left by a run killed before its batch committed (no line names it): write it afresh
        # under the same name rather than leave it orphaned beside a copy.
        kept.file.storage.delete(name)
    kept.file.save(f"{document.sha256[:16]}.bin", ContentFile(document.content), save=False)
    return kept


def line_event(opening: Opening, line: OpeningLine) -> dict:
    return {"round": opening.round} | line.as_json()


def _complete(opening_id: int) -> Opening:
    """Build, sign and publish the record once every line is in; move the tender on."""
    with transaction.atomic():
        opening = Opening.objects.select_related("tender").get(pk=opening_id)
        tender = lock(opening.tender_id)
        opening = Opening.objects.select_for_update().get(pk=opening_id)
        if opening.status != Opening.Status.RUNNING or opening.lines.count() != len(opening.bid_ids):
            return opening
        now = timezone.now()
        opening.complete()
        opening.completed_at = now
        opening.record = build_record(opening, tender)
        opening.signature = signing.sign(opening.record)
        opening.save()
        valid, rejected = opening.record["valid"], opening.record["rejected"]
        if opening.is_first_round:
            _conclude_first_round(tender, valid, now)
        erased = ShareRelease.objects.filter(opening=opening, wrapped_share__isnull=False).update(wrapped_share=None, erased_at=now)
        audit.record(
            "opening.completed",
            organisation=tender.buyer,
            obj=opening,
            payload={"tender": tender.pk, "round": opening.round, "valid": valid, "rejected": rejected, "shares_erased": erased},
            now=now,
        )
        _publish(
            tender, "opening.completed", {"round": opening.round, "valid": valid, "rejected": rejected, "signature": opening.signature}
        )
        transaction.on_commit(lambda: signals.opening_completed.send(sender=Opening, opening=opening, tender=tender))
    return opening


def _conclude_first_round(tender: Tender, valid: int, now: datetime) -> None:
    if valid >= tender.min_bids:
        tender.finish_opening()
        tender.save(update_fields=["status", "updated_at"])
        audit.record("tender.opened", organisation=tender.buyer, obj=tender, payload={"valid": valid}, now=now)
        live.publish(f"tender.{tender.pk}", "tender.opened", {"reference": tender.reference, "status": tender.status})
        return
    tender.declare_unsuccessful()
    with platform_language():
        tender.unsuccessful_reason = _("%(valid)s valid bid(s) were opened; this tender requires at least %(min)s.") % {
            "valid": valid,
            "min": tender.min_bids,
        }
        notice = _("%(reference)s is unsuccessful") % {"reference": tender.reference}
        notify(
            [*buyer_officers(tender), *follower_users(tender)],
            kind="tender.unsuccessful",
            title=notice,
            body=tender.unsuccessful_reason,
            url=tender_path(tender),
        )
    tender.save(update_fields=["status", "unsuccessful_reason", "updated_at"])
    audit.record("tender.unsuccessful", organisation=tender.buyer, obj=tender, payload={"reason": tender.unsuccessful_reason}, now=now)
    payload = {"reference": tender.reference, "status": tender.status, "reason": tender.unsuccessful_reason}
    live.publish(f"tender.{tender.pk}", "tender.unsuccessful", payload)
    live.publish("public", "tender.unsuccessful", payload | {"title": f"{tender.reference} {tender.title}", "url": tender_path(tender)})


def build_record(opening: Opening, tender: Tender) -> dict:
    """The opening record of a round, as signed: every line in order of receipt."""
    lines = [line.as_json() for line in opening.lines.order_by("position")]
    lines = audit.json_safe({"lines": lines})["lines"]
    valid = sum(1 for line in lines if line["result"] == OpeningLine.Result.OPENED)
    return {
        "type": "opening_record",
        "tender": tender.pk,
        "tender_reference": tender.reference,
        "round": opening.round,
        "custody": tender.custody,
        "started_at": receipts.utc_timestamp(opening.started_at),
        "completed_at": receipts.utc_timestamp(opening.completed_at),
        "quorum_missed_at": receipts.utc_timestamp(opening.quorum_missed_at) if opening.quorum_missed_at else None,
        "lines": lines,
        "valid": valid,
        "rejected": len(lines) - valid,
        "min_bids": tender.min_bids,
        "audit_checkpoint": audit.checkpoint_reference(),
    }


# Committee custody ---------------------------------------------------------------------------


def _share_aad(release: ShareRelease) -> str:
    return f"released-share:{release.opening_id}:{release.custodian_id}"


def _unwrap_share(release: ShareRelease) -> str:
    return keys.unwrap(settings.SEALING_KEK, release.wrapped_share, _share_aad(release)).decode("ascii")


def custodian_presence(opening: Opening | None, *, tender: Tender | None = None, round: str = "") -> dict:
    """`{"round", "present", "needed", "of"}`: k of n custodians present (none before the round exists)."""
    tender_id, round = (opening.tender_id, opening.round) if opening is not None else (tender.pk, round)
    present = ShareRelease.objects.filter(opening=opening, released_at__isnull=False).count() if opening is not None else 0
    needed = EnvelopeKey.objects.filter(tender=tender_id, name=round).values_list("threshold", flat=True).first()
    seats = TenderCustodian.objects.filter(tender=tender_id).count()
    return {"round": round, "present": present, "needed": needed or 0, "of": seats}


def release_share(custodian: User, tender: Tender, round: str, passphrase: str) -> dict:
    """A custodian, after the deadline, unlocks their share of the round's key with their opening
    passphrase. The k-th release starts the round and reads it out. Returns the presence count.

    Wrong passphrases are counted per custodian and round: the fifth in a row locks the
    custodian out for 15 minutes. Every attempt is audited.
    """
    if round == first_round(tender) and not Opening.objects.filter(tender=tender, round=round).exists():
        open_tender(tender.pk)  # the deadline task may not have run yet; it is idempotent
    with transaction.atomic():
        tender = Tender.objects.select_related("buyer").get(pk=tender.pk)
        opening = Opening.objects.select_for_update().filter(tender=tender, round=round).first()
        now = timezone.now()
        try:
            release = _admit_custodian(custodian, tender, opening, round, now)
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
            refusal, presence = _take_share(release, custodian, tender, opening, passphrase, now)
    # Refusals are raised after the commit, so the attempt (and the count of wrong tries) stays recorded.
    if refusal is not None:
        raise refusal
    if presence["present"] >= presence["needed"]:
        run_round(opening.pk)
    return presence


def _take_share(
    release: ShareRelease, custodian: User, tender: Tender, opening: Opening, passphrase: str, now: datetime
) -> tuple[ActionError | None, dict | None]:
    envelope_key = EnvelopeKey.objects.select_related("tender").get(tender=tender, name=opening.round)
    try:
        mnemonic = custody.unlock_share(custodian, envelope_key, passphrase, now=now)
    except custody.WrongPassphrase:
        release.failed_attempts += 1
        left = MAX_FAILED_RELEASES - release.failed_attempts
        if left <= 0:
            release.failed_attempts, release.locked_until = 0, now + RELEASE_LOCKOUT
            refusal = custody.WrongPassphrase(
                _("Wrong passphrase, five times in a row: you can try again in 15 minutes."), code="locked", field="passphrase"
            )
        else:
            refusal = custody.WrongPassphrase(
                _("This passphrase does not unlock your share. %(left)s tries left before a 15-minute lock.") % {"left": left},
                field="passphrase",
            )
        release.save(update_fields=["failed_attempts", "locked_until"])
        return refusal, None
    except ActionError as error:
        return error, None
    release.released_at, release.failed_attempts = now, 0
    # Kept only wrapped under the platform KEK, bound to this round and custodian, until the
    # round is read out; then erased (see _complete).
    release.wrapped_share = keys.wrap(settings.SEALING_KEK, mnemonic.encode("ascii"), _share_aad(release))
    del mnemonic
    release.save(update_fields=["released_at", "failed_attempts", "wrapped_share"])
    presence = custodian_presence(opening)
    audit.record(
        "custodian_share.released",
        actor=custodian,
        organisation=tender.buyer,
        obj=opening,
        payload={"tender": tender.pk, "round": opening.round, "present": presence["present"], "needed": presence["needed"]},
        now=now,
    )
    _publish(tender, "opening.custodians", presence)
    if presence["present"] >= presence["needed"]:
        _start(opening, tender, now)
        audit.record("opening.started", actor=custodian, organisation=tender.buyer, obj=opening, payload={"round": opening.round}, now=now)
    return None, presence


def _admit_custodian(custodian: User, tender: Tender, opening: Opening | None, round: str, now: datetime) -> ShareRelease:
    if tender.custody != Custody.COMMITTEE:
        raise Conflict(_("This tender's keys are held by the platform: its opening needs no custodian."), code="platform_custody")
    if not TenderCustodian.objects.filter(tender=tender, user=custodian).exists():
        raise Forbidden(_("You are not a custodian of this tender."), code="not_custodian")
    if not tender.is_past_deadline(now):
        raise Conflict(_("The submission deadline has not passed: no share can be released before it."), code="before_deadline")
    if opening is None:
        raise Conflict(_("This round of the opening has not started."), code="not_started")
    if opening.status != Opening.Status.WAITING:
        raise Conflict(_("Enough shares were released: this round is already open."), code="already_open")
    release, _created = ShareRelease.objects.select_for_update().get_or_create(opening=opening, custodian=custodian)
    if release.released_at is not None:
        raise Conflict(_("You already released your share for this round."), code="already_released")
    if release.is_locked_at(now):
        raise Conflict(
            _("Too many wrong passphrases: try again after %(time)s.")
            % {"time": timezone.localtime(release.locked_until).strftime("%H:%M")},
            code="locked",
        )
    return release


def alert_quorum_missed(opening_id: int) -> bool:
    """Past the quorum window with fewer than k shares: alert the officers, once, and say so in
    the record. Custodians may still release their shares afterwards."""
    with transaction.atomic():
        opening = Opening.objects.select_related("tender").get(pk=opening_id)
        tender = lock(opening.tender_id)
        opening = Opening.objects.select_for_update().get(pk=opening_id)
        now = timezone.now()
        if not opening.quorum_missed_at_time(now) or opening.quorum_missed_at is not None:
            return False
        opening.quorum_missed_at = now
        opening.save(update_fields=["quorum_missed_at"])
        presence = custodian_presence(opening)
        notify(
            buyer_officers(tender),
            kind="opening.quorum_missed",
            title=_("%(reference)s: the custodians did not reach the quorum") % {"reference": tender.reference},
            body=_("%(present)s of %(needed)s custodians released their share in the %(hours)s hours allowed.")
            % {"present": presence["present"], "needed": presence["needed"], "hours": tender.opening_quorum_hours},
            url=tender_path(tender),
        )
        audit.record("opening.quorum_missed", organisation=tender.buyer, obj=opening, payload=presence | {"tender": tender.pk}, now=now)
        _publish(tender, "opening.quorum_missed", presence)
    return True
