"""Public pages of open data: the statistics and each figure's CSV, and the integrity page (red
flags raised across tenders, and what each flag means). No sign-in needed."""

from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from opendata import figures, queries, redflags
from opendata.filters import RedFlagFilter
from opendata.forms import StatisticsFilter
from opendata.models import RedFlag

PAGE_SIZE = 20


@require_GET
def statistics(request):
    form = StatisticsFilter(request.GET or None)
    period = form.period()
    now = timezone.now()
    query = {"currency": period.currency} | ({"year": period.year} if period.year else {})
    return render(
        request,
        "opendata/statistics.html",
        {
            "form": form,
            "period": period,
            "tables": [figures.table(figure, period, now) for figure in figures.FIGURES],
            "query": urlencode(query),
        },
    )


@require_GET
def statistics_csv(request, name: str):
    figure = figures.BY_NAME.get(name)
    if figure is None:
        raise Http404
    period = StatisticsFilter(request.GET or None).period()
    year = period.year or "all"
    response = HttpResponse(figures.csv_text(figure, period, timezone.now()), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}-{year}-{period.currency}.csv"'
    return response


def integrity(request):
    data = request.GET.copy()
    data.setdefault("status", RedFlag.Status.RAISED)  # raised flags first; "any status" is one choice away
    filterset = RedFlagFilter(data, queryset=queries.public_red_flags())
    results = filterset.qs if filterset.is_valid() else RedFlag.objects.none()
    page = Paginator(results, PAGE_SIZE).get_page(request.GET.get("page"))
    query = data.copy()
    query.pop("page", None)
    context = {
        "filter": filterset,
        "page": page,
        "rows": [(redflags.BY_CODE.get(row.code), row) for row in page.object_list],
        "query": query.urlencode(),
        "flags": redflags.FLAGS,
    }
    return render(request, "opendata/integrity.html", context, status=200 if filterset.is_valid() else 400)
