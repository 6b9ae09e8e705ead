"""The evaluation report and the award notice, built from the data (never typed by hand).

The report is what the agency and auditors read: every bid, its qualification with reasons,
every evaluator's scores, the means, the formula, the flags and decisions, the ranking. The
award notice publishes part of it: buyer, tender, lots, winners, prices, the number of bids, the
ranking with scores, and the standstill.
"""

import hashlib
from datetime import datetime

import rfc8785

from evaluation import scoring
from evaluation.models import BidClarification
from evaluation.standing import Standing
from marketplace.audit import json_safe
from tenders.models import AwardMethod


def _money(amount, currency: str) -> dict | None:
    return None if amount is None else {"amount": str(amount), "currency": currency}


def _ranking(result: Standing, lot_standing) -> list[dict]:
    rows = []
    for ranked in lot_standing.ranking:
        bid = result.bid(ranked.entry.bid_id)
        rows.append(
            {
                "rank": ranked.rank,
                "bid": ranked.entry.bid_id,
                "supplier": {"id": bid.organisation_id, "name": bid.organisation.name},
                "price": _money(ranked.entry.price, result.currency),
                "technical_score": None if ranked.entry.technical is None else str(ranked.entry.technical),
                "price_score": None if ranked.price_score is None else str(ranked.price_score),
                "total_score": None if ranked.total is None else str(ranked.total),
                "tie_broken_by": ranked.tie_broken_by,
                "received_at": ranked.entry.received_at,
            }
        )
    return rows


def method_block(result: Standing) -> dict:
    tender = result.tender
    if tender.award_method == AwardMethod.WEIGHTED:
        return {
            "award_method": tender.award_method,
            "price_weight": tender.price_weight,
            "criteria": [
                {"id": c.pk, "name": c.name, "weight": c.weight, "max_score": c.max_score}
                for c in tender.criteria.order_by("position", "pk")
            ],
            "formulas": [scoring.TECHNICAL_FORMULA, scoring.PRICE_FORMULA, scoring.TOTAL_FORMULA],
        }
    return {"award_method": tender.award_method, "formulas": [scoring.LOWEST_PRICE_RULE]}


def lots_block(result: Standing, *, public: bool) -> list[dict]:
    lots = []
    for lot_standing in result.lots:
        block = {
            "lot": lot_standing.lot.number,
            "title": lot_standing.lot.title,
            "mean_qualified_price": None if lot_standing.check is None else str(lot_standing.check.mean),
            "abnormally_low_threshold": None if lot_standing.check is None else str(lot_standing.check.threshold),
            "ranking": _ranking(result, lot_standing),
        }
        if not public:
            block["flags"] = [
                {
                    "bid": str(flag.bid.pk),
                    "supplier": flag.bid.organisation.name,
                    "price": _money(flag.price, result.currency),
                    "review": None if flag.review is None else flag.review.status,
                    "reason": "" if flag.review is None else flag.review.reason,
                    "question": "" if flag.review is None else flag.review.clarification.question,
                    "answer": "" if flag.review is None else flag.review.clarification.answer,
                }
                for flag in lot_standing.flags
            ]
        else:
            block["abnormally_low_rejected"] = [
                flag.bid.organisation.name for flag in lot_standing.flags if flag.bid in lot_standing.excluded
            ]
        lots.append(block)
    return lots


def build_report(result: Standing) -> dict:
    """The report's content, without its approval block."""
    tender = result.tender
    clarifications = BidClarification.objects.filter(tender=tender).order_by("asked_at", "pk")
    content = {
        "type": "evaluation_report",
        "tender": {"id": tender.pk, "reference": tender.reference, "title": tender.title, "buyer": tender.buyer.name},
        "envelopes": tender.envelope_mode,
        "abnormally_low_percent": tender.abnormally_low_percent,
        "method": method_block(result),
        "committee": [
            {
                "name": e.user.get_full_name() or e.user.email,
                "status": e.status,
                "declared_at": e.declared_at,
                "scores_submitted_at": e.scores_submitted_at,
            }
            for e in result.evaluators
        ],
        "bids": [
            {
                "bid": str(bid.pk),
                "supplier": {"id": bid.organisation_id, "name": bid.organisation.name},
                "received_at": bid.received_at,
                "status": bid.status,
                "reason": bid.status_reason,
                "qualification": [
                    {"requirement": c.requirement, "label": c.label, "passed": c.passed, "reason": c.reason}
                    for c in result.checks.get(str(bid.pk), [])
                ],
                "prices": {str(n): str(p) for n, p in sorted(result.prices.get(str(bid.pk), {}).items())},
                "criterion_means": {str(c): str(m) for c, m in result.means.get(str(bid.pk), {}).items()},
                "technical_score": str(result.technical[str(bid.pk)]) if str(bid.pk) in result.technical else None,
            }
            for bid in result.bids
        ],
        "scores": [
            {
                "evaluator": s.evaluator.user.get_full_name() or s.evaluator.user.email,
                "bid": str(s.bid_id),
                "criterion": s.criterion_id,
                "value": str(s.value),
                "comment": s.comment,
            }
            for s in result.scores
        ]
        if result.scores_complete
        else [],
        "lots": lots_block(result, public=False),
        "clarifications": [
            {
                "bid": str(c.bid_id),
                "purpose": c.purpose,
                "lot": c.lot,
                "question": c.question,
                "asked_at": c.asked_at,
                "deadline": c.deadline,
                "answer": c.answer,
                "answered_at": c.answered_at,
            }
            for c in clarifications
        ],
    }
    return json_safe(content)


def digest(content: dict) -> str:
    return hashlib.sha256(rfc8785.dumps(content)).hexdigest()


def notice_content(
    result: Standing,
    *,
    number: int,
    kind: str,
    published_at: datetime,
    standstill_ends_at: datetime | None,
    report_version: int | None,
    reason: str = "",
    winners: dict[int, str] | None = None,
) -> dict:
    """The notice's content. `winners` ({lot number: bid id}) makes it the notice of a re-award:
    only those lots, each won by the bid named (ranked after the firm that refused the contract)."""
    tender = result.tender
    lots = lots_block(result, public=True)
    if winners is not None:
        lots = [block for block in lots if block["lot"] in winners]
    for block in lots:
        if winners is not None:
            winner = next(row for row in block["ranking"] if str(row["bid"]) == winners[block["lot"]])
        else:
            winner = block["ranking"][0] if block["ranking"] else None
        block["winner"] = None if winner is None else {"supplier": winner["supplier"], "price": winner["price"], "bid": winner["bid"]}
        block["status"] = "awarded" if winner else "unsuccessful"
    return json_safe(
        {
            "type": "award_notice",
            "number": number,
            "kind": kind,
            "buyer": {"id": tender.buyer_id, "name": tender.buyer.name},
            "tender": {"id": tender.pk, "reference": tender.reference, "title": tender.title},
            "bids_received": len(result.bids),
            "method": method_block(result),
            "lots": lots,
            "published_at": published_at,
            "standstill_ends_at": standstill_ends_at,
            "evaluation_report_version": report_version,
            "reason": reason,
        }
    )
