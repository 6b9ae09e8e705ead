"""Rules about the evaluation, the award, the standstill and challenges.

The buyer's procurement officers run the evaluation. Evaluators see opened bids only once they
have declared no conflict of interest with every bidder, and other evaluators' scores only when
every evaluator has submitted. A bid's firm sees its own result and clarifications. Review
officers decide escalated challenges. Award notices are public.
"""

from bidding.access import BIDDING_ROLES, opened_bid_readers
from evaluation.models import Challenge, Evaluator
from marketplace.access import has_role, holds_role_anywhere, is_auditor, is_member, rule
from marketplace.models import Role
from tenders.access import is_buyer_officer


def evaluator_seat(user, tender):
    """The user's serving seat on the tender's committee, or None."""
    if not user.is_authenticated:
        return None
    return tender.evaluators.filter(user=user).exclude(status=Evaluator.Status.CONFLICTED).first()


def is_cleared_evaluator(user, tender) -> bool:
    seat = evaluator_seat(user, tender)
    return seat is not None and seat.status == Evaluator.Status.CLEARED


@rule("manage_evaluation")
def manage_evaluation(user, tender) -> bool:
    """Name the committee, qualify, ask bidders, review prices, approve the report, award, answer challenges."""
    return is_buyer_officer(user, tender)


@rule("use_evaluation_workspace")
def use_evaluation_workspace(user, tender) -> bool:
    return is_buyer_officer(user, tender) or evaluator_seat(user, tender) is not None


@rule("declare_interests")
def declare_interests(user, tender) -> bool:
    return evaluator_seat(user, tender) is not None


@rule("view_opened_bids")
def view_opened_bids(user, tender) -> bool:
    """Opened bids' documents, qualification and prices: officers, cleared evaluators, auditors."""
    return is_buyer_officer(user, tender) or is_cleared_evaluator(user, tender) or is_auditor(user)


@rule("qualify_bids")
def qualify_bids(user, tender) -> bool:
    return is_buyer_officer(user, tender) or is_cleared_evaluator(user, tender)


@rule("score_bids")
def score_bids(user, tender) -> bool:
    return is_cleared_evaluator(user, tender)


@rule("view_evaluation_report")
def view_evaluation_report(user, tender) -> bool:
    """The agency and auditors; but not a member named to this tender's committee who has not
    declared no conflict (or declared one): the report holds the opened bids they may not see."""
    if is_auditor(user) or is_buyer_officer(user, tender):
        return True
    if not is_member(user, tender.buyer_id):
        return False
    seats = set(tender.evaluators.filter(user=user).values_list("status", flat=True))
    return not seats or seats == {Evaluator.Status.CLEARED}


@rule("view_bid_result")
def view_bid_result(user, bid) -> bool:
    return has_role(user, bid.organisation_id, *BIDDING_ROLES)


@rule("answer_bid_clarification")
def answer_bid_clarification(user, clarification) -> bool:
    return has_role(user, clarification.bid.organisation_id, *BIDDING_ROLES)


@rule("lodge_challenge")
def lodge_challenge(user, bid) -> bool:
    """A member of a firm whose bid was in the tender (the action checks the standstill)."""
    return has_role(user, bid.organisation_id, *BIDDING_ROLES)


@rule("view_challenge")
def view_challenge(user, challenge) -> bool:
    return (
        is_member(user, challenge.organisation_id)
        or is_buyer_officer(user, challenge.tender)
        or holds_role_anywhere(user, Role.REVIEW_OFFICER)
        or is_auditor(user)
    )


@rule("respond_to_challenge_answer")
def respond_to_challenge_answer(user, challenge) -> bool:
    """Accept the agency's answer or escalate: the challenging firm."""
    return has_role(user, challenge.organisation_id, *BIDDING_ROLES)


@rule("answer_challenge")
def answer_challenge(user, challenge) -> bool:
    return is_buyer_officer(user, challenge.tender)


@rule("decide_challenge")
def decide_challenge(user, challenge) -> bool:
    """The review body, never an officer of the agency whose award is challenged."""
    return holds_role_anywhere(user, Role.REVIEW_OFFICER) and not is_member(user, challenge.tender.buyer_id)


@rule("view_review_queue")
def view_review_queue(user, obj) -> bool:
    return holds_role_anywhere(user, Role.REVIEW_OFFICER) or is_auditor(user)


@rule("view_award_notice")
def view_award_notice(user, notice) -> bool:
    return notice.tender.is_public


def is_reviewing(user, tender) -> bool:
    """A review officer with a challenge of this tender before the review body reads its opened
    bids and their documents: the dispute is about what they say."""
    return (
        holds_role_anywhere(user, Role.REVIEW_OFFICER)
        and not is_member(user, tender.buyer_id)
        and Challenge.objects.filter(tender=tender).exclude(escalated_at=None).exists()
    )


opened_bid_readers.append(is_cleared_evaluator)  # a cleared evaluator reads the opened bids
opened_bid_readers.append(is_reviewing)  # so does the review body, once a challenge reaches it
