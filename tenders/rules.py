"""The rules a tender must meet to be published (and to stay lawful when amended).

`publication_problems()` lists every problem at once, so the officer fixes them in one go;
it reads the clock it is given and never the stored state alone.
"""

from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from marketplace import currencies
from marketplace.errors import Problem
from marketplace.models import Membership, Role
from marketplace.timefmt import shown
from suppliers import cpv
from tenders.models import AwardMethod, Custody, ProcurementMethod, Tender


def minimum_response(tender: Tender) -> timedelta:
    """The shortest lawful time between publication (or an amendment) and the deadline: the
    platform's minimum for the procurement method, or the tender's own if it asks for more."""
    if tender.method == ProcurementMethod.RFQ:
        platform = timedelta(hours=settings.MIN_RESPONSE_HOURS_RFQ)
    else:
        platform = timedelta(days=settings.MIN_RESPONSE_DAYS_OPEN)
    return max(platform, timedelta(days=tender.min_response_days))


def earliest_deadline(tender: Tender, now: datetime) -> datetime:
    return now + minimum_response(tender)


def describe_minimum(tender: Tender) -> str:
    """The minimum response time as the platform setting counts it: hours for a request for
    quotation, days for an open procedure; empty when there is none."""
    hours = int(minimum_response(tender).total_seconds() // 3600)
    if not hours:
        return ""  # no minimum: the deadline need only be in the future
    if tender.method == ProcurementMethod.RFQ or hours % 24:
        return ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours}
    return ngettext("%(n)d day", "%(n)d days", hours // 24) % {"n": hours // 24}


def deadline_problems(tender: Tender, now: datetime) -> list[Problem]:
    """Both deadlines: set, in the future, far enough away, and in the right order."""
    return submission_deadline_problems(tender, now) + clarification_deadline_problems(tender, now) + deadline_order_problems(tender)


def submission_deadline_problems(tender: Tender, now: datetime) -> list[Problem]:
    deadline = tender.submission_deadline
    if deadline is None:
        return [Problem(_("Set the submission deadline."), "required", "submission_deadline")]
    if deadline <= now:
        return [Problem(_("The submission deadline is in the past."), "deadline_past", "submission_deadline")]
    earliest = earliest_deadline(tender, now)
    if deadline < earliest:
        message = _("The submission deadline must be at least %(period)s away: %(earliest)s or later.") % {
            "period": describe_minimum(tender),
            "earliest": shown(earliest),
        }
        return [Problem(message, "deadline_too_soon", "submission_deadline")]
    return []


def clarification_deadline_problems(tender: Tender, now: datetime) -> list[Problem]:
    if tender.clarification_deadline is None:
        return [Problem(_("Set the clarification deadline."), "required", "clarification_deadline")]
    if tender.clarification_deadline <= now:
        return [Problem(_("The clarification deadline is in the past."), "deadline_past", "clarification_deadline")]
    return []


def deadline_order_problems(tender: Tender) -> list[Problem]:
    deadline, clarification = tender.submission_deadline, tender.clarification_deadline
    if deadline is not None and clarification is not None and clarification >= deadline:
        return [
            Problem(_("The clarification deadline must come before the submission deadline."), "deadline_order", "clarification_deadline")
        ]
    return []


def publication_problems(tender: Tender, now: datetime) -> list[Problem]:
    """Everything that stops this draft from being published, in the order of the form."""
    problems: list[Problem] = []
    if not tender.buyer.code:
        problems.append(Problem(_("The agency has no code, which tender references start with."), "buyer_code", "buyer"))
    if not tender.title.strip():
        problems.append(Problem(_("Give the tender a title."), "required", "title"))
    if not tender.description.strip():
        problems.append(Problem(_("Describe what is being bought."), "required", "description"))
    if not tender.main_category:
        problems.append(Problem(_("Choose the main category (CPV)."), "required", "main_category"))
    elif not cpv.exists(tender.main_category):
        problems.append(Problem(_("%(code)s is not a CPV 2008 code.") % {"code": tender.main_category}, "unknown_cpv", "main_category"))
    if not currencies.is_known(tender.currency):
        problems.append(
            Problem(_("%(code)s is not an ISO 4217 currency code.") % {"code": tender.currency}, "unknown_currency", "currency")
        )
    if tender.estimated_value is None:
        problems.append(Problem(_("Give the estimated value."), "required", "estimated_value"))
    problems += lot_problems(tender)
    problems += deadline_problems(tender, now)
    problems += award_problems(tender)
    problems += custody_problems(tender)
    return problems


def lot_problems(tender: Tender) -> list[Problem]:
    problems = []
    lots = list(tender.lots.all())
    items_by_lot = {lot.pk: list(lot.items.all()) for lot in lots}
    if not any(items_by_lot.values()):
        problems.append(Problem(_("Add at least one item."), "required", "items"))
    if tender.divided_into_lots:
        if len(lots) < 2:
            problems.append(Problem(_("A tender divided into lots needs at least two lots."), "too_few_lots", "lots"))
        for index, lot in enumerate(lots):
            if not items_by_lot[lot.pk] and any(items_by_lot.values()):
                problems.append(Problem(_("Lot %(number)s has no item.") % {"number": lot.number}, "required", f"lots.{index}.items"))
            if lot.estimated_value is None:
                problems.append(
                    Problem(
                        _("Give the estimated value of lot %(number)s.") % {"number": lot.number},
                        "required",
                        f"lots.{index}.estimated_value",
                    )
                )
    for index, lot in enumerate(lots):
        for position, item in enumerate(items_by_lot[lot.pk]):
            if not cpv.exists(item.cpv):
                problems.append(
                    Problem(_("%(code)s is not a CPV 2008 code.") % {"code": item.cpv}, "unknown_cpv", f"lots.{index}.items.{position}.cpv")
                )
    return problems


def award_problems(tender: Tender) -> list[Problem]:
    criteria = list(tender.criteria.all())
    if tender.award_method != AwardMethod.WEIGHTED:
        if criteria:
            return [
                Problem(_("Award criteria apply only to weighted scoring: remove them or choose weighted scoring."), "criteria", "criteria")
            ]
        return []
    problems = []
    if not criteria:
        problems.append(Problem(_("Weighted scoring needs at least one named criterion besides price."), "required", "criteria"))
    if tender.price_weight is None:
        problems.append(Problem(_("Give the weight of the price."), "required", "price_weight"))
    names = [c.name.strip().lower() for c in criteria]
    if len(set(names)) != len(names):
        problems.append(Problem(_("Two criteria have the same name."), "duplicate", "criteria"))
    total = sum(c.weight for c in criteria) + (tender.price_weight or 0)
    if total != 100:
        problems.append(
            Problem(
                _("The weights of the criteria and of the price add up to %(total)s, not 100.") % {"total": total}, "weights", "criteria"
            )
        )
    return problems


def custody_problems(tender: Tender) -> list[Problem]:
    if tender.custody != Custody.COMMITTEE:
        return []
    problems = []
    seats = list(tender.custodian_seats.select_related("user"))
    n, k = len(seats), tender.custody_threshold
    if n < 2:
        problems.append(Problem(_("Name at least two custodians for committee custody."), "too_few_custodians", "custodians"))
    if k is None:
        problems.append(Problem(_("Say how many custodians are needed to open the bids."), "required", "custody_threshold"))
    elif k > n:
        problems.append(
            Problem(
                _("%(k)s custodians needed to open, but only %(n)s named: k must not exceed n.") % {"k": k, "n": n},
                "threshold",
                "custody_threshold",
            )
        )
    elif k < 2:
        # SLIP-39 splits a key among several people only with a threshold of two or more.
        problems.append(Problem(_("At least two custodians must be needed to open the bids."), "threshold", "custody_threshold"))
    if len({seat.user_id for seat in seats}) != n:
        problems.append(Problem(_("Each custodian may be named only once."), "duplicate", "custodians"))
    custodians_of_agency = set(
        Membership.objects.active().filter(organisation=tender.buyer_id, role=Role.CUSTODIAN).values_list("user_id", flat=True)
    )
    for index, seat in enumerate(seats):
        if seat.user_id not in custodians_of_agency:
            problems.append(
                Problem(
                    _("%(person)s is not an opening custodian of %(agency)s.") % {"person": seat.user, "agency": tender.buyer},
                    "not_custodian",
                    f"custodians.{index}",
                )
            )
    return problems


def lots_total(values: list[Decimal | None]) -> Decimal | None:
    """The tender's estimated value when every lot has one; None otherwise."""
    if not values or any(v is None for v in values):
        return None
    return sum(values, Decimal(0))
