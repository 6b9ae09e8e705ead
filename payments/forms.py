from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from payments.money import Money

MONEY = {"max_digits": 20, "decimal_places": 2, "min_value": Decimal("0.01")}


class GuaranteeForm(forms.Form):
    issuer = forms.CharField(label=_("Issuing bank or insurer"), max_length=200)
    number = forms.CharField(label=_("Guarantee number"), max_length=100)
    amount = forms.DecimalField(label=_("Guaranteed amount"), **MONEY)
    valid_until = forms.DateField(label=_("Valid until"), widget=forms.DateInput(attrs={"type": "date"}))
    document = forms.FileField(label=_("The guarantee (PDF, PNG or JPEG)"))

    def money(self, currency: str) -> Money:
        return Money(self.cleaned_data["amount"], currency)


class ConfirmTransferForm(forms.Form):
    bank_reference = forms.CharField(label=_("Bank's reference of the transfer"), max_length=200)
    received = forms.DecimalField(label=_("Amount received"), **MONEY)


class ConfirmRefundForm(forms.Form):
    bank_reference = forms.CharField(label=_("Bank's reference of the transfer back"), max_length=200)


class RefuseGuaranteeForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2}))


class InvoiceForm(forms.Form):
    number = forms.CharField(label=_("Invoice number"), max_length=60)
    issued_on = forms.DateField(label=_("Invoice date"), widget=forms.DateInput(attrs={"type": "date"}))
    amount = forms.DecimalField(label=_("Amount"), **MONEY)
    document = forms.FileField(label=_("The invoice (PDF)"))


class RejectInvoiceForm(forms.Form):
    reason = forms.CharField(label=_("Why the invoice is rejected"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))
