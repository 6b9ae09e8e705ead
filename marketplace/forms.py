from django import forms
from django.utils.translation import gettext_lazy as _

from marketplace import twofactor


class ApiTokenForm(forms.Form):
    name = forms.CharField(label=_("Token name"), max_length=100, help_text=_("For example: the script or system that will use it."))


def one_time_code_field(label, **kwargs) -> forms.CharField:
    attrs = {"autocomplete": "one-time-code", "spellcheck": "false", "autocapitalize": "off", **kwargs.pop("attrs", {})}
    return forms.CharField(label=label, max_length=32, widget=forms.TextInput(attrs=attrs), **kwargs)


class SignInCodeForm(forms.Form):
    code = one_time_code_field(
        _("Code from your authenticator app, or a recovery code"),
        attrs={"autofocus": True},
        help_text=_("Six digits from the app; a recovery code has twelve letters and digits."),
    )


class ConfirmAuthenticatorForm(forms.Form):
    code = one_time_code_field(
        _("The six-digit code your app shows now"), attrs={"inputmode": "numeric", "pattern": "[0-9 ]{6,7}", "autofocus": True}
    )


class PasswordCheckForm(forms.Form):
    password = forms.CharField(
        label=_("Your password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )


class StepUpCodeMixin:
    """A form of a step that signs or unlocks something: it asks for a fresh code from the
    signatory's authenticator app, a field left out for a person who has not set one up."""

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["otp"] = one_time_code_field(
            _("Code from your authenticator app"), required=False, attrs={"inputmode": "numeric", "pattern": "[0-9 ]{6,7}"}
        )
        if user is not None and not twofactor.has_authenticator(user):
            del self.fields["otp"]
