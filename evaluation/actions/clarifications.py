"""Questions to bidders during the evaluation, and the review of abnormally low prices."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bidding.models import Bid
from evaluation.actions.common import firm_members, lock, lock_bid, require_evaluating, result_path, workspace_path
from evaluation.models import BidClarification, PriceReview
from evaluation.standing import standing
from marketplace import audit, live
from marketplace.errors import ActionError, Conflict
from marketplace.models import User
from marketplace.notify import notify
from marketplace.timefmt import shown
from tenders.actions.common import buyer_officers, platform_language
from tenders.models import Tender


def _check_question(question: str, deadline: datetime | None, now: datetime) -> None:
    if not (question or "").strip():
        raise ActionError(_("Write the question."), code="required", field="question")
    if deadline is None or deadline <= now:
        raise ActionError(_("Give a deadline for the answer, in the future."), code="deadline_past", field="deadline")


def _ask(actor, tender, bid, question, deadline, now, *, purpose=BidClarification.Purpose.QUESTION, lot=None) -> BidClarification:
    clarification = BidClarification.objects.create(
        tender=tender, bid=bid, purpose=purpose, lot=lot, question=question.strip(), deadline=deadline, asked_by=actor, asked_at=now
    )
    audit.record(
        "bid_clarification.asked",
        actor=actor,
        organisation=tender.buyer,
        obj=clarification,
        payload={
            "tender": tender.pk,
            "bid": str(bid.pk),
            "purpose": purpose,
            "lot": lot,
            "question": clarification.question,
            "deadline": deadline,
        },
        now=now,
    )
    with platform_language():
        notify(
            firm_members(bid.organisation_id),
            kind="evaluation.clarification",
            title=lambda: _("%(reference)s: the agency asks about your bid") % {"reference": tender.reference},
            body=lambda: (
                _("Answer before %(deadline)s. Your answer explains your bid; it cannot change it.") % {"deadline": shown(deadline)}
            ),
            url=result_path(tender),
            organisation=bid.organisation,
        )
    live.publish(f"org.{bid.organisation_id}", "evaluation.clarification", {"tender": tender.pk, "clarification": clarification.pk})
    return clarification


def ask_bidder(actor: User, tender: Tender, bid: Bid | str, *, question: str, deadline: datetime) -> BidClarification:
    with transaction.atomic():
        tender = lock(tender)
        require_evaluating(tender)
        bid = lock_bid(bid, tender)
        now = timezone.now()
        _check_question(question, deadline, now)
        return _ask(actor, tender, bid, question, deadline, now)


def answer_bid_clarification(user: User, clarification: BidClarification, *, answer: str) -> BidClarification:
    """The bidder's answer, before the deadline, once. It is recorded beside the bid; the bid itself
    (its sealed envelopes, prices and documents) is never touched."""
    with transaction.atomic():
        tender = lock(clarification.tender_id)
        clarification = BidClarification.objects.select_for_update().select_related("bid").get(pk=clarification.pk)
        now = timezone.now()
        if clarification.status == BidClarification.Status.ANSWERED:
            raise Conflict(_("This question was already answered."), code="already_answered")
        if not clarification.accepts_answer_at(now):
            raise Conflict(_("The deadline for this answer has passed."), code="deadline_passed")
        if not (answer or "").strip():
            raise ActionError(_("Write the answer."), code="required", field="answer")
        clarification.record_answer()
        clarification.answer, clarification.answered_by, clarification.answered_at = answer.strip(), user, now
        clarification.save(update_fields=["status", "answer", "answered_by", "answered_at"])
        audit.record(
            "bid_clarification.answered",
            actor=user,
            organisation=clarification.bid.organisation,
            obj=clarification,
            payload={"tender": tender.pk, "bid": str(clarification.bid_id), "answer": clarification.answer},
            now=now,
        )
        with platform_language():
            notify(
                buyer_officers(tender),
                kind="evaluation.clarification_answered",
                title=lambda: _("%(reference)s: a bidder answered your question") % {"reference": tender.reference},
                url=workspace_path(tender),
            )
        live.publish(f"tender.{tender.pk}.officers", "evaluation.clarification_answered", {"clarification": clarification.pk})
    return clarification


def request_price_justification(actor: User, tender: Tender, bid: Bid | str, lot: int, *, question: str, deadline: datetime) -> PriceReview:
    """Ask the bidder to justify a price flagged as abnormally low in a lot."""
    with transaction.atomic():
        tender = lock(tender)
        require_evaluating(tender)
        bid = lock_bid(bid, tender)
        now = timezone.now()
        _check_question(question, deadline, now)
        lot_standing = next((s for s in standing(tender).lots if s.lot.number == lot), None)
        flag = next((f for f in lot_standing.flags if f.bid.pk == bid.pk), None) if lot_standing else None
        if flag is None:
            raise Conflict(_("This price is not flagged as abnormally low."), code="not_flagged", field="lot")
        if flag.review is not None:
            raise Conflict(_("A justification of this price was already requested."), code="already_requested", field="lot")
        clarification = _ask(actor, tender, bid, question, deadline, now, purpose=BidClarification.Purpose.PRICE_JUSTIFICATION, lot=lot)
        review = PriceReview.objects.create(
            bid=bid,
            lot=lot,
            price=flag.price,
            mean_price=lot_standing.check.mean,
            threshold_percent=tender.abnormally_low_percent,
            clarification=clarification,
        )
        audit.record(
            "price_review.requested",
            actor=actor,
            organisation=tender.buyer,
            obj=review,
            payload={
                "tender": tender.pk,
                "bid": str(bid.pk),
                "lot": lot,
                "price": flag.price,
                "mean": lot_standing.check.mean,
                "threshold": lot_standing.check.threshold,
            },
            now=now,
        )
    return review


def decide_price_justification(actor: User, review: PriceReview, *, accept: bool, reason: str) -> PriceReview:
    """Accept (the price stands) or reject (the bid leaves the lot's ranking) the justification,
    with reasons, once the bidder has answered or the deadline has passed."""
    with transaction.atomic():
        tender = lock(review.bid.tender_id)
        require_evaluating(tender)
        review = PriceReview.objects.select_for_update().select_related("clarification", "bid").get(pk=review.pk)
        now = timezone.now()
        if review.is_resolved:
            raise Conflict(_("This justification was already decided."), code="already_decided")
        if not review.clarification.is_settled_at(now):
            raise Conflict(_("Wait for the bidder's answer or for its deadline to pass."), code="awaiting_answer")
        if not (reason or "").strip():
            raise ActionError(_("Give the reasons for the decision."), code="required", field="reason")
        review.accept() if accept else review.reject()
        review.reason, review.decided_by, review.decided_at = reason.strip(), actor, now
        review.save(update_fields=["status", "reason", "decided_by", "decided_at"])
        audit.record(
            f"price_review.{review.status}",
            actor=actor,
            organisation=tender.buyer,
            obj=review,
            payload={"tender": tender.pk, "bid": str(review.bid_id), "lot": review.lot, "reason": review.reason},
            now=now,
        )
    return review
