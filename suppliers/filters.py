"""Filters of the registry's lists, shared by the pages and the API."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from suppliers.cpv import validate_cpv
from suppliers.models import SmeClass, Supplier


class CategoryFilter(django_filters.CharFilter):
    """Firms supplying in a CPV category: one of their categories is it, above it or under it."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Category (CPV)"))
        super().__init__(validators=[validate_cpv], **kwargs)

    def filter(self, qs, value):
        return qs.with_category(value) if value else qs


class NameFilter(django_filters.CharFilter):
    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Name or registration number"))
        super().__init__(**kwargs)

    def filter(self, qs, value):
        value = (value or "").strip()
        if not value:
            return qs
        return qs.filter(Q(legal_name__icontains=value) | Q(registration_number__icontains=value.replace(" ", "")))


class RegistryFilter(django_filters.FilterSet):
    """The registry officers' queue: every registered firm."""

    status = django_filters.ChoiceFilter(label=_("State"), choices=Supplier.Status.choices)
    country = django_filters.ChoiceFilter(label=_("Country"), choices=countries)
    size = django_filters.ChoiceFilter(label=_("Size"), field_name="sme_class", choices=SmeClass.choices)
    category = CategoryFilter()
    submitted = django_filters.DateFromToRangeFilter(
        label=_("Submitted between"), field_name="submitted_at", widget=django_filters.widgets.DateRangeWidget(attrs={"type": "date"})
    )
    q = NameFilter()

    class Meta:
        model = Supplier
        fields = ["status", "country", "size", "category", "submitted", "q"]


class DirectoryFilter(django_filters.FilterSet):
    """The public directory of verified firms that chose to be listed."""

    country = django_filters.ChoiceFilter(label=_("Country"), choices=countries)
    size = django_filters.ChoiceFilter(label=_("Size"), field_name="sme_class", choices=SmeClass.choices)
    category = CategoryFilter()
    q = NameFilter()

    class Meta:
        model = Supplier
        fields = ["country", "size", "category", "q"]


class DebarmentFilter(django_filters.FilterSet):
    country = django_filters.ChoiceFilter(label=_("Country"), choices=countries)
    q = NameFilter()

    class Meta:
        model = Supplier
        fields = ["country", "q"]
