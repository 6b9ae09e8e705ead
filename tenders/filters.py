"""The public search: one filter set for the search page and for `GET /api/v1/tenders/`."""

import re
from datetime import datetime, time, timedelta

import django_filters
from django import forms
from django.conf import settings
from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db.models import Exists, F, OuterRef, Prefetch, Q
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from marketplace import currencies
from marketplace.models import Organisation
from suppliers import cpv
from tenders import search_order
from tenders.models import Lot, ProcurementMethod, Tender
from tenders.widgets import CompactCheckboxes, CompactSelect

# A reference typed whole (MPW-2026-0042) is looked up as such, not as words.
REFERENCE_RE = re.compile(r"^[A-Za-z0-9]{1,20}-\d{4}-\d{1,9}$")
SEARCH_CONFIG = "english"  # as in the trigger that writes `search_document` (migration 0002)
PUBLIC_STATUSES = [(value, label) for value, label in Tender.Status.choices if value != Tender.Status.DRAFT]
SORTS = {
    "-published": ("-published_at", "-pk"),
    "published": ("published_at", "pk"),
    "deadline": ("submission_deadline", "pk"),
    "-deadline": ("-submission_deadline", "-pk"),
    "value": ("estimated_value", "pk"),
    "-value": ("-estimated_value", "-pk"),
    "relevance": ("-relevance", "-published_at", "-pk"),
}
YES_NO = [("", _("Any")), ("true", _("Yes")), ("false", _("No"))]
SORT_CHOICES = [
    ("-published", _("Newest first")),
    ("deadline", _("Deadline, soonest first")),
    ("-deadline", _("Deadline, latest first")),
    ("-value", _("Value, highest first")),
    ("value", _("Value, lowest first")),
    ("published", _("Oldest first")),
    ("relevance", _("Best match (with words)")),
]


class CpvCodeField(forms.CharField):
    def clean(self, value):
        value = super().clean(value)
        if not value:
            return value
        # The picker fills in "45233140 Roadworks": the code is what counts.
        value = value.split()[0]
        code = cpv.get(value)
        if code is None:
            raise forms.ValidationError(_("%(code)s is not a CPV 2008 code."), code="unknown_cpv", params={"code": value})
        return code.code


class CpvCodeFilter(django_filters.CharFilter):
    field_class = CpvCodeField


def public_listing():
    """What a page of results shows, in a fixed number of queries whatever the page size."""
    lots = Lot.objects.only("pk", "tender_id", "number", "sme_reserved").order_by("number")
    return (
        Tender.objects.public()
        .select_related("buyer")
        .prefetch_related(Prefetch("lots", queryset=lots))
        .defer("search_document", "category_codes", "description")
    )


# Words that name more categories than this ("services", "works") are searched as words only.
MAX_NAMED_CATEGORIES = 40


def _categories_named(words: str) -> list[str]:
    """The significant prefixes of the CPV categories whose name the words start (so `roadworks`
    finds a tender whose category is "Roadworks"), or none when they name too many."""
    if any(ch.isdigit() for ch in words):
        return []
    named = cpv.search(words, limit=MAX_NAMED_CATEGORIES + 1)
    if len(named) > MAX_NAMED_CATEGORIES:
        return []
    return sorted({entry.prefix for entry in named})


class TenderSearchForm(forms.Form):
    def clean(self):
        data = super().clean()
        low, high = data.get("min_value"), data.get("max_value")
        if low is not None and high is not None and low > high:
            self.add_error("max_value", forms.ValidationError(_("The maximum is below the minimum."), code="min_above_max"))
        return data


class TenderFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Words or reference"), method="filter_text", max_length=200)
    status = django_filters.MultipleChoiceFilter(
        label=_("Status"), choices=PUBLIC_STATUSES, method="filter_status", widget=CompactCheckboxes
    )
    category = CpvCodeFilter(
        label=_("Category (CPV), with its subcategories"),
        method="filter_category",
        widget=forms.TextInput(
            attrs={
                "data-cpv-picker": reverse_lazy("api-cpv-search"),
                "autocomplete": "off",
                "placeholder": _("a code, or words: roadworks"),
            }
        ),
        help_text=_("Type a CPV code or words of its English name and pick one."),
    )
    buyer = django_filters.ModelChoiceFilter(
        label=_("Buyer"),
        queryset=Organisation.objects.filter(kind=Organisation.Kind.AGENCY).order_by("name"),
        empty_label=_("Any"),
        widget=CompactSelect,
    )
    method = django_filters.ChoiceFilter(
        label=_("Procurement method"), choices=ProcurementMethod.choices, empty_label=_("Any"), widget=CompactSelect
    )
    currency = django_filters.ChoiceFilter(label=_("Currency"), choices=currencies.choices, empty_label=_("Any"), widget=CompactSelect)
    min_value = django_filters.NumberFilter(label=_("Value at least"), field_name="estimated_value", lookup_expr="gte")
    max_value = django_filters.NumberFilter(label=_("Value at most"), field_name="estimated_value", lookup_expr="lte")
    deadline_from = django_filters.DateFilter(
        label=_("Deadline on or after"), method="filter_deadline_from", widget=forms.DateInput(attrs={"type": "date"})
    )
    deadline_to = django_filters.DateFilter(
        label=_("Deadline on or before"), method="filter_deadline_to", widget=forms.DateInput(attrs={"type": "date"})
    )
    has_lots = django_filters.BooleanFilter(
        label=_("Divided into lots"), field_name="divided_into_lots", widget=CompactSelect(choices=YES_NO)
    )
    sme_reserved = django_filters.BooleanFilter(
        label=_("Reserved for SMEs (a lot or all)"), method="filter_sme_reserved", widget=CompactSelect(choices=YES_NO)
    )
    ordering = django_filters.ChoiceFilter(
        label=_("Sort by"), choices=SORT_CHOICES, method="filter_ordering", empty_label=None, widget=CompactSelect
    )

    class Meta:
        model = Tender
        fields = []
        form = TenderSearchForm

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.now = timezone.now()

    @property
    def qs(self):
        queryset = super().qs
        if not getattr(self.form, "cleaned_data", {}).get("ordering"):
            queryset = queryset.order_by(*SORTS["-published"])
        if settings.IS_POSTGRES and self._looks_up_the_search_document():
            # Newest first, its page can be read in recency slices (tenders/search_order.py).
            queryset = search_order.mark(queryset)
        return queryset

    def _looks_up_the_search_document(self) -> bool:
        data = getattr(self.form, "cleaned_data", {})
        words = (data.get("q") or "").strip()
        return bool(data.get("category")) or bool(words and not REFERENCE_RE.match(words))

    def filter_text(self, queryset, name, value):
        words = value.strip()
        if not words:
            return queryset
        if REFERENCE_RE.match(words):
            return queryset.filter(reference__iexact=words)
        prefixes = _categories_named(words)
        if settings.IS_POSTGRES:
            query = SearchQuery(words, search_type="websearch", config=SEARCH_CONFIG)
            matching = Q(search_document=query)
            if prefixes:
                categories = " | ".join(f"cpv{prefix}" for prefix in prefixes)
                matching |= Q(search_document=SearchQuery(categories, search_type="raw", config="simple"))
            return queryset.filter(matching).annotate(relevance=SearchRank(F("search_document"), query))
        # Without PostgreSQL: every word somewhere in the reference, title or description.
        text = Q()
        for word in words.split()[:10]:
            text &= Q(title__icontains=word) | Q(description__icontains=word) | Q(reference__icontains=word)
        for prefix in prefixes:
            text |= Q(category_codes__startswith=prefix) | Q(category_codes__contains=f" {prefix}")
        return queryset.filter(text)

    def filter_status(self, queryset, name, values):
        """Read with the clock: a published tender past its deadline is closed already."""
        wanted = Q()
        for value in values:
            if value == Tender.Status.PUBLISHED:
                wanted |= Q(status=Tender.Status.PUBLISHED, submission_deadline__gt=self.now)
            elif value == Tender.Status.CLOSED:
                wanted |= Q(status=Tender.Status.CLOSED) | Q(status=Tender.Status.PUBLISHED, submission_deadline__lte=self.now)
            else:
                wanted |= Q(status=value)
        return queryset.filter(wanted)

    def filter_category(self, queryset, name, value):
        """A category matches itself and its descendants, as the main category or an item's."""
        prefix = cpv.significant_prefix(value)
        if settings.IS_POSTGRES:
            # The search document holds every prefix of every code as a word 'cpv<prefix>': one
            # exact word in the GIN index, looked up with the words of the text query.
            return queryset.filter(search_document=SearchQuery(f"cpv{prefix}", search_type="raw", config="simple"))
        return queryset.filter(Q(category_codes__startswith=prefix) | Q(category_codes__contains=f" {prefix}"))

    def filter_deadline_from(self, queryset, name, value):
        return queryset.filter(submission_deadline__gte=_start_of(value))

    def filter_deadline_to(self, queryset, name, value):
        return queryset.filter(submission_deadline__lt=_start_of(value + timedelta(days=1)))

    def filter_sme_reserved(self, queryset, name, value):
        reserved = Exists(Lot.objects.filter(tender=OuterRef("pk"), sme_reserved=True))
        return queryset.filter(reserved if value else ~reserved)

    def filter_ordering(self, queryset, name, value):
        if value == "relevance" and "relevance" not in queryset.query.annotations:
            value = "-published"  # relevance needs words to match (and PostgreSQL to rank them)
        return queryset.order_by(*SORTS[value])


def _start_of(day) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))
