"""The public award notices: the list with its filters, and each notice (no sign-in needed)."""

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from evaluation import scoring
from evaluation.filters import AwardNoticeFilter
from evaluation.models import AwardNotice
from marketplace import access


def notices(request):
    filterset = AwardNoticeFilter(request.GET, queryset=AwardNotice.objects.public())
    results = filterset.qs if filterset.is_valid() else AwardNotice.objects.none()
    page = Paginator(results, 20).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "evaluation/notices.html",
        {"filter": filterset, "page": page, "query": query.urlencode()},
        status=200 if filterset.is_valid() else 400,
    )


def notice(request, pk: int):
    found = get_object_or_404(AwardNotice.objects.public(), pk=pk)
    if not access.can(request.user, "view_award_notice", found):
        raise Http404
    content = found.content
    ranked = {row["bid"] for lot in content.get("lots", []) for row in lot.get("ranking", [])}
    context = {
        "notice": found,
        "content": content,
        "now": timezone.now(),
        "rules": [scoring.RULE_TEXT.get(rule, rule) for rule in content.get("method", {}).get("formulas", [])],
        # Bids in no lot's ranking: rejected at the opening, disqualified, or excluded as abnormally low.
        "not_ranked": max(found.bids_count - len(ranked), 0),
    }
    return render(request, "evaluation/notice.html", context)
