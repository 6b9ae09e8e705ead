from django import forms
from django.utils.translation import gettext_lazy as _

from contracts.models import Amendment


class SignForm(forms.Form):
    password = forms.CharField(label=_("Your password (signing re-authenticates you)"), widget=forms.PasswordInput, strip=False)


class DeclineForm(forms.Form):
    reason = forms.CharField(label=_("Why your firm declines the contract"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files under one name (Django's documented pattern); each is checked by the action."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(file, initial) for file in data]
        return [super().clean(data, initial)] if data else []


class DeliveryForm(forms.Form):
    note = forms.CharField(label=_("What was delivered"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)
    documents = MultipleFileField(label=_("Documents (PDF, PNG or JPEG; optional)"), required=False)


class RejectDeliveryForm(forms.Form):
    reason = forms.CharField(label=_("Why the delivery is rejected"), widget=forms.Textarea(attrs={"rows": 2}), max_length=5000)


class TerminateForm(forms.Form):
    reason = forms.CharField(label=_("Why the contract is terminated"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)
    amount_paid = forms.DecimalField(label=_("Amount paid under the contract"), max_digits=18, decimal_places=2, min_value=0)


class AmendmentForm(forms.Form):
    rationale = forms.ChoiceField(label=_("Rationale"), choices=Amendment.Rationale.choices)
    rationale_text = forms.CharField(
        label=_("Explanation (required for “other”)"), widget=forms.Textarea(attrs={"rows": 2}), max_length=5000, required=False
    )
    new_value = forms.DecimalField(label=_("New value (empty: unchanged)"), max_digits=18, decimal_places=2, required=False)
    new_period_end = forms.DateField(
        label=_("New end of performance (empty: unchanged)"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    password = forms.CharField(label=_("Your password (proposing signs for the buyer)"), widget=forms.PasswordInput, strip=False)


class DeclineAmendmentForm(forms.Form):
    reason = forms.CharField(label=_("Why your firm declines the amendment"), widget=forms.Textarea(attrs={"rows": 2}), max_length=5000)
