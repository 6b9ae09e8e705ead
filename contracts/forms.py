from django import forms
from django.utils.translation import gettext_lazy as _

from contracts.models import Amendment
from marketplace.forms import StepUpCodeMixin


class SignForm(StepUpCodeMixin, forms.Form):
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


class DraftForm(forms.Form):
    """What the buyer's officer may write in a draft: the period, the special terms and the
    names and titles of both parties' signatories (value, items and supplier are the award's)."""

    period_start = forms.DateField(label=_("Performance from"), widget=forms.DateInput(attrs={"type": "date"}), required=False)
    period_end = forms.DateField(label=_("Performance until"), widget=forms.DateInput(attrs={"type": "date"}), required=False)
    special_terms = forms.CharField(label=_("Special terms"), widget=forms.Textarea(attrs={"rows": 4}), required=False, max_length=20_000)

    def __init__(self, *args, contract, **kwargs):
        super().__init__(*args, **kwargs)
        self.parties = {}
        for party, label in (("buyer", _("Buyer's signatory")), ("supplier", _("Supplier's signatory"))):
            signatories = getattr(contract, f"{party}_details")["signatories"]
            self.parties[party] = signatories
            for index, signatory in enumerate(signatories):
                self.fields[f"{party}_{index}_name"] = forms.CharField(
                    label=f"{label} {index + 1}: {signatory['email']}", initial=signatory["name"], max_length=200
                )
                self.fields[f"{party}_{index}_title"] = forms.CharField(
                    label=_("Title"), initial=signatory.get("title", ""), max_length=200, required=False
                )

    def changes(self) -> dict:
        """The changes for `contracts.actions.edit_draft`."""
        data = self.cleaned_data
        changes = {name: data[name] for name in ("period_start", "period_end", "special_terms")}
        for party, signatories in self.parties.items():
            changes[f"{party}_signatories"] = [
                {"name": data[f"{party}_{i}_name"], "title": data[f"{party}_{i}_title"], "email": s.get("email", "")}
                for i, s in enumerate(signatories)
            ]
        return changes


class MilestoneForm(forms.Form):
    description = forms.CharField(label=_("Description"), max_length=500, required=False)
    deliverables = forms.CharField(label=_("Deliverables"), widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=5000)
    due_date = forms.DateField(label=_("Due date"), widget=forms.DateInput(attrs={"type": "date"}), required=False)
    amount = forms.DecimalField(label=_("Amount"), max_digits=18, decimal_places=2, required=False)

    def clean(self):
        data = super().clean()
        given = [name for name in ("description", "due_date", "amount") if data.get(name) not in (None, "")]
        if given and len(given) < 3:
            raise forms.ValidationError(_("A milestone needs a description, a due date and an amount."), code="incomplete")
        return data

    @property
    def is_blank(self) -> bool:
        return not any(self.cleaned_data.get(name) not in (None, "") for name in ("description", "due_date", "amount", "deliverables"))


MilestoneFormSet = forms.formset_factory(MilestoneForm, extra=2, max_num=50, absolute_max=50, validate_max=True)


class AmendmentForm(StepUpCodeMixin, forms.Form):
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
