"""Sealed-bid use cases: submit, replace, withdraw; amendments and cancellation; custodians' keys.

Submissions lock the tender row FOR SHARE (PostgreSQL): they do not wait for one another,
while closing and amending (FOR UPDATE) wait for every submission in flight and hold off new
ones. The deadline is checked under that lock against one reading of the clock.
"""

from datetime import datetime

from django.db import IntegrityError, InterfaceError, OperationalError, connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from bidding import custody, receipts, sealing
from bidding.models import Bid, CustodianKey, CustodianShare, Envelope, EnvelopeKey
from bidding.signals import bid_eligibility_check, bid_withdrawn
from marketplace import audit, journal, statements
from marketplace.access import FIRM_ROLES
from marketplace.errors import ActionError, Conflict, Forbidden, Problem
from marketplace.models import Organisation, User
from marketplace.notify import notify
from suppliers.models import Supplier
from tenders.models import Item, Lot, Tender


def lock_tender_for_bidding(tender_id: int) -> Tender:
    """The tender, share-locked until commit (FOR SHARE)."""
    # SQLite takes the database write lock at BEGIN (IMMEDIATE), which excludes everything else.
    lock = " FOR SHARE" if connection.vendor == "postgresql" else ""
    [tender] = statements.fetch(Tender, f"{statements.select_sql(Tender)} WHERE {_TENDER}.id = %s{lock}", [tender_id])
    return tender


_TENDER = f'"{Tender._meta.db_table}"'
_ENVELOPE_KEY = f'"{EnvelopeKey._meta.db_table}"'


def inspect_envelopes(tender: Tender, organisation: Organisation, envelopes) -> list[sealing.Inspected]:
    """Every envelope the tender expects, each a well-formed JWE for its key; nothing else."""
    if not isinstance(envelopes, dict):
        raise ActionError(_('Send the envelopes as an object: {"<envelope name>": "<compact JWE>"}.'), code="invalid", field="envelopes")
    keys = statements.fetch(EnvelopeKey, f"{statements.select_sql(EnvelopeKey)} WHERE {_ENVELOPE_KEY}.tender_id = %s", [tender.pk])
    expected = {k.name: k for k in keys}
    problems = [
        Problem(_("The envelope “%(name)s” is missing.") % {"name": name}, "missing_envelope", f"envelopes.{name}")
        for name in sorted(set(expected) - set(envelopes))
    ]
    problems += [
        Problem(
            _("This tender has no envelope “%(name)s”; it expects: %(names)s.")
            % {"name": name, "names": ", ".join(tender.envelope_names())},
            "unexpected_envelope",
            f"envelopes.{str(name)[:40]}",
        )
        for name in sorted(set(envelopes) - set(expected))
    ]
    if problems:
        raise ActionError(problems=problems)
    return [
        sealing.inspect(
            name,
            envelopes[name],
            kid=expected[name].kid,
            organisation_id=organisation.pk,
            tender_id=tender.pk,
            max_bytes=tender.max_envelope_bytes,
        )
        for name in tender.envelope_names()
    ]


def lots_and_categories(tender: Tender) -> tuple[dict[int, bool], set[str]]:
    """In one query: the tender's lots (number → reserved for SMEs) and its items' CPV codes."""
    available: dict[int, bool] = {}
    categories: set[str] = set()
    with connection.cursor() as cursor:
        cursor.execute(_LOTS_AND_CATEGORIES, [tender.pk])
        for number, sme_reserved, cpv in cursor.fetchall():
            available[number] = bool(sme_reserved)
            if cpv:
                categories.add(cpv)
    return available, categories


_LOTS_AND_CATEGORIES = (
    f'SELECT lot.number, lot.sme_reserved, item.cpv FROM "{Lot._meta.db_table}" lot'  # noqa: S608 (models' own tables)
    f' LEFT OUTER JOIN "{Item._meta.db_table}" item ON item.lot_id = lot.id WHERE lot.tender_id = %s'
)


def is_sme(organisation: Organisation) -> bool:
    supplier = Supplier.objects.filter(organisation=organisation).first()
    return supplier is not None and supplier.is_sme


