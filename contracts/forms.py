from django import forms
from django.utils.translation import gettext_lazy as _


class SignForm(forms.Form):
    password = forms.CharField(label=_("Your password (signing re-authenticates you)"), widget=forms.PasswordInput, strip=False)


class DeclineForm(forms.Form):
    reason = forms.CharField(label=_("Why your firm declines the contract"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)
