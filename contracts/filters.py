"""One filter set for contract lists (`GET /api/v1/contracts/`)."""

import django_filters
from django.utils.translation import gettext_lazy as _

from contracts.models import Contract
from marketplace.models import Organisation


class ContractFilter(django_filters.FilterSet):
    buyer = django_filters.ModelChoiceFilter(label=_("Buyer"), queryset=Organisation.objects.filter(kind=Organisation.Kind.AGENCY))
    supplier = django_filters.ModelChoiceFilter(label=_("Supplier"), queryset=Organisation.objects.filter(kind=Organisation.Kind.SUPPLIER))
    status = django_filters.ChoiceFilter(label=_("Status"), choices=Contract.Status.choices)
    value_min = django_filters.NumberFilter(label=_("Value from"), field_name="value", lookup_expr="gte")
    value_max = django_filters.NumberFilter(label=_("Value up to"), field_name="value", lookup_expr="lte")
    signed_after = django_filters.DateFilter(label=_("Signed on or after"), field_name="signed_at", lookup_expr="date__gte")
    signed_before = django_filters.DateFilter(label=_("Signed on or before"), field_name="signed_at", lookup_expr="date__lte")
    category = django_filters.CharFilter(label=_("Category (CPV prefix)"), method="filter_category")
    sme = django_filters.BooleanFilter(label=_("SME supplier"), method="filter_sme")

    class Meta:
        model = Contract
        fields = ["buyer", "supplier", "status", "value_min", "value_max", "signed_after", "signed_before", "category", "sme"]

    def filter_category(self, queryset, name, value):
        return queryset.filter(items__cpv__startswith=value.strip()).distinct() if value.strip() else queryset

    def filter_sme(self, queryset, name, value):
        from suppliers.models import SME_CLASSES

        sme = {"supplier__supplier__sme_class__in": SME_CLASSES}
        return queryset.filter(**sme) if value else queryset.exclude(**sme)