def declared_lots(tender: Tender, organisation: Organisation, lots, *, available: dict[int, bool] | None = None) -> list[int]:
    """The lots the bid is for: the given numbers, or by default every lot the firm may bid for.

    `available`: the tender's lots (number → reserved for SMEs) when the caller has read them.
    The firm's SME status is read only when a lot is reserved.
    """
    if available is None:
        available = {lot.number: lot.sme_reserved for lot in tender.lots.all()}
    firm_is_sme = any(available.values()) and is_sme(organisation)
    if lots is None:
        numbers = sorted(n for n, sme_reserved in available.items() if firm_is_sme or not sme_reserved)
        if not numbers:
            raise Forbidden(
                _("Every lot of this tender is reserved for small and medium-sized enterprises."), code="sme_reserved", field="lots"
            )
        return numbers
    if not isinstance(lots, list) or not lots or not all(isinstance(n, int) and not isinstance(n, bool) for n in lots):
        raise ActionError(_("List the numbers of the lots you bid for, e.g. [1, 3]."), code="invalid", field="lots")
    unknown = sorted(set(lots) - set(available))
    if unknown:
        raise ActionError(
            _("This tender has no lot %(numbers)s.") % {"numbers": ", ".join(map(str, unknown))}, code="unknown_lot", field="lots"
        )
    only_for_smes = sorted(n for n in set(lots) if available[n])
    if only_for_smes and not firm_is_sme:
        raise Forbidden(
            _("Lot %(numbers)s is reserved for small and medium-sized enterprises, and your firm is not registered as one.")
            % {"numbers": ", ".join(map(str, only_for_smes))},
            code="sme_reserved",
            field="lots",
        )
    return sorted(set(lots))


def eligibility_problems(
    organisation: Organisation, tender: Tender, now: datetime, *, item_categories: set[str] | None = None
) -> list[Problem]:
    """Why the firm may not bid on the tender now, as the other apps answer `bid_eligibility_check`."""
    responses = bid_eligibility_check.send(sender=Bid, organisation=organisation, tender=tender, now=now, item_categories=item_categories)
    return [problem for _receiver, problems in responses for problem in problems]


def _refuse_unless_eligible(organisation: Organisation, tender: Tender, now: datetime, item_categories: set[str]) -> None:
    problems = eligibility_problems(organisation, tender, now, item_categories=item_categories)
    if problems:
        raise Forbidden(problems=problems)


def _refuse_after_deadline(tender: Tender, now: datetime) -> None:
    if not tender.accepts_bids_at(now):
        if tender.is_past_deadline(now):
            raise Conflict(_("The submission deadline has passed: no bid is accepted after it."), code="deadline_passed")
        raise Conflict(_("This tender is not open for bids."), code="not_open")


def live_bid_count(payload: dict) -> dict:
    """The officers' `bids.count` payload, completed with the number of live bids when the event
    is put on the chain (under the chain head lock, after every act sequenced before it), so the
    last event always carries the true number."""
    with connection.cursor() as cursor:
        cursor.execute(_LIVE_BIDS, [payload["tender"], Bid.Status.SUBMITTED])
        [(count,)] = cursor.fetchall()
    return payload | {"count": count}


# Bid.objects.filter(tender_id=…).live().count(), precompiled: it runs on every submission.
_LIVE_BIDS = f'SELECT COUNT(*) FROM "{Bid._meta.db_table}" WHERE tender_id = %s AND status = %s'  # noqa: S608 (a model's own table)


def _count_event(tender: Tender) -> journal.Live:
    return journal.Live(f"tender.{tender.pk}.officers", "bids.count", {"tender": tender.pk}, refresh="bids.count")


