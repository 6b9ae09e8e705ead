"""Forms of the supplier registry. They parse input; the actions decide what is allowed."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from marketplace.errors import ActionError
from marketplace.models import Organisation, Role
from suppliers import cpv
from suppliers.models import Follow, LicenceType


def country_choices() -> list[tuple[str, str]]:
    return [("", "—"), *countries]


def apply_problems(form: forms.Form, error: ActionError) -> None:
    """Show an action's refusal beside the fields it names (or above the form)."""
    for problem in error.problems:
        field = problem.field if problem.field in form.fields else None
        form.add_error(field, problem.message)


class CategoryCodesField(forms.CharField):
    """CPV codes separated by spaces, commas or new lines (check digits accepted)."""

    def to_python(self, value) -> list[str]:
        text = super().to_python(value) or ""
        return [cpv.normalise(code) for code in text.replace(",", " ").split()]

    def validate(self, value) -> None:
        if self.required and not value:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        unknown = [code for code in value if not cpv.exists(code)]
        if unknown:
            raise forms.ValidationError(_("Not CPV 2008 codes: %(codes)s"), code="unknown_cpv", params={"codes": ", ".join(unknown)})


class FirmDetailsForm(forms.Form):
    legal_name = forms.CharField(label=_("Legal name"), max_length=300)
    country = forms.ChoiceField(label=_("Country of registration"), choices=country_choices)
    registration_number = forms.CharField(
        label=_("Registration number"),
        max_length=40,
        help_text=_("China: unified social credit code. EU: VAT number. USA: EIN. Elsewhere: the national company number."),
    )
    address = forms.CharField(label=_("Registered address"), widget=forms.Textarea(attrs={"rows": 3}))
    contact_email = forms.EmailField(label=_("Contact e-mail"))
    contact_phone = forms.CharField(label=_("Contact phone"), max_length=40, required=False)
    website = forms.URLField(label=_("Website"), required=False, assume_scheme="https")
    headcount = forms.IntegerField(label=_("Staff head-count"), min_value=0, help_text=_("Annual work units, as in the EU SME definition."))
    turnover_eur = forms.DecimalField(
        label=_("Annual turnover (EUR)"), min_value=Decimal(0), max_digits=18, decimal_places=2, help_text=_("Converted to euros.")
    )
    listed_in_directory = forms.BooleanField(
        label=_("List the firm in the public supplier directory once it is verified"), required=False, initial=True
    )


class RegistrationForm(FirmDetailsForm):
    categories = CategoryCodesField(
        label=_("Categories supplied (CPV codes)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Codes separated by spaces, e.g. 45000000 72000000. You can add more later."),
    )
    admin_name = forms.CharField(label=_("Your full name"), max_length=200)
    admin_email = forms.EmailField(label=_("Your e-mail address"), help_text=_("You will sign in with it as the firm's administrator."))
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput, help_text=_("At least 10 characters."))

    def __init__(self, *args, signed_in: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if signed_in:
            for name in ("admin_name", "admin_email", "password"):
                del self.fields[name]


class ProfileForm(FirmDetailsForm):
    def __init__(self, *args, identity_editable: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not identity_editable:
            for name in ("legal_name", "country", "registration_number"):
                self.fields[name].disabled = True


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), required=False)


class RestrictionForm(ReasonForm):
    until = forms.DateField(
        label=_("Last day (inclusive)"), required=False, widget=forms.DateInput(attrs={"type": "date"}), help_text=_("Empty: until lifted.")
    )


class LicenceForm(forms.Form):
    licence_type = forms.ModelChoiceField(label=_("Type"), queryset=LicenceType.objects.all(), required=False)
    number = forms.CharField(label=_("Number"), max_length=100, required=False)
    issuer = forms.CharField(label=_("Issued by"), max_length=200, required=False)
    valid_from = forms.DateField(label=_("Valid from"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    valid_to = forms.DateField(
        label=_("Valid to"), required=False, widget=forms.DateInput(attrs={"type": "date"}), help_text=_("Empty if it does not expire.")
    )
    file = forms.FileField(label=_("File (PDF, PNG or JPEG)"), required=False)


class CategoryForm(forms.Form):
    code = forms.CharField(label=_("CPV code"), max_length=12)


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"))
    role = forms.ChoiceField(
        label=_("Role"), choices=[(Role.SUPPLIER_ADMIN.value, Role.SUPPLIER_ADMIN.label), (Role.BIDDER.value, Role.BIDDER.label)]
    )


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=InviteForm.base_fields["role"].choices)


class NewAccountForm(forms.Form):
    full_name = forms.CharField(label=_("Your full name"), max_length=200)
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput, help_text=_("At least 10 characters."))


class FollowForm(forms.Form):
    kind = forms.ChoiceField(label=_("Follow"), choices=Follow.Kind.choices, widget=forms.HiddenInput)
    category = forms.CharField(label=_("CPV code"), max_length=12, required=False)
    buyer = forms.ModelChoiceField(label=_("Buyer"), queryset=Organisation.objects.filter(kind=Organisation.Kind.AGENCY), required=False)
    keywords = forms.CharField(label=_("Words to look for"), max_length=200, required=False)


class LicenceTypeForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    code = forms.SlugField(label=_("Code"), max_length=40, required=False, help_text=_("Empty: made from the name."))
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 2}), required=False)


class RequirementForm(forms.Form):
    licence_type = forms.ModelChoiceField(label=_("Licence type"), queryset=LicenceType.objects.all())
    category = forms.CharField(label=_("Required for the CPV category"), max_length=12)
