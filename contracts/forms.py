from django import forms
from django.utils.translation import gettext_lazy as _


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


def _score(label: str) -> forms.IntegerField:
    return forms.IntegerField(label=label, min_value=1, max_value=5, widget=forms.NumberInput(attrs={"min": 1, "max": 5}))


class RatingForm(forms.Form):
    quality = _score(_("Quality (1–5)"))
    timeliness = _score(_("Timeliness (1–5)"))
    compliance = _score(_("Compliance (1–5)"))
    comment = forms.CharField(
        label=_("Comment on the supplier's performance"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000, required=False
    )


class AnswerForm(forms.Form):
    answer = forms.CharField(label=_("Your firm's answer (once)"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)
