"""Approving the evaluation report, awarding each lot, and confirming awards after the standstill."""

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from bidding.models import Bid
from evaluation import report as reports
from evaluation.actions.common import firm_members, lock, require_evaluating, result_path
from evaluation.models import Award, AwardNotice, Challenge, EvaluationReport
from evaluation.signals import award_confirmed, award_published
from evaluation.standing import QUALIFIED, Standing, standing
from marketplace import audit, live, signing
from marketplace.errors import ActionError, Conflict, Problem
from marketplace.models import User
from marketplace.notify import notify
from marketplace.timefmt import shown
from tenders.actions.common import platform_language
from tenders.models import Tender


def approve_report(actor: User, tender: Tender) -> EvaluationReport:
    """Build the report from the data as it stands, sign it and keep it as the next version.
    Refused (with every reason) while the evaluation is incomplete."""
    with transaction.atomic():
        tender = lock(tender)
        require_evaluating(tender)
        result = standing(tender)
        if result.problems:
            raise ActionError(problems=result.problems)
        content = reports.build_report(result)
        latest = tender.evaluation_reports.order_by("-version").first()
        if latest is not None and latest.digest == reports.digest(content) and not latest.notices.exists():
            raise Conflict(
                _("This evaluation is already approved as report version %(v)s.") % {"v": latest.version}, code="already_approved"
            )
        now = timezone.now()
        version = (latest.version if latest else 0) + 1
        signed = content | {
            "approval": {"version": version, "approved_by": actor.get_full_name() or actor.email, "approved_at": now.isoformat()}
        }
        approved = EvaluationReport.objects.create(
            tender=tender,
            version=version,
            content=signed,
            digest=reports.digest(content),
            signature=signing.sign(signed),
            approved_by=actor,
            approved_at=now,
        )
        audit.record(
            "evaluation_report.approved",
            actor=actor,
            organisation=tender.buyer,
            obj=approved,
            payload={"tender": tender.pk, "version": version, "digest": approved.digest},
            now=now,
        )
    return approved


def _current_report(tender: Tender, result: Standing) -> EvaluationReport:
    latest = tender.evaluation_reports.order_by("-version").first()
    if latest is None:
        raise Conflict(_("Approve the evaluation report before awarding."), code="report_required")
    if latest.digest != reports.digest(reports.build_report(result)) or latest.notices.exists():
        raise Conflict(
            _("The evaluation changed since report version %(v)s was approved: approve it again.") % {"v": latest.version},
            code="report_outdated",
        )
    return latest


def _check_choices(result: Standing, choices: dict[int, str] | None) -> None:
    """The officer may name the bid they award per lot; it must be that lot's best-ranked qualified bid."""
    problems = []
    for lot_number, bid_id in (choices or {}).items():
        lot_standing = next((s for s in result.lots if s.lot.number == int(lot_number)), None)
        bid = result.bid(bid_id)
        field = f"lots.{lot_number}"
        if lot_standing is None:
            problems.append(Problem(_("This tender has no lot %(n)s.") % {"n": lot_number}, "unknown_lot", field))
        elif bid is None or bid.status not in QUALIFIED:
            problems.append(Problem(_("A disqualified or unknown bid cannot be awarded."), "disqualified", field))
        elif lot_standing.winner is None or lot_standing.winner.entry.bid_id != str(bid.pk):
            problems.append(Problem(_("Each lot goes to its best-ranked qualified bid."), "not_best_ranked", field))
    if problems:
        raise ActionError(problems=problems)