def submit_bid(actor: User, organisation: Organisation, tender: Tender, envelopes, *, lots=None, replacing: Bid | None = None) -> Bid:
    """Receive a sealed bid (or its replacement) and return it with its signed receipt.

    The envelopes are checked against the tender's keys before the transaction; the rules that
    can change (deadline, state, eligibility) are checked under the tender lock.
    """
    inspected = inspect_envelopes(tender, organisation, envelopes)
    bid = None
    try:
        with transaction.atomic():
            tender = lock_tender_for_bidding(tender.pk)
            now = timezone.now()
            _refuse_after_deadline(tender, now)
            available, item_categories = lots_and_categories(tender)
            _refuse_unless_eligible(organisation, tender, now, item_categories)
            lot_numbers = declared_lots(tender, organisation, lots, available=available)
            old = None
            if replacing is not None:
                old = Bid.objects.select_for_update().get(pk=replacing.pk)
                if old.organisation_id != organisation.pk or old.tender_id != tender.pk:
                    raise ActionError(_("You can only replace your own bid for this tender."), code="not_yours")
                if not old.is_live:
                    raise Conflict(_("This bid was already %(status)s.") % {"status": old.get_status_display().lower()}, code="not_live")
                old.supersede()
                old.save(update_fields=["status"])
            bid = Bid(tender=tender, organisation=organisation, submitted_by=actor, lots=lot_numbers, received_at=now, replaces=old)
            digests = {e.name: e.sha256 for e in inspected}
            bid.receipt = receipts.issue(receipts.bid_payload(bid, digests))
            stored = [Envelope(bid=bid, name=e.name, kid=e.kid, jwe=e.compact, sha256=e.sha256, size=e.size) for e in inspected]
            # Two round trips, not one: the fault tests cut the connection between the bid and its envelopes.
            statements.execute([statements.insert_statement([bid])])
            statements.execute([statements.insert_statement(stored)])
            statements.mark_saved([bid, *stored])
            # The bid's events go with it: on the chain at once if its head is free, else in the
            # journal for the sequencer — a submission never waits for the others' turn.
            entries = []
            if old is not None:
                entries.append(
                    {
                        "action": "bid.replaced",
                        "actor": actor,
                        "organisation": organisation,
                        "obj": old,
                        "payload": {"tender": tender.pk, "by": str(bid.id)},
                        "now": now,
                    }
                )
            entries.append(
                {
                    "action": "bid.submitted",
                    "actor": actor,
                    "organisation": organisation,
                    "obj": bid,
                    "payload": {"tender": tender.pk, "envelopes": digests, "lots": lot_numbers, "replaces": str(old.id) if old else None},
                    "now": now,
                }
            )
            journal.append(entries, [_count_event(tender)])
    except IntegrityError:
        # The unique constraints refused a second live bid of this firm (the receipt goes back in
        # the response, so no lookup runs before the insert), or an envelope it already sent:
        # another firm's JWE names its true sealer and never gets this far.
        if replacing is None and Bid.objects.filter(tender=tender, organisation=organisation).live().exists():
            raise Conflict(
                _("Your firm already has a bid in this tender's box: replace or withdraw it."), code="already_submitted"
            ) from None
        raise Conflict(
            _("This bid, or one of its envelopes, was already received from your firm: replace your bid with freshly sealed envelopes."),
            code="duplicate",
        ) from None
    except (OperationalError, InterfaceError):
        # The connection was lost. If it was lost after the commit, the bid is in the box and
        # its receipt stands: answer with it rather than tell the bidder it was not received.
        if bid is None or not _stored_after_all(bid):
            raise
    return bid


def _stored_after_all(bid: Bid) -> bool:
    if connection.in_atomic_block:
        return False  # an outer transaction decides, and it failed
    connection.close()  # the lost connection cannot be asked; a new one can
    return Bid.objects.filter(pk=bid.pk, receipt=bid.receipt).exists()


def withdraw_bid(actor: User, bid: Bid) -> Bid:
    """Take a live bid back before the deadline; it will never be opened. Returns it with its receipt."""
    with transaction.atomic():
        tender = lock_tender_for_bidding(bid.tender_id)
        # Only the bid row: a join would upgrade our share lock on the tender to an update lock,
        # which two concurrent withdrawals would each wait for the other to release.
        bid = Bid.objects.select_for_update(of=("self",)).select_related("tender", "organisation").get(pk=bid.pk)
        now = timezone.now()
        _refuse_after_deadline(tender, now)
        if not bid.is_live:
            raise Conflict(_("This bid was already %(status)s.") % {"status": bid.get_status_display().lower()}, code="not_live")
        bid.withdraw()
        bid.withdrawn_at = now
        digests = dict(bid.envelopes.values_list("name", "sha256"))
        bid.withdrawal_receipt = receipts.issue(receipts.withdrawal_payload(bid, digests, now))
        bid.save(update_fields=["status", "withdrawn_at", "withdrawal_receipt"])
        journal.append(
            [
                {
                    "action": "bid.withdrawn",
                    "actor": actor,
                    "organisation": bid.organisation,
                    "obj": bid,
                    "payload": {"tender": tender.pk},
                    "now": now,
                }
            ],
            [_count_event(tender)],
        )
        bid_withdrawn.send(sender=Bid, bid=bid, now=now)
    return bid


def flag_bids_sealed_before_amendment(tender: Tender, amendment, *, now: datetime) -> int:
    """Tell each firm whose live bid predates an amendment; it may replace the bid. Runs in `amend_tender`."""
    flagged = list(Bid.objects.filter(tender=tender).live().select_related("organisation"))
    for bid in flagged:
        bid.sealed_before_amendment = amendment.number
        bid.save(update_fields=["sealed_before_amendment"])
        audit.record(
            "bid.sealed_before_amendment",
            organisation=bid.organisation,
            obj=bid,
            payload={"tender": tender.pk, "amendment": amendment.number},
            now=now,
        )
        members = User.objects.with_membership(*FIRM_ROLES, organisation=bid.organisation)
        notify(
            members,
            kind="bid.sealed_before_amendment",
            title=lambda: _("Tender %(reference)s was amended after you sealed your bid") % {"reference": tender.reference},
            body=lambda: (
                _(
                    "Amendment %(number)s changed the tender. Your bid stays in the box as sealed; read the amendment and replace your bid if it is affected."
                )
                % {"number": amendment.number}
            ),
            url=reverse("bidding:bid", args=[tender.pk]),
            organisation=bid.organisation,
        )
    return len(flagged)


