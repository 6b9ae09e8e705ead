"""The public statistics page and each figure's CSV (no sign-in needed)."""

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from opendata import figures
from opendata.forms import StatisticsFilter


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