def award_tender(actor: User, tender: Tender, *, choices: dict[int, str] | None = None) -> AwardNotice:
    """Award every lot to its best-ranked qualified bid and publish the signed award notice; the
    standstill starts. Lots without a qualified bid are unsuccessful; with none at all, the tender is."""
    from evaluation.tasks import schedule_confirmation

    with transaction.atomic():
        tender = lock(tender)
        require_evaluating(tender)
        result = standing(tender)
        if result.problems:
            raise ActionError(problems=result.problems)
        current = _current_report(tender, result)
        _check_choices(result, choices)
        now = timezone.now()
        winners = [s for s in result.lots if s.winner is not None]
        kind = AwardNotice.Kind.AWARD if winners else AwardNotice.Kind.UNSUCCESSFUL
        standstill_ends_at = now + timedelta(days=tender.standstill_days) if winners else None
        number = tender.award_notices.count() + 1
        reason = "" if winners else _("No bid qualified.")
        content = reports.notice_content(
            result,
            number=number,
            kind=kind,
            published_at=now,
            standstill_ends_at=standstill_ends_at,
            report_version=current.version,
            reason=reason,
        ) | {"audit_checkpoint": audit.checkpoint_reference()}
        notice = AwardNotice.objects.create(
            tender=tender,
            number=number,
            kind=kind,
            report=current,
            content=content,
            signature=signing.sign(content),
            bids_count=len(result.bids),
            published_at=now,
            standstill_ends_at=standstill_ends_at,
        )
        for lot_standing in winners:
            bid = result.bid(lot_standing.winner.entry.bid_id)
            award = Award.objects.create(
                notice=notice,
                tender=tender,
                lot=lot_standing.lot,
                bid=bid,
                supplier=bid.organisation,
                price=lot_standing.winner.entry.price,
                currency=result.currency,
                created_at=now,
            )
            audit.record(
                "award.created",
                actor=actor,
                organisation=tender.buyer,
                obj=award,
                payload={"tender": tender.pk, "lot": lot_standing.lot.number, "bid": str(bid.pk)},
                now=now,
            )
            award.activate()
            award.activated_at, award.standstill_ends_at = now, standstill_ends_at
            award.save(update_fields=["status", "activated_at", "standstill_ends_at"])
            audit.record(
                "award.activated",
                actor=actor,
                organisation=tender.buyer,
                obj=award,
                payload={"standstill_ends_at": standstill_ends_at},
                now=now,
            )
        if winners:
            tender.award()
        else:
            tender.declare_unsuccessful()
            tender.unsuccessful_reason = reason
        tender.save(update_fields=["status", "unsuccessful_reason", "updated_at"])
        audit.record(
            "tender.awarded" if winners else "tender.unsuccessful",
            actor=actor,
            organisation=tender.buyer,
            obj=tender,
            payload={"notice": notice.pk, "number": number, "signature": notice.signature},
            now=now,
        )
        _tell_bidders(tender, result, notice)
        announcement = {
            "notice": notice.pk,
            "kind": kind,
            "reference": tender.reference,
            "title": f"{tender.reference} {tender.title}",
            "url": reverse("awards:detail", args=[notice.pk]),
            "standstill_ends_at": standstill_ends_at,
        }
        live.publish(f"tender.{tender.pk}", "award.published", announcement | {"status": tender.status, "signature": notice.signature})
        live.publish("public", "award.published", announcement)
        if winners:
            schedule_confirmation(notice)
        award_published.send(sender=AwardNotice, notice=notice, tender=tender, actor=actor, now=now)
    return notice


def _tell_bidders(tender: Tender, result: Standing, notice: AwardNotice) -> None:
    """Each bidder learns the result, its own rank and score, the winner's price and the reasons."""
    with platform_language():
        for bid in result.bids:
            lines = []
            ranks = result.rank_of(bid)
            for lot_standing in result.lots:
                if lot_standing.lot.number not in result.prices.get(str(bid.pk), {}) and bid.status in QUALIFIED:
                    continue
                winner = lot_standing.winner
                mine = ranks.get(lot_standing.lot.number)
                winner_price = _("no award") if winner is None else f"{winner.entry.price} {result.currency}"
                if bid.status not in QUALIFIED:
                    standing_text = _("your bid was disqualified: %(reason)s") % {"reason": bid.status_reason}
                elif mine is None:
                    standing_text = _("your bid was excluded as abnormally low")
                else:
                    score = f", {_('score')} {mine.total}" if mine.total is not None else ""
                    standing_text = _("your rank %(rank)s of %(of)s%(score)s") % {
                        "rank": mine.rank,
                        "of": len(lot_standing.ranking),
                        "score": score,
                    }
                lines.append(
                    _("Lot %(lot)s: %(standing)s; winning price: %(price)s.")
                    % {"lot": lot_standing.lot.number, "standing": standing_text, "price": winner_price}
                )
            if notice.standstill_ends_at:
                lines.append(_("You may challenge the award until %(end)s.") % {"end": shown(notice.standstill_ends_at)})
            won = any(r.rank == 1 for r in ranks.values())
            notify(
                firm_members(bid.organisation_id),
                kind="award.result",
                title=(_("%(reference)s: your bid won") if won else _("%(reference)s: the result of the evaluation"))
                % {"reference": tender.reference},
                body="\n".join(lines),
                url=result_path(tender),
                organisation=bid.organisation,
            )