def destroy_envelope_keys(tender: Tender, *, actor, now: datetime) -> None:
    """A cancelled tender's sealed bids must never be opened: its private keys are destroyed. Runs in `cancel_tender`."""
    for key in EnvelopeKey.objects.filter(tender=tender, destroyed_at__isnull=True):
        key.wrapped_private_key = None
        key.destroyed_at = now
        key.save(update_fields=["wrapped_private_key", "destroyed_at"])
        CustodianShare.objects.filter(envelope_key=key).delete()
        audit.record(
            "envelope_key.destroyed",
            actor=actor,
            organisation=tender.buyer,
            obj=key,
            payload={"tender": tender.pk, "kid": key.kid},
            now=now,
        )


# Custodians -------------------------------------------------------------------------------


def set_opening_passphrase(custodian: User, passphrase: str) -> CustodianKey:
    """Create the custodian's opening key, once, wrapped under a passphrase nobody else learns."""
    custody.validate_passphrase(passphrase)
    now = timezone.now()
    with transaction.atomic():
        User.objects.select_for_update().get(pk=custodian.pk)
        if CustodianKey.objects.filter(user=custodian).exists():
            raise Conflict(_("Your opening passphrase is already set; change it with your current passphrase."), code="already_set")
        opening_key = custody.new_custodian_key(custodian, passphrase, now)
        opening_key.save()
        audit.record("custodian_key.created", actor=custodian, obj=opening_key, payload={"kid": opening_key.kid}, now=now)
    return opening_key


def change_opening_passphrase(custodian: User, current: str, new: str) -> CustodianKey:
    """Re-wrap the same opening key under a new passphrase; the shares sealed to it stay valid."""
    custody.validate_passphrase(new)
    now = timezone.now()
    with transaction.atomic():
        opening_key = CustodianKey.objects.select_for_update().filter(user=custodian).first()
        if opening_key is None:
            raise Conflict(_("You have no opening passphrase yet: set one first."), code="not_set")
        try:
            custody.rewrap(opening_key, current, new, now)
        except custody.WrongPassphrase:
            raise custody.WrongPassphrase(_("Your current passphrase is not correct."), field="current") from None
        opening_key.save()
        audit.record("custodian_key.passphrase_changed", actor=custodian, obj=opening_key, payload={"kid": opening_key.kid}, now=now)
    return opening_key


def check_custodian_shares(custodian: User, tender: Tender, passphrase: str) -> list[str]:
    """Prove, before the deadline, that the passphrase unlocks this custodian's shares of the tender.

    Returns the envelope names checked; the shares themselves never leave this function.
    """
    shares = list(
        CustodianShare.objects.filter(custodian=custodian, envelope_key__tender=tender, envelope_key__destroyed_at__isnull=True)
        .select_related("envelope_key", "custodian__opening_key")
        .order_by("envelope_key__pk")
    )
    if not shares:
        raise ActionError(_("You hold no share of this tender's opening keys."), code="no_share")
    now = timezone.now()
    failure: ActionError | None = None
    try:
        for share in shares:
            custody.open_share(share, passphrase)
    except ActionError as error:
        failure = error
    with transaction.atomic():
        if failure is None:
            CustodianShare.objects.filter(pk__in=[s.pk for s in shares]).update(last_checked_at=now)
        audit.record(
            "custodian_share.checked" if failure is None else "custodian_share.check_failed",
            actor=custodian,
            organisation=tender.buyer,
            obj=tender,
            payload={"envelopes": [s.envelope_key.name for s in shares], "reason": "" if failure is None else failure.message},
            now=now,
        )
    if failure is not None:
        raise failure
    return [s.envelope_key.name for s in shares]


# After the opening -----------------------------------------------------------------------


def read_opened_document(actor: User, document) -> None:
    """Record that someone read a document of an opened bid (the view streams it after this)."""
    with transaction.atomic():
        audit.record(
            "opened_document.downloaded",
            actor=actor,
            organisation=document.bid.tender.buyer,
            obj=document,
            payload={"tender": document.bid.tender_id, "bid": str(document.bid_id), "sha256": document.sha256},
        )
