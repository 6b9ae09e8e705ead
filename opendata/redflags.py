"""Red flags: integrity indicators of a tender, each with its definition, source and threshold.

A flag is computed from what is public at that moment and nothing else: nothing about bids
before the deadline (DESIGN.md, sealing protocol step 5), who bid for which lot only once the
opening is complete, prices and disqualifications only once the award notice is public. A flag
whose data is not public yet has no row; one that cannot be judged from what is recorded says
"not enough data" with the reason, never a guess. A raised flag is a reason to look closer,
not a finding of wrongdoing.

`recompute(tender, now=…)` rewrites a tender's rows; `opendata.receivers` calls it in the
transaction of every change that feeds a flag. The outlier flags (R024, R058, R038) compare
with the other tenders and buyers as recorded when the flag is computed.

Sources: Cardinal (Open Contracting Partnership, `open-contracting/cardinal-rs`, its indicator
ids R003…) and prozorro-risks (ProZorro's risk indicators, `ProzorroUKR/prozorro-risks`).
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from statistics import quantiles

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from bidding import opened
from bidding.models import Bid, Opening, OpeningLine
from contracts.models import Amendment, Contract
from evaluation.models import Award, AwardNotice
from evaluation.standing import EVALUATED, QUALIFIED
from opendata.models import RedFlag
from tenders.models import EnvelopeMode, ProcurementMethod, Tender

RAISED, CLEAR, NOT_ENOUGH_DATA = RedFlag.Status.RAISED, RedFlag.Status.CLEAR, RedFlag.Status.NOT_ENOUGH_DATA

SHORT_PERIOD_DAYS = 15  # Cardinal R003's default for open procedures
IQR_FENCE = Decimal("1.5")  # Tukey's fences: below Q1 − 1.5 × IQR or above Q3 + 1.5 × IQR
MIN_PEER_FIGURES = 10  # other awarded lots needed before "unusual" means anything
MIN_PEER_BUYERS = 5  # other buyers needed before a buyer's rate can be an outlier
AMENDMENTS_LIMIT = 3
NEAR_ESTIMATE_PERCENT = Decimal("1")
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Result:
    status: str
    reason: str
    # What the flag measured (per lot), kept so that later tenders can be compared with this one.
    figures: tuple = ()


@dataclass(frozen=True)
class Flag:
    code: str
    title: str
    definition: str
    source: str  # "Cardinal" or "prozorro-risks"
    rule: str  # the source's own id of the rule
    threshold: str
    computed: str  # the events that compute it
    # None while the data the flag needs is not public: the tender has no row for it then.
    compute: Callable[[Tender], Result | None]


# Reading what is public -----------------------------------------------------------------------


def _opening_complete(tender: Tender) -> bool:
    """The first round of the opening is complete: who bid, and for which lots, is public."""
    return Opening.objects.filter(tender=tender, status=Opening.Status.COMPLETE).exists()


def _notice_public(tender: Tender) -> bool:
    return AwardNotice.objects.filter(tender=tender, status=AwardNotice.Status.PUBLISHED).exists()


def _bids_by_lot(tender: Tender) -> dict[int, list[Bid]]:
    """The bids entered (neither replaced nor withdrawn) for each lot, in order of receipt."""
    lots: dict[int, list[Bid]] = {number: [] for number in tender.lots.order_by("number").values_list("number", flat=True)}
    for bid in Bid.objects.filter(tender=tender).entered().order_by("received_at", "pk"):
        for number in bid.lots:
            lots.setdefault(number, []).append(bid)
    return lots


def _winners(tender: Tender) -> list[Award]:
    """The awards in force, under a published notice, one per awarded lot."""
    return list(
        Award.objects.filter(
            tender=tender, status__in=[Award.Status.ACTIVE, Award.Status.CONFIRMED], notice__status=AwardNotice.Status.PUBLISHED
        )
        .select_related("bid", "lot")
        .order_by("lot__number")
    )


class _Prices:
    """The prices read out at the opening for every bid of the tender, in one query: each bid's
    first price round that opened it, as `bidding.opened.prices` reads it bid by bid."""

    def __init__(self, tender: Tender) -> None:
        self._read: dict = {}
        lines = (
            OpeningLine.objects.filter(bid__tender=tender, opening__round__in=opened.PRICE_ROUNDS, result=OpeningLine.Result.OPENED)
            .order_by("opening__created_at", "pk")
            .values_list("bid_id", "content")
        )
        for bid_id, content in lines:
            if bid_id not in self._read:
                self._read[bid_id] = {entry["lot"]: Decimal(entry["price"]["amount"]) for entry in content.get("lots", [])}

    def of(self, bid: Bid, lot: int) -> Decimal | None:
        return self._read.get(bid.pk, {}).get(lot)


def _lots(numbers) -> str:
    return ", ".join(str(n) for n in numbers)


def _when(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S %Z")


def _fences(values: list[Decimal]) -> tuple[Decimal, Decimal]:
    q1, _median, q3 = quantiles(values, n=4, method="inclusive")
    spread = IQR_FENCE * (q3 - q1)
    return (q1 - spread).quantize(CENT), (q3 + spread).quantize(CENT)


# The flags ----------------------------------------------------------------------------------


def short_submission_period(tender: Tender) -> Result | None:
    if tender.published_at is None or tender.submission_deadline is None:
        return None
    if tender.method != ProcurementMethod.OPEN:
        return Result(CLEAR, _("Applies to open procedures only; this tender is a %(method)s.") % {"method": tender.get_method_display()})
    days = Decimal((tender.submission_deadline - tender.published_at) / timedelta(days=1)).quantize(Decimal("0.1"))
    figures = {
        "days": days,
        "limit": SHORT_PERIOD_DAYS,
        "published": _when(tender.published_at),
        "deadline": _when(tender.submission_deadline),
    }
    if days < SHORT_PERIOD_DAYS:
        return Result(
            RAISED,
            _("Bids could be submitted for %(days)s days (published %(published)s, deadline %(deadline)s): under %(limit)s days.")
            % figures,
            (days,),
        )
    return Result(
        CLEAR, _("Bids could be submitted for %(days)s days (published %(published)s, deadline %(deadline)s).") % figures, (days,)
    )


def single_bidder(tender: Tender) -> Result | None:
    if not _opening_complete(tender):
        return None
    counts = {lot: len(bids) for lot, bids in _bids_by_lot(tender).items()}
    per_lot = "; ".join(_("lot %(lot)s: %(n)s") % {"lot": lot, "n": n} for lot, n in counts.items())
    single = [lot for lot, n in counts.items() if n == 1]
    if single:
        return Result(
            RAISED,
            _("Only one bid was received for lot %(lots)s (bids per lot: %(counts)s).") % {"lots": _lots(single), "counts": per_lot},
            tuple(counts.values()),
        )
    if not any(counts.values()):
        return Result(CLEAR, _("No bid was received."), tuple(counts.values()))
    return Result(
        CLEAR, _("Every lot with bids received more than one (bids per lot: %(counts)s).") % {"counts": per_lot}, tuple(counts.values())
    )


def _margins(tender: Tender) -> list[tuple[int, Decimal]] | None:
    """(lot, percent by which the second-lowest valid price exceeds the winner's) for each awarded
    lot with another valid price; None before the award notice."""
    if not _notice_public(tender):
        return None
    prices, bids = _Prices(tender), _bids_by_lot(tender)
    margins = []
    for award in _winners(tender):
        lot = award.lot.number
        others = [prices.of(b, lot) for b in bids.get(lot, []) if b.pk != award.bid_id and b.status in QUALIFIED]
        others = [p for p in others if p is not None]
        if others and award.price > 0:
            margins.append((lot, ((min(others) - award.price) / award.price * 100).quantize(CENT)))
    return margins


def _margin_outlier(tender: Tender, code: str, *, low: bool) -> Result | None:
    margins = _margins(tender)
    if margins is None:
        return None
    if not margins:
        return Result(NOT_ENOUGH_DATA, _("No awarded lot has a second valid price to compare the winner's with."))
    figures = tuple(str(m) for _lot, m in margins)
    peers = [Decimal(f) for row in RedFlag.objects.filter(code=code).exclude(tender=tender).values_list("figures", flat=True) for f in row]
    if len(peers) < MIN_PEER_FIGURES:
        return Result(
            NOT_ENOUGH_DATA,
            _("Only %(n)s other awarded lots have a second valid price; %(min)s are needed to tell what is unusual.")
            % {"n": len(peers), "min": MIN_PEER_FIGURES},
            figures,
        )
    low_fence, high_fence = _fences(peers)
    common = {"peers": len(peers), "low": low_fence, "high": high_fence}
    if low:
        outliers = [(lot, m) for lot, m in margins if m < low_fence]
        line = _("lot %(lot)s: %(margin)s %% above the winner's price")
        verdict = _(
            "The second-lowest valid price is unusually close to the winner's, below the low fence of %(low)s %% (Q1 − 1.5 × IQR of %(peers)s other awarded lots): %(lots)s."
        )
    else:
        outliers = [(lot, m) for lot, m in margins if m > high_fence]
        line = _("lot %(lot)s: %(margin)s %% above the winner's price")
        verdict = _(
            "The second-lowest valid price is unusually far above the winner's, beyond the high fence of %(high)s %% (Q3 + 1.5 × IQR of %(peers)s other awarded lots): %(lots)s."
        )
    if outliers:
        lots = "; ".join(line % {"lot": lot, "margin": m} for lot, m in outliers)
        return Result(RAISED, verdict % (common | {"lots": lots}), figures)
    lots = "; ".join(line % {"lot": lot, "margin": m} for lot, m in margins)
    return Result(
        CLEAR,
        _("The second-lowest valid price is within the fences of %(low)s %% to %(high)s %% (%(peers)s other awarded lots): %(lots)s.")
        % (common | {"lots": lots}),
        figures,
    )


def price_close_to_winner(tender: Tender) -> Result | None:
    return _margin_outlier(tender, "R024", low=True)


def heavily_discounted_winner(tender: Tender) -> Result | None:
    return _margin_outlier(tender, "R058", low=False)


def identical_prices(tender: Tender) -> Result | None:
    if not _notice_public(tender):
        return None
    prices, ties, read = _Prices(tender), [], 0
    for lot, bids in _bids_by_lot(tender).items():
        bidders_at: dict[Decimal, set] = defaultdict(set)
        for bid in bids:
            price = prices.of(bid, lot)
            if price is not None:
                bidders_at[price].add(bid.organisation_id)
                read += 1
        ties += [(lot, price, len(firms)) for price, firms in sorted(bidders_at.items()) if len(firms) > 1]
    if read < 2:
        return Result(NOT_ENOUGH_DATA, _("Fewer than two prices were read out at the opening."))
    if ties:
        found = "; ".join(
            _("lot %(lot)s: %(n)s bidders at %(price)s %(currency)s") % {"lot": lot, "n": n, "price": price, "currency": tender.currency}
            for lot, price, n in ties
        )
        return Result(RAISED, _("Different bidders offered exactly the same price: %(found)s.") % {"found": found})
    return Result(CLEAR, _("The %(n)s prices read out are all different within each lot.") % {"n": read})


def late_winner(tender: Tender) -> Result | None:
    if not _notice_public(tender):
        return None
    winners = _winners(tender)
    if not winners:
        return Result(NOT_ENOUGH_DATA, _("No lot was awarded."))
    deadline = tender.submission_deadline
    late = [a for a in winners if a.bid.received_at >= deadline]
    if late:
        found = "; ".join(
            _("lot %(lot)s: received %(received)s") % {"lot": a.lot.number, "received": _when(a.bid.received_at)} for a in late
        )
        return Result(
            RAISED,
            _("A winning bid was received at or after the deadline of %(deadline)s: %(found)s.")
            % {"deadline": _when(deadline), "found": found},
        )
    return Result(CLEAR, _("Every winning bid was received before the deadline of %(deadline)s.") % {"deadline": _when(deadline)})


def all_but_winner_disqualified(tender: Tender) -> Result | None:
    if not _notice_public(tender):
        return None
    winners = _winners(tender)
    if not winners:
        return Result(NOT_ENOUGH_DATA, _("No lot was awarded."))
    bids, assessed, flagged = _bids_by_lot(tender), [], []
    for award in winners:
        others = [b for b in bids.get(award.lot.number, []) if b.pk != award.bid_id and b.status in EVALUATED]
        if not others:
            continue
        assessed.append(award.lot.number)
        if all(b.status == Bid.Status.DISQUALIFIED for b in others):
            flagged.append((award.lot.number, len(others)))
    if not assessed:
        return Result(NOT_ENOUGH_DATA, _("The winner's was the only bid evaluated."))
    if flagged:
        found = "; ".join(_("lot %(lot)s: %(n)s of %(n)s other bids") % {"lot": lot, "n": n} for lot, n in flagged)
        return Result(RAISED, _("Every bid but the winner's was disqualified: %(found)s.") % {"found": found})
    return Result(CLEAR, _("At least one other bid than the winner's stayed qualified in lot %(lots)s.") % {"lots": _lots(assessed)})


def lowest_bid_disqualified(tender: Tender) -> Result | None:
    if not _notice_public(tender):
        return None
    if tender.envelope_mode == EnvelopeMode.TWO:
        return Result(
            NOT_ENOUGH_DATA, _("With two envelopes the prices of disqualified bids are never opened, so the lowest price is not known.")
        )
    prices, assessed, flagged = _Prices(tender), [], []
    for lot, bids in _bids_by_lot(tender).items():
        priced = [(prices.of(b, lot), b) for b in bids if b.status in EVALUATED and prices.of(b, lot) is not None]
        if not priced:
            continue
        assessed.append(lot)
        lowest = min(price for price, _bid in priced)
        if any(b.status == Bid.Status.DISQUALIFIED for price, b in priced if price == lowest):
            flagged.append((lot, lowest))
    if not assessed:
        return Result(NOT_ENOUGH_DATA, _("No price was read out at the opening."))
    if flagged:
        found = "; ".join(
            _("lot %(lot)s: %(price)s %(currency)s") % {"lot": lot, "price": price, "currency": tender.currency} for lot, price in flagged
        )
        return Result(RAISED, _("The lowest price was offered by a bid that was disqualified: %(found)s.") % {"found": found})
    return Result(CLEAR, _("The lowest price in lot %(lots)s was offered by a qualified bid.") % {"lots": _lots(assessed)})


def _disqualification_rates() -> dict[int, tuple[int, int]]:
    """Buyer → (bids disqualified, bids evaluated) over its tenders whose award notice is public."""
    decided = Tender.objects.filter(award_notices__status=AwardNotice.Status.PUBLISHED)
    rows = (
        Bid.objects.filter(status__in=EVALUATED, tender__in=decided)
        .values("tender__buyer")
        .annotate(evaluated=Count("pk"), disqualified=Count("pk", filter=Q(status=Bid.Status.DISQUALIFIED)))
    )
    return {row["tender__buyer"]: (row["disqualified"], row["evaluated"]) for row in rows}


def _percent(part: int, whole: int) -> Decimal:
    return (Decimal(part) * 100 / whole).quantize(Decimal("0.1"))


def buyer_disqualification_rate(tender: Tender) -> Result | None:
    if not _notice_public(tender):
        return None
    rates = _disqualification_rates()
    disqualified, evaluated = rates.get(tender.buyer_id, (0, 0))
    if not evaluated:
        return Result(NOT_ENOUGH_DATA, _("The buyer has no evaluated bid on record."))
    own = _percent(disqualified, evaluated)
    figures = {"rate": own, "disqualified": disqualified, "evaluated": evaluated}
    peers = [_percent(d, e) for buyer, (d, e) in rates.items() if buyer != tender.buyer_id and e]
    if len(peers) < MIN_PEER_BUYERS:
        return Result(
            NOT_ENOUGH_DATA,
            _(
                "The buyer disqualified %(rate)s %% of its bids (%(disqualified)s of %(evaluated)s), but only %(n)s other buyers have evaluated bids; %(min)s are needed to compare."
            )
            % (figures | {"n": len(peers), "min": MIN_PEER_BUYERS}),
            (str(own),),
        )
    _low, high = _fences(peers)
    figures |= {"high": high, "peers": len(peers)}
    if own > high:
        return Result(
            RAISED,
            _(
                "The buyer disqualified %(rate)s %% of its bids (%(disqualified)s of %(evaluated)s), beyond the high fence of %(high)s %% (Q3 + 1.5 × IQR of %(peers)s other buyers)."
            )
            % figures,
            (str(own),),
        )
    return Result(
        CLEAR,
        _(
            "The buyer disqualified %(rate)s %% of its bids (%(disqualified)s of %(evaluated)s), within the high fence of %(high)s %% (%(peers)s other buyers)."
        )
        % figures,
        (str(own),),
    )


def price_near_estimate(tender: Tender) -> Result | None:
    if not _notice_public(tender):
        return None
    winners = _winners(tender)
    if not winners:
        return Result(NOT_ENOUGH_DATA, _("No lot was awarded."))
    assessed, flagged = [], []
    for award in winners:
        estimate = award.lot.estimated_value if award.lot.estimated_value is not None else tender.estimated_value
        if not estimate:
            continue
        gap = (abs(estimate - award.price) / estimate * 100).quantize(CENT)
        line = _("lot %(lot)s: %(price)s against an estimate of %(estimate)s %(currency)s (%(gap)s %% apart)") % {
            "lot": award.lot.number,
            "price": award.price,
            "estimate": estimate,
            "currency": award.currency,
            "gap": gap,
        }
        assessed.append(line)
        if gap <= NEAR_ESTIMATE_PERCENT:
            flagged.append(line)
    if not assessed:
        return Result(NOT_ENOUGH_DATA, _("The tender published no estimated value."))
    if flagged:
        return Result(RAISED, _("The winner's price is within 1 %% of the estimate: %(found)s.") % {"found": "; ".join(flagged)})
    return Result(CLEAR, _("The winner's price is more than 1 %% from the estimate: %(found)s.") % {"found": "; ".join(assessed)})


def _signed_contracts(tender: Tender) -> list[Contract]:
    signed = [Contract.Status.ACTIVE, Contract.Status.COMPLETED, Contract.Status.TERMINATED]
    return list(Contract.objects.filter(tender=tender, status__in=signed).order_by("number"))


def many_amendments(tender: Tender) -> Result | None:
    contracts = _signed_contracts(tender)
    if not contracts:
        return None
    counts = {c.number: Amendment.objects.filter(contract=c).in_force().count() for c in contracts}
    found = "; ".join(_("%(contract)s: %(n)s") % {"contract": number, "n": n} for number, n in counts.items())
    if any(n >= AMENDMENTS_LIMIT for n in counts.values()):
        return Result(
            RAISED,
            _("A contract was amended %(limit)s times or more (amendments per contract: %(found)s).")
            % {"limit": AMENDMENTS_LIMIT, "found": found},
        )
    return Result(CLEAR, _("Amendments per contract: %(found)s.") % {"found": found})


def value_raised_by_amendment(tender: Tender) -> Result | None:
    contracts = _signed_contracts(tender)
    if not contracts:
        return None
    raised = [
        _("%(contract)s: from %(old)s to %(new)s %(currency)s")
        % {"contract": c.number, "old": a.old_value, "new": a.new_value, "currency": c.currency}
        for c in contracts
        for a in Amendment.objects.filter(contract=c).in_force().order_by("number")
        if a.new_value is not None and a.old_value is not None and a.new_value > a.old_value
    ]
    if raised:
        return Result(RAISED, _("An amendment raised a contract's value: %(found)s.") % {"found": "; ".join(raised)})
    return Result(CLEAR, _("No amendment raised a contract's value."))


ON_PUBLICATION = gettext_lazy("at publication and at every amendment of the tender")
ON_OPENING = gettext_lazy("when the opening is complete, and again at each award notice")
ON_NOTICE = gettext_lazy("when the award notice is published or cancelled")
ON_CONTRACT = gettext_lazy("when a contract is signed or closed, and at each contract amendment")

FLAGS: list[Flag] = [
    Flag(
        "R003",
        gettext_lazy("Short submission period"),
        gettext_lazy("An open procedure gave bidders less time than usual between its publication and its deadline."),
        "Cardinal",
        "R003",
        gettext_lazy("under 15 days from publication to the submission deadline (open procedures)"),
        ON_PUBLICATION,
        short_submission_period,
    ),
    Flag(
        "R018",
        gettext_lazy("Single bidder"),
        gettext_lazy("Only one bid was received for a lot."),
        "Cardinal",
        "R018",
        gettext_lazy("exactly one bid entered for a lot (withdrawn and replaced bids do not count)"),
        ON_OPENING,
        single_bidder,
    ),
    Flag(
        "R024",
        gettext_lazy("Price close to the winning bid"),
        gettext_lazy("The second-lowest valid price is unusually close to the winner's, which can mean cover bidding."),
        "Cardinal",
        "R024",
        gettext_lazy(
            "the percent by which the second-lowest valid price exceeds the winner's is below Q1 − 1.5 × IQR of the other awarded lots (at least 10)"
        ),
        ON_NOTICE,
        price_close_to_winner,
    ),
    Flag(
        "R028",
        gettext_lazy("Identical bid prices"),
        gettext_lazy("Different bidders offered exactly the same price for a lot."),
        "Cardinal",
        "R028",
        gettext_lazy("two or more bidders with the same price read out for the same lot"),
        ON_NOTICE,
        identical_prices,
    ),
    Flag(
        "R030",
        gettext_lazy("Late bid won"),
        gettext_lazy(
            "A winning bid was received after the submission deadline. The platform refuses such bids, so this flag should never be raised."
        ),
        "Cardinal",
        "R030",
        gettext_lazy("a winning bid received at or after the deadline"),
        ON_NOTICE,
        late_winner,
    ),
    Flag(
        "R035",
        gettext_lazy("All but the winner disqualified"),
        gettext_lazy("Every bid for a lot except the winner's was disqualified."),
        "Cardinal",
        "R035",
        gettext_lazy("at least one other bid evaluated for the lot, and all of them disqualified"),
        ON_NOTICE,
        all_but_winner_disqualified,
    ),
    Flag(
        "R036",
        gettext_lazy("Lowest bid disqualified"),
        gettext_lazy("The bid with the lowest price for a lot was disqualified."),
        "Cardinal",
        "R036",
        gettext_lazy("the lowest price read out for a lot belongs to a disqualified bid (one-envelope tenders)"),
        ON_NOTICE,
        lowest_bid_disqualified,
    ),
    Flag(
        "R038",
        gettext_lazy("Excessive disqualifications by the buyer"),
        gettext_lazy(
            "The share of bids the buyer disqualified, over its tenders with a public award notice, is unusually high among buyers."
        ),
        "Cardinal",
        "R038",
        gettext_lazy("the buyer's disqualification rate is above Q3 + 1.5 × IQR of the other buyers' rates (at least 5 buyers)"),
        ON_NOTICE,
        buyer_disqualification_rate,
    ),
    Flag(
        "R058",
        gettext_lazy("Heavily discounted winning bid"),
        gettext_lazy("The winner's price is unusually far below the second-lowest valid price."),
        "Cardinal",
        "R058",
        gettext_lazy(
            "the percent by which the second-lowest valid price exceeds the winner's is above Q3 + 1.5 × IQR of the other awarded lots (at least 10)"
        ),
        ON_NOTICE,
        heavily_discounted_winner,
    ),
    Flag(
        "PR-AMENDMENTS",
        gettext_lazy("Many contract amendments"),
        gettext_lazy("A contract was amended three times or more."),
        "prozorro-risks",
        "contract changes",
        gettext_lazy("3 or more amendments signed by both parties on one contract"),
        ON_CONTRACT,
        many_amendments,
    ),
    Flag(
        "PR-VALUE-RAISED",
        gettext_lazy("Value raised by amendment"),
        gettext_lazy("An amendment raised a contract's value after the award."),
        "prozorro-risks",
        "contract price change (sas-3-4 family)",
        gettext_lazy("any amendment signed by both parties whose new value is above the old one"),
        ON_CONTRACT,
        value_raised_by_amendment,
    ),
    Flag(
        "PR-NEAR-ESTIMATE",
        gettext_lazy("Winner's price close to the estimate"),
        gettext_lazy("The winning price is almost exactly the buyer's estimate, which can mean the estimate was known to the winner."),
        "prozorro-risks",
        "award price vs expected value",
        # xgettext:no-python-format
        gettext_lazy("the winning price within 1 % of the lot's estimated value"),
        ON_NOTICE,
        price_near_estimate,
    ),
]

BY_CODE: dict[str, Flag] = {flag.code: flag for flag in FLAGS}


def recompute(tender: Tender, *, now: datetime) -> list[RedFlag]:
    """Rewrite the tender's flags from what is public now, in the caller's transaction.

    Reasons are stored in the platform's language, whoever's request caused the change."""
    rows = []
    with translation.override(settings.LANGUAGE_CODE):
        for flag in FLAGS:
            result = flag.compute(tender)
            if result is None:
                RedFlag.objects.filter(tender=tender, code=flag.code).delete()
                continue
            row, _created = RedFlag.objects.update_or_create(
                tender=tender,
                code=flag.code,
                defaults={
                    "status": result.status,
                    "reason": result.reason,
                    "figures": [str(f) for f in result.figures],
                    "computed_at": now,
                },
            )
            rows.append(row)
    return rows
