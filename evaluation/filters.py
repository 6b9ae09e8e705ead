"""One filter set for the public awards page and `GET /api/v1/awards/`."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from evaluation.models import AwardNotice
from marketplace.models import Organisation
from tenders.filters import YES_NO
from tenders.widgets import CompactSelect


class AwardNoticeFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Reference or title"), method="filter_words")
    buyer = django_filters.ModelChoiceFilter(
        label=_("Buyer"), field_name="tender__buyer", queryset=Organisation.objects.filter(kind=Organisation.Kind.AGENCY).order_by("name")
    )
    supplier = django_filters.ModelChoiceFilter(
        label=_("Winning supplier"),
        field_name="awards__supplier",
        # Only firms named in an award notice: the supplier registry itself is not public.
        queryset=Organisation.objects.filter(kind=Organisation.Kind.SUPPLIER, awards_won__isnull=False).distinct().order_by("name"),
        distinct=True,
    )
    kind = django_filters.ChoiceFilter(label=_("Outcome"), choices=AwardNotice.Kind.choices)
    status = django_filters.ChoiceFilter(label=_("Status"), choices=AwardNotice.Status.choices)
    category = django_filters.CharFilter(label=_("Category (CPV prefix)"), field_name="tender__category_codes", lookup_expr="icontains")
    published_after = django_filters.DateFilter(label=_("Published on or after"), field_name="published_at", lookup_expr="date__gte")
    published_before = django_filters.DateFilter(label=_("Published on or before"), field_name="published_at", lookup_expr="date__lte")
    in_standstill = django_filters.BooleanFilter(
        label=_("Standstill running"), method="filter_standstill", widget=CompactSelect(choices=YES_NO)
    )

    class Meta:
        model = AwardNotice
        fields = ["q", "buyer", "supplier", "kind", "status", "category", "published_after", "published_before", "in_standstill"]

    def filter_words(self, queryset, name, value):
        return queryset.filter(Q(tender__reference__icontains=value) | Q(tender__title__icontains=value)) if value.strip() else queryset

    def filter_standstill(self, queryset, name, value):
        from django.utils import timezone

        running = Q(status=AwardNotice.Status.PUBLISHED, standstill_ends_at__gt=timezone.now())
        return queryset.filter(running) if value else queryset.exclude(running)
