"""Questions and answers: private until answered, then public without the asker's name."""

from datetime import datetime

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace import audit, live
from marketplace.access import supplier_firms
from marketplace.errors import ActionError, Conflict, Forbidden
from marketplace.models import Organisation, User
from marketplace.notify import notify
from suppliers.models import Supplier
from tenders import signals
from tenders.actions.common import buyer_officers, follower_users, lock, tender_path
from tenders.models import Clarification, Tender, TenderFollower

MAX_TEXT = 10_000


def ask_question(actor: User, tender: Tender, *, question: str, organisation: Organisation | None = None) -> Clarification:
    """A verified supplier asks, until the clarification deadline; the firm follows the tender."""
    organisation = acting_firm(actor, organisation)
    question = question.strip()
    with transaction.atomic():
        tender = lock(tender)
        now = timezone.now()
        if not tender.accepts_questions_at(now):
            raise Conflict(_("Questions are no longer accepted: the clarification deadline has passed."), code="clarification_closed")
        refusal = asking_refusal(organisation, now)
        if refusal:
            raise Forbidden(refusal, code="not_verified")
        _check_text(question, "question")
        clarification = Clarification.objects.create(
            tender=tender, question=question, asked_by=actor, asker_organisation=organisation, asked_at=now
        )
        TenderFollower.objects.get_or_create(tender=tender, organisation=organisation, defaults={"followed_by": actor})
        waiting = tender.clarifications.filter(status=Clarification.Status.ASKED).count()
        notify(
            buyer_officers(tender),
            kind="tender.question",
            title=lambda: _("New question on %(reference)s") % {"reference": tender.reference},
            body=question,
            url=tender_path(tender),
            organisation=tender.buyer,
        )
        audit.record(
            "clarification.asked", actor=actor, organisation=organisation, obj=clarification, payload={"tender": tender.pk}, now=now
        )
        live.publish(f"tender.{tender.pk}.officers", "question.asked", {"clarification": clarification.pk, "waiting": waiting})
    return clarification


def answer_question(actor: User, clarification: Clarification, *, answer: str, question: str | None = None) -> Clarification:
    """Publish the answer to everyone. The officer may reword the question so that it does not
    give the asker away; the original wording stays in the audit chain."""
    answer = answer.strip()
    with transaction.atomic():
        tender = lock(clarification.tender_id)
        clarification = Clarification.objects.select_for_update().get(pk=clarification.pk)
        now = timezone.now()
        if clarification.status != Clarification.Status.ASKED:
            raise Conflict(_("This question has already been answered."), code="already_answered")
        _ensure_open(tender, now)
        _check_text(answer, "answer")
        original = clarification.question
        if question is not None and question.strip():
            _check_text(question.strip(), "question")
            clarification.question = question.strip()
        _publish(actor, tender, clarification, answer, now)
        audit.record(
            "clarification.answered",
            actor=actor,
            organisation=tender.buyer,
            obj=clarification,
            payload={
                "tender": tender.pk,
                "number": clarification.number,
                "reworded": clarification.question != original,
                "asked": original,
            },
            now=now,
        )
        _announce(tender, clarification)
    return clarification


def publish_clarification(actor: User, tender: Tender, *, question: str, answer: str) -> Clarification:
    """A clarification the agency publishes on its own initiative."""
    question, answer = question.strip(), answer.strip()
    with transaction.atomic():
        tender = lock(tender)
        now = timezone.now()
        _ensure_open(tender, now)
        _check_text(question, "question")
        _check_text(answer, "answer")
        clarification = Clarification.objects.create(tender=tender, question=question, asked_at=now)
        _publish(actor, tender, clarification, answer, now)
        audit.record(
            "clarification.published", actor=actor, organisation=tender.buyer, obj=clarification, payload={"tender": tender.pk}, now=now
        )
        _announce(tender, clarification)
    return clarification


def follow_tender(actor: User, tender: Tender, organisation: Organisation | None = None) -> TenderFollower:
    organisation = acting_firm(actor, organisation)
    if not tender.is_public:
        raise Conflict(_("Only a published tender can be followed."), code="not_public")
    follower, _created = TenderFollower.objects.get_or_create(tender=tender, organisation=organisation, defaults={"followed_by": actor})
    return follower


def unfollow_tender(actor: User, tender: Tender, organisation: Organisation | None = None) -> None:
    organisation = acting_firm(actor, organisation)
    TenderFollower.objects.filter(tender=tender, organisation=organisation).delete()


def acting_firm(actor: User, organisation: Organisation | None) -> Organisation:
    """The supplier firm the person acts for: the one given, or their only one."""
    firms = supplier_firms(actor)
    if organisation is not None:
        if organisation.pk not in {o.pk for o in firms}:
            raise Forbidden(_("You do not act for this firm."), code="not_member", field="organisation")
        return organisation
    if not firms:
        raise Forbidden(_("Only members of a supplier firm can do this."), code="not_supplier")
    if len(firms) > 1:
        raise ActionError(_("You act for several firms: choose one."), code="choose_firm", field="organisation")
    return firms[0]


def asking_refusal(organisation: Organisation, now: datetime) -> str | None:
    """Why the firm may not ask questions now (None when it may): only verified firms ask."""
    supplier = Supplier.objects.filter(organisation=organisation).first()
    if supplier is None:
        return _("Your organisation is not registered as a supplier.")
    if supplier.is_restricted_on(timezone.localdate(now)):
        return _("Your firm is suspended or debarred and may not ask questions.")
    if supplier.status not in (Supplier.Status.VERIFIED, Supplier.Status.SUSPENDED, Supplier.Status.DEBARRED):
        return _("Only verified suppliers may ask questions; your firm's registration has not been verified yet.")
    return None


def _ensure_open(tender: Tender, now: datetime) -> None:
    # Answers help bidders only while they can still bid.
    if tender.status != Tender.Status.PUBLISHED or tender.is_past_deadline(now):
        raise Conflict(_("Clarifications are published only before the submission deadline."), code="deadline_passed")


def _check_text(text: str, field: str) -> None:
    if not text:
        raise ActionError(_("This field is required."), code="required", field=field)
    if len(text) > MAX_TEXT:
        raise ActionError(_("Keep it under %(n)s characters.") % {"n": MAX_TEXT}, code="too_long", field=field)


def _publish(actor: User, tender: Tender, clarification: Clarification, answer: str, now: datetime) -> None:
    last = tender.clarifications.aggregate(last=Max("number"))["last"] or 0
    clarification.number = last + 1
    clarification.answer, clarification.answered_by, clarification.answered_at = answer, actor, now
    clarification.publish_answer()
    clarification.save()
    signals.clarification_published.send(sender=Tender, tender=tender, clarification=clarification, actor=actor, now=now)


def _announce(tender: Tender, clarification: Clarification) -> None:
    notify(
        follower_users(tender),
        kind="tender.clarification",
        title=lambda: _("Clarification %(number)s on %(reference)s") % {"number": clarification.number, "reference": tender.reference},
        body=f"{clarification.question}\n\n{clarification.answer}",
        url=tender_path(tender),
    )
    live.publish(
        f"tender.{tender.pk}",
        "clarification.published",
        {"number": clarification.number, "question": clarification.question, "answer": clarification.answer},
    )