def _confirmable(tender: Tender, now: datetime) -> tuple[list[Award], Conflict | None]:
    """The tender's active awards, and why they cannot be confirmed now (None: they can)."""
    awards = list(Award.objects.select_for_update().filter(tender=tender, status=Award.Status.ACTIVE).select_related("bid"))
    if not awards:
        return [], Conflict(_("There is no award waiting for confirmation."), code="nothing_to_confirm")
    if any(now < a.standstill_ends_at for a in awards):
        end = min(a.standstill_ends_at for a in awards)
        return awards, Conflict(_("The standstill has not ended yet: it ends at %(end)s.") % {"end": shown(end)}, code="standstill_running")
    if Challenge.objects.filter(tender=tender).open().exists():
        return awards, Conflict(_("A challenge is open: the award is confirmed only once it is decided."), code="challenge_open")
    return awards, None


def confirm_awards(actor: User | None, tender: Tender | int, *, quiet: bool = False) -> list[Award]:
    """After the standstill, with no open challenge: every active award becomes confirmed, ready for
    a contract; winning bids become awarded, the other qualified bids unsuccessful. Run by the task
    at the standstill's end and by the sweep (`quiet`: nothing due is not an error), or by an officer."""
    with transaction.atomic():
        tender = lock(tender)
        now = timezone.now()
        awards, refusal = _confirmable(tender, now)
        if refusal:
            if quiet:
                return []
            raise refusal
        for award in awards:
            award.confirm()
            award.confirmed_at = now
            award.save(update_fields=["status", "confirmed_at"])
            audit.record(
                "award.confirmed",
                actor=actor,
                organisation=tender.buyer,
                obj=award,
                payload={"tender": tender.pk, "lot": award.lot_id},
                now=now,
            )
            award_confirmed.send(sender=Award, award=award, actor=actor, now=now)
        winners = {a.bid_id for a in awards}
        deciding = Q(status=Bid.Status.QUALIFIED) | Q(pk__in=winners, status=Bid.Status.UNSUCCESSFUL)
        for bid in Bid.objects.select_for_update(of=("self",)).filter(deciding, tender=tender):
            if bid.status == Bid.Status.UNSUCCESSFUL:
                bid.award_after_refusal()
            else:
                bid.award() if bid.pk in winners else bid.lose()
            bid.save(update_fields=["status"])
            audit.record(f"bid.{bid.status}", actor=actor, organisation=tender.buyer, obj=bid, payload={"tender": tender.pk}, now=now)
        live.publish(f"tender.{tender.pk}", "award.confirmed", {"lots": sorted(a.lot_id for a in awards)})
        with platform_language():
            for award in awards:
                notify(
                    firm_members(award.supplier_id),
                    kind="award.confirmed",
                    title=lambda: _("%(reference)s: your award is confirmed") % {"reference": tender.reference},
                    body=lambda: _("The standstill is over; the contract can now be prepared."),
                    url=result_path(tender),
                    organisation=award.supplier,
                )
    return awards


def cancel_confirmed_award(actor: User | None, award: Award, *, reason: str, now: datetime) -> Award:
    """The winner declined the contract or let the signing period end: the confirmed award is
    cancelled with the reason (政府采购法 Art. 46). Called from the contract's action, inside
    its transaction, after the tender's lock."""
    with transaction.atomic():
        award = Award.objects.select_for_update().get(pk=award.pk)
        if award.status != Award.Status.CONFIRMED:
            raise Conflict(_("Only a confirmed award can be withdrawn from its winner."), code="award_not_confirmed")
        award.withdraw()
        award.cancelled_at, award.cancellation_reason = now, reason
        award.save(update_fields=["status", "cancelled_at", "cancellation_reason"])
        bid = Bid.objects.select_for_update(of=("self",)).get(pk=award.bid_id)
        if bid.status == Bid.Status.AWARDED and not bid.awards.filter(status__in=Award.IN_FORCE_STATUSES).exists():
            bid.forgo_award()
            bid.save(update_fields=["status"])
        audit.record(
            "award.cancelled",
            actor=actor,
            organisation=award.tender.buyer,
            obj=award,
            payload={"tender": award.tender_id, "lot": award.lot_id, "reason": reason},
            now=now,
        )
    return award


def lots_to_award_again(tender: Tender) -> list:
    """The lots whose confirmed award was withdrawn from its winner (who declined the contract or
    let the signing period end) and that no award holds now: each may go to the next-ranked bid."""
    withdrawn = Award.objects.filter(tender=tender, status=Award.Status.CANCELLED, confirmed_at__isnull=False)
    held = Award.objects.filter(tender=tender, status__in=Award.IN_FORCE_STATUSES).values("lot")
    return list(tender.lots.filter(pk__in=withdrawn.values("lot")).exclude(pk__in=held).order_by("number"))


