"""The public integrity page: red flags raised across tenders, and what each flag means."""

from django.core.paginator import Paginator
from django.shortcuts import render

from opendata import queries, redflags
from opendata.filters import RedFlagFilter
from opendata.models import RedFlag

PAGE_SIZE = 20


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
