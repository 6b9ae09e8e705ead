"""Custodians' shares under committee custody: who is present, admitting a custodian after the
deadline, unlocking their share with their passphrase (five wrong tries lock them out), and the
alert when the quorum window ends short of k shares.

A released share is kept only wrapped under the platform KEK, bound to its round and custodian,
until the round is read out (`bidding.record` erases it then).
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bidding import custody
from bidding.models import EnvelopeKey, Opening, ShareRelease
from bidding.record import publish
from marketplace import audit, keywrap
from marketplace.errors import ActionError, Conflict, Forbidden
from marketplace.models import User
from marketplace.notify import notify
from tenders.actions.common import buyer_officers, lock, tender_path
from tenders.models import Custody, Tender, TenderCustodian

MAX_FAILED_RELEASES = 5
RELEASE_LOCKOUT = timedelta(minutes=15)


def share_aad(release: ShareRelease) -> str:
    return f"released-share:{release.opening_id}:{release.custodian_id}"


def unwrap_share(release: ShareRelease) -> str:
    return keywrap.unwrap(settings.SEALING_KEK, release.wrapped_share, share_aad(release)).decode("ascii")


def custodian_presence(opening: Opening | None, *, tender: Tender | None = None, round: str = "") -> dict:
    """`{"round", "present", "needed", "of"}`: k of n custodians present (none before the round exists)."""
    tender_id, round = (opening.tender_id, opening.round) if opening is not None else (tender.pk, round)
    present = ShareRelease.objects.filter(opening=opening, released_at__isnull=False).count() if opening is not None else 0
    needed = EnvelopeKey.objects.filter(tender=tender_id, name=round).values_list("threshold", flat=True).first()
    seats = TenderCustodian.objects.filter(tender=tender_id).count()
    return {"round": round, "present": present, "needed": needed or 0, "of": seats}


def take_share(
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
    release.wrapped_share = keywrap.wrap(settings.SEALING_KEK, mnemonic.encode("ascii"), share_aad(release))
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
    publish(tender, "opening.custodians", presence)
    return None, presence


def admit_custodian(custodian: User, tender: Tender, opening: Opening | None, round: str, now: datetime) -> ShareRelease:
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
            title=lambda: _("%(reference)s: the custodians did not reach the quorum") % {"reference": tender.reference},
            body=lambda: (
                _("%(present)s of %(needed)s custodians released their share in the %(hours)s hours allowed.")
                % {"present": presence["present"], "needed": presence["needed"], "hours": tender.opening_quorum_hours}
            ),
            url=tender_path(tender),
        )
        audit.record("opening.quorum_missed", organisation=tender.buyer, obj=opening, payload=presence | {"tender": tender.pk}, now=now)
        publish(tender, "opening.quorum_missed", presence)
    return True
