"""One filter set for red flags: the integrity page and `GET /api/v1/red-flags/`."""

import django_filters
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from marketplace.models import Organisation
from opendata.models import RedFlag
from opendata.redflags import FLAGS


class RedFlagFilter(django_filters.FilterSet):
    code = django_filters.ChoiceFilter(
        label=_("Flag"), choices=[(flag.code, format_lazy("{} · {}", flag.code, flag.title)) for flag in FLAGS]
    )
    tender = django_filters.NumberFilter(label=_("Tender"), field_name="tender_id")
    buyer = django_filters.ModelChoiceFilter(
        label=_("Buyer"), field_name="tender__buyer", queryset=Organisation.objects.filter(kind=Organisation.Kind.AGENCY).order_by("name")
    )
    status = django_filters.ChoiceFilter(label=_("Status"), choices=RedFlag.Status.choices)

    class Meta:
        model = RedFlag
        fields = ["code", "tender", "buyer", "status"]