def award_next_ranked(actor: User, tender: Tender, lot_number: int) -> AwardNotice:
    """Award the lot again, to the best-ranked qualified bid of the existing evaluation whose firm
    has not already refused it (政府采购法 Art. 46; 实施条例 Art. 49): a new signed notice for that
    lot, with its own standstill and challenges, as the first award had."""
    from evaluation.tasks import schedule_confirmation

    with transaction.atomic():
        tender = lock(tender)
        if tender.status != Tender.Status.AWARDED:
            raise Conflict(_("Only an awarded tender can have a lot awarded again."), code="not_awarded")
        lot = next((lot for lot in lots_to_award_again(tender) if lot.number == lot_number), None)
        if lot is None:
            raise Conflict(
                _("Lot %(lot)s has no award withdrawn from its winner to give again.") % {"lot": lot_number}, code="nothing_to_award_again"
            )
        result = standing(tender)
        if result.problems:
            raise ActionError(problems=result.problems)
        refused = Award.objects.filter(lot=lot, status=Award.Status.CANCELLED, confirmed_at__isnull=False)
        refusers = {str(bid_id) for bid_id in refused.values_list("bid", flat=True)}
        lot_standing = next(s for s in result.lots if s.lot.pk == lot.pk)
        following = [r for r in lot_standing.ranking if r.entry.bid_id not in refusers]
        if not following:
            raise Conflict(
                _("No other qualified bid is ranked for lot %(lot)s: it cannot be awarded again.") % {"lot": lot.number},
                code="no_next_ranked_bid",
            )
        chosen = following[0]
        bid = result.bid(chosen.entry.bid_id)
        previous = refused.select_related("supplier", "notice__report").order_by("-cancelled_at").first()
        # The same evaluation decides: the report the first notice cited is cited again.
        report = previous.notice.report
        now = timezone.now()
        standstill_ends_at = now + timedelta(days=tender.standstill_days)
        number = tender.award_notices.count() + 1
        reason = _(
            "Lot %(lot)s: %(firm)s did not sign the contract (%(why)s). The lot goes to the next-ranked qualified bid of the same evaluation."
        ) % {"lot": lot.number, "firm": previous.supplier.name, "why": previous.cancellation_reason}
        content = reports.notice_content(
            result,
            number=number,
            kind=AwardNotice.Kind.AWARD,
            published_at=now,
            standstill_ends_at=standstill_ends_at,
            report_version=report.version if report else None,
            reason=reason,
            winners={lot.number: str(bid.pk)},
        ) | {"audit_checkpoint": audit.checkpoint_reference(), "replaces": {"award": previous.pk, "notice": previous.notice_id}}
        notice = AwardNotice.objects.create(
            tender=tender,
            number=number,
            kind=AwardNotice.Kind.AWARD,
            report=report,
            content=content,
            signature=signing.sign(content),
            bids_count=len(result.bids),
            published_at=now,
            standstill_ends_at=standstill_ends_at,
        )
        award = Award.objects.create(
            notice=notice,
            tender=tender,
            lot=lot,
            bid=bid,
            supplier=bid.organisation,
            price=chosen.entry.price,
            currency=result.currency,
            created_at=now,
        )
        award.activate()
        award.activated_at, award.standstill_ends_at = now, standstill_ends_at
        award.save(update_fields=["status", "activated_at", "standstill_ends_at"])
        audit.record(
            "award.created_again",
            actor=actor,
            organisation=tender.buyer,
            obj=award,
            payload={"tender": tender.pk, "lot": lot.number, "bid": str(bid.pk), "replaces": previous.pk, "notice": notice.pk},
            now=now,
        )
        with platform_language():
            notify(
                firm_members(bid.organisation_id),
                kind="award.result",
                title=lambda: _("%(reference)s: lot %(lot)s is awarded to your bid") % {"reference": tender.reference, "lot": lot.number},
                body=lambda: (
                    _("The winner did not sign the contract; your bid is ranked next. Bidders may challenge this award until %(end)s.")
                    % {"end": shown(standstill_ends_at)}
                ),
                url=result_path(tender),
                organisation=bid.organisation,
            )
        announcement = {
            "notice": notice.pk,
            "kind": notice.kind,
            "reference": tender.reference,
            "title": f"{tender.reference} {tender.title}",
            "url": reverse("awards:detail", args=[notice.pk]),
            "standstill_ends_at": standstill_ends_at,
        }
        live.publish(f"tender.{tender.pk}", "award.published", announcement | {"status": tender.status, "signature": notice.signature})
        live.publish("public", "award.published", announcement)
        schedule_confirmation(notice)
        award_published.send(sender=AwardNotice, notice=notice, tender=tender, actor=actor, now=now)
    return notice
