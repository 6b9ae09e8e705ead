"""Every state-changing use case of the evaluation and award, one function each, owning its transaction."""

from evaluation.actions.award import (
    approve_report,
    award_next_ranked,
    award_tender,
    cancel_confirmed_award,
    confirm_awards,
    lots_to_award_again,
)
from evaluation.actions.challenges import (
    CHALLENGER_STATUSES,
    accept_answer,
    answer_challenge,
    decide_challenge,
    escalate_challenge,
    escalate_overdue,
    lodge_challenge,
    settle_stale_answers,
)
from evaluation.actions.clarifications import (
    answer_bid_clarification,
    ask_bidder,
    decide_price_justification,
    request_price_justification,
)
from evaluation.actions.committee import appoint_evaluator, declare_interests, start_evaluation
from evaluation.actions.qualification import disqualify_rejected_financial_envelopes, open_financial_round, qualify_bid
from evaluation.actions.scores import ScoreSpec, record_scores, submit_scores, visible_scores

__all__ = [
    "CHALLENGER_STATUSES",
    "ScoreSpec",
    "accept_answer",
    "answer_bid_clarification",
    "answer_challenge",
    "appoint_evaluator",
    "approve_report",
    "ask_bidder",
    "award_next_ranked",
    "award_tender",
    "cancel_confirmed_award",
    "confirm_awards",
    "decide_challenge",
    "decide_price_justification",
    "declare_interests",
    "disqualify_rejected_financial_envelopes",
    "escalate_challenge",
    "escalate_overdue",
    "lodge_challenge",
    "lots_to_award_again",
    "open_financial_round",
    "qualify_bid",
    "record_scores",
    "request_price_justification",
    "settle_stale_answers",
    "start_evaluation",
    "submit_scores",
    "visible_scores",
]
