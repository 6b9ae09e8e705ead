"""The opening record: when every line of a round is in, the record is built, signed with the
platform key and published, and the tender moves on (opened, or unsuccessful with too few valid
bids); the custodians' released shares are erased.
"""

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bidding import receipts, signals
from bidding.models import Opening, OpeningLine, ShareRelease
from marketplace import audit, live, signing
from marketplace.notify import notify
from tenders.actions.common import buyer_officers, follower_users, lock, platform_language, tender_path
from tenders.models import Tender


def publish(tender: Tender, kind: str, payload: dict) -> None:
    """Opening events go to everyone watching the tender and to its officers."""
    live.publish(f"tender.{tender.pk}", kind, payload)
    live.publish(f"tender.{tender.pk}.officers", kind, payload)


def complete_round(opening_id: int) -> Opening:
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
        publish(tender, "opening.completed", {"round": opening.round, "valid": valid, "rejected": rejected, "signature": opening.signature})
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

    def reason() -> str:
        return _("%(valid)s valid bid(s) were opened; this tender requires at least %(min)s.") % {"valid": valid, "min": tender.min_bids}

    with platform_language():
        tender.unsuccessful_reason = reason()  # stored and published once: in the platform's language
    notify(
        [*buyer_officers(tender), *follower_users(tender)],
        kind="tender.unsuccessful",
        title=lambda: _("%(reference)s is unsuccessful") % {"reference": tender.reference},
        body=reason,
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
