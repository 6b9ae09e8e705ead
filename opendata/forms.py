from django import forms
from django.utils.translation import gettext_lazy as _

from opendata import statistics


class StatisticsFilter(forms.Form):
    """The statistics' filters: a year (blank: every year) and one currency (the most used by
    default), their choices being those the figures hold."""

    year = forms.TypedChoiceField(label=_("Year"), required=False, coerce=int, empty_value=None)
    currency = forms.ChoiceField(label=_("Currency"), required=False)

    def __init__(self, data=None, **kwargs):
        super().__init__(data, **kwargs)
        self.currencies = statistics.currencies_in_use() or ["EUR"]
        self.fields["year"].choices = [("", _("Every year")), *((year, year) for year in statistics.years_with_data())]
        self.fields["currency"].choices = [(code, code) for code in self.currencies]

    def period(self) -> statistics.Period:
        """The period asked for, or the default where a value is not one of the choices."""
        data = self.cleaned_data if self.is_valid() else {}
        return statistics.Period(year=data.get("year"), currency=data.get("currency") or self.currencies[0])
