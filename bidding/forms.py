from django import forms
from django.utils.translation import gettext_lazy as _

from marketplace.forms import StepUpCodeMixin


class ReceiptForm(forms.Form):
    receipt = forms.CharField(
        label=_("Receipt"),
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
        help_text=_("Paste the receipt (a compact JWS: three parts separated by dots)."),
    )


class SetPassphraseForm(forms.Form):
    passphrase = forms.CharField(label=_("Opening passphrase"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    confirm = forms.CharField(label=_("The same passphrase again"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def clean(self):
        data = super().clean()
        if data.get("passphrase") and data.get("passphrase") != data.get("confirm"):
            self.add_error("confirm", _("The two passphrases differ."))
        return data


class ChangePassphraseForm(forms.Form):
    current = forms.CharField(label=_("Current passphrase"), widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))
    passphrase = forms.CharField(label=_("New passphrase"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))


class CheckShareForm(forms.Form):
    passphrase = forms.CharField(label=_("Opening passphrase"), widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))


class ReleaseShareForm(StepUpCodeMixin, forms.Form):
    passphrase = forms.CharField(
        label=_("Opening passphrase"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )
