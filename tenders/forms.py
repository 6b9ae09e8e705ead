"""The authoring page's forms, and the small forms of the tender and management pages.

Forms parse what the browser sends; the actions decide. A problem an action reports is put
back beside the field it names (`attach_problems`).
"""

from django import forms
from django.forms.models import fields_for_model
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from marketplace import currencies
from marketplace.errors import Problem
from marketplace.models import Membership, Organisation, Role, User
from suppliers.models import LicenceType
from tenders.actions import CriterionSpec, DraftSpec, ItemSpec, LotSpec
from tenders.actions.drafts import DRAFT_FIELDS
from tenders.actions.lifecycle import AMENDABLE_FIELDS, AMENDABLE_LOT_FIELDS
from tenders.models import Document, DocumentType, Lot, Tender
from tenders.widgets import CompactSelect

MOMENT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
WIDGETS = {
    "description": forms.Textarea(attrs={"rows": 6}),
    "clarification_deadline": MOMENT,
    "submission_deadline": MOMENT,
    "main_category": forms.TextInput(attrs={"inputmode": "numeric", "placeholder": "45233140", "data-cpv": ""}),
}
HELP = {
    "main_category": gettext_lazy("An 8-digit CPV 2008 code; searches for a category also find its subcategories."),
    "min_response_days": gettext_lazy("Zero uses the platform's minimum for the procurement method."),
    "deposit_amount": gettext_lazy("Leave empty for no deposit. In the tender's currency."),
    "price_weight": gettext_lazy("Weighted scoring only: the criteria and the price add up to 100."),
    "max_envelope_bytes": gettext_lazy(
        "In bytes: 26214400 is 25 MB. An envelope holds its documents in base64, about a third larger than the files."
    ),
    "custody_threshold": gettext_lazy("Committee custody only: how many custodians must unlock the key to open the bids."),
}


class TenderForm(forms.Form):
    """The tender's own settings. Nothing is required but the title: a draft may be incomplete."""

    def __init__(self, *args, agency, **kwargs):
        super().__init__(*args, **kwargs)
        # Required as in the model: the title, and the settings that have a default.
        self.fields.update(fields_for_model(Tender, fields=DRAFT_FIELDS, widgets=WIDGETS, help_texts=HELP))
        self.fields["currency"] = forms.ChoiceField(label=_("Currency"), choices=currencies.choices, initial="EUR", widget=CompactSelect)
        for name in ("clarification_deadline", "submission_deadline"):
            self.fields[name].input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]
            self.fields[name].help_text = in_time_zone()
        self.fields["sme_reserved"] = forms.BooleanField(
            label=_("Reserved for SMEs"), required=False, help_text=_("For a tender not divided into lots: only SMEs may bid.")
        )
        self.fields["required_licence_types"] = forms.ModelMultipleChoiceField(
            label=_("Required licences"), queryset=LicenceType.objects.order_by("name"), required=False, widget=forms.CheckboxSelectMultiple
        )
        self.fields["custodians"] = forms.ModelMultipleChoiceField(
            label=_("Custodians"),
            queryset=User.objects.filter(
                pk__in=Membership.objects.active().filter(organisation=agency, role=Role.CUSTODIAN).values("user_id")
            ).order_by("full_name", "email"),
            required=False,
            widget=forms.CheckboxSelectMultiple,
            help_text=_("Committee custody only: the agency's opening custodians who each hold a share of the key."),
        )

    @staticmethod
    def initial_for(tender: Tender) -> dict:
        initial = {name: getattr(tender, name) for name in DRAFT_FIELDS}
        first = next(iter(tender.lots.all()), None)
        initial["sme_reserved"] = bool(first and first.sme_reserved and not tender.divided_into_lots)
        initial["required_licence_types"] = list(tender.required_licence_types.all())
        initial["custodians"] = [seat.user for seat in tender.custodian_seats.all()]
        return initial


class LotForm(forms.Form):
    number = forms.IntegerField(label=_("Number"), min_value=1, max_value=999, required=False)
    title = forms.CharField(label=_("Title"), max_length=300, required=False)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    estimated_value = forms.DecimalField(label=_("Estimated value"), max_digits=18, decimal_places=2, required=False)
    sme_reserved = forms.BooleanField(label=_("Reserved for SMEs"), required=False)


class ItemForm(forms.Form):
    lot = forms.IntegerField(label=_("Lot"), min_value=1, max_value=999, initial=1, required=False)
    description = forms.CharField(label=_("Description"), max_length=500)
    quantity = forms.DecimalField(label=_("Quantity"), max_digits=18, decimal_places=3)
    unit = forms.CharField(label=_("Unit"), max_length=40)
    cpv = forms.CharField(label=_("Category (CPV)"), max_length=12, widget=forms.TextInput(attrs={"inputmode": "numeric"}))


class CriterionForm(forms.Form):
    name = forms.CharField(label=_("Criterion"), max_length=200)
    description = forms.CharField(label=_("Description"), required=False)
    weight = forms.IntegerField(label=_("Weight"))
    max_score = forms.IntegerField(label=_("Highest score"), initial=10)


LotFormSet = forms.formset_factory(LotForm, extra=2, can_delete=True)
ItemFormSet = forms.formset_factory(ItemForm, extra=3, can_delete=True)
CriterionFormSet = forms.formset_factory(CriterionForm, extra=2, can_delete=True)


class DraftForms:
    """The authoring page: the tender, its lots, items and criteria, read and written together."""

    def __init__(self, agency, tender: Tender | None = None, data=None):
        self.tender = tender
        initial = TenderForm.initial_for(tender) if tender else None
        lots = list(tender.lots.all()) if tender else []
        self.form = TenderForm(data, agency=agency, initial=initial)
        self.lots = LotFormSet(
            data, prefix="lots", initial=[_lot_initial(lot) for lot in lots] if tender and tender.divided_into_lots else None
        )
        self.items = ItemFormSet(
            data,
            prefix="items",
            initial=[
                {"lot": lot.number, "description": i.description, "quantity": i.quantity, "unit": i.unit, "cpv": i.cpv}
                for lot in lots
                for i in lot.items.all()
            ],
        )
        self.criteria = CriterionFormSet(
            data,
            prefix="criteria",
            initial=[
                {"name": c.name, "description": c.description, "weight": c.weight, "max_score": c.max_score} for c in tender.criteria.all()
            ]
            if tender
            else None,
        )
        self.paths: dict[str, forms.Form] = {}

    def all(self):
        return [self.form, self.lots, self.items, self.criteria]

    def is_valid(self) -> bool:
        return all(part.is_valid() for part in self.all()) and self._lot_numbers_known()

    def spec(self) -> DraftSpec:
        data = self.form.cleaned_data
        spec = DraftSpec(fields={name: data[name] for name in DRAFT_FIELDS})
        spec.fields["currency"] = data["currency"]
        items = [f for f in self.items.forms if f.has_changed() and not f.cleaned_data.get("DELETE")]
        if data["divided_into_lots"]:
            spec.lots = []
            for lot_form in self._kept(self.lots):
                index = len(spec.lots)
                number = lot_form.cleaned_data["number"] or index + 1
                lot_items = [f for f in items if (f.cleaned_data["lot"] or 1) == number]
                spec.lots.append(LotSpec(**{k: v for k, v in lot_form.cleaned_data.items() if k != "DELETE"} | {"number": number}))
                spec.lots[-1].items = [_item(f) for f in lot_items]
                self._map(f"lots.{index}.", lot_form)
                for position, item_form in enumerate(lot_items):
                    self._map(f"lots.{index}.items.{position}.", item_form)
        else:
            spec.lots = [LotSpec(sme_reserved=data["sme_reserved"], items=[_item(f) for f in items])]
            for position, item_form in enumerate(items):
                self._map(f"lots.0.items.{position}.", item_form)
        spec.criteria = []
        for index, criterion_form in enumerate(self._kept(self.criteria)):
            spec.criteria.append(CriterionSpec(**{k: v for k, v in criterion_form.cleaned_data.items() if k != "DELETE"}))
            self._map(f"criteria.{index}.", criterion_form)
        spec.custodians = list(data["custodians"])
        spec.licence_types = list(data["required_licence_types"])
        return spec

    def attach(self, problems: list[Problem]) -> None:
        for problem in problems:
            name = problem.field or ""
            for prefix, form in sorted(self.paths.items(), key=lambda p: -len(p[0])):
                if name.startswith(prefix) and name[len(prefix) :] in form.fields:
                    form.add_error(name[len(prefix) :], problem.message)
                    break
            else:
                attach_problems(self.form, [problem])

    def _map(self, prefix: str, form: forms.Form) -> None:
        self.paths[prefix] = form

    @staticmethod
    def _kept(formset) -> list[forms.Form]:
        return [f for f in formset.forms if f.has_changed() and not f.cleaned_data.get("DELETE")]

    def _lot_numbers_known(self) -> bool:
        if not self.form.cleaned_data.get("divided_into_lots"):
            return True
        numbers = {f.cleaned_data["number"] or n for n, f in enumerate(self._kept(self.lots), start=1)}
        known = True
        for item_form in self._kept(self.items):
            if (item_form.cleaned_data["lot"] or 1) not in numbers:
                item_form.add_error("lot", _("There is no lot with this number."))
                known = False
        return known


def _lot_initial(lot: Lot) -> dict:
    return {
        "number": lot.number,
        "title": lot.title,
        "description": lot.description,
        "estimated_value": lot.estimated_value,
        "sme_reserved": lot.sme_reserved,
    }


def _item(form: forms.Form) -> ItemSpec:
    data = form.cleaned_data
    return ItemSpec(description=data["description"], quantity=data["quantity"], unit=data["unit"], cpv=data["cpv"])


def in_time_zone() -> str:
    return _("Date and time in %(zone)s, the platform's time zone.") % {"zone": timezone.get_current_timezone_name()}


def attach_problems(form: forms.Form, problems: list[Problem]) -> None:
    """Put each problem beside its field, or above the form when it names none of its fields."""
    for problem in problems:
        form.add_error(problem.field if problem.field in form.fields else None, problem.message)


class AmendForm(forms.Form):
    """Every amendable field with its current value, and the reason; only changed values count."""

    reason = forms.CharField(
        label=_("Reason for the amendment"), widget=forms.Textarea(attrs={"rows": 3}), help_text=_("Published with the amendment.")
    )

    def __init__(self, *args, tender: Tender, **kwargs):
        self.tender = tender
        self.lots = list(tender.lots.all())
        names = [n for n in AMENDABLE_FIELDS if not (tender.divided_into_lots and n == "estimated_value")]
        initial = {name: getattr(tender, name) for name in names}
        for name in ("clarification_deadline", "submission_deadline"):
            # The page shows minutes: a deadline left alone must not count as changed by its seconds.
            if initial.get(name):
                initial[name] = initial[name].replace(second=0, microsecond=0)
        for lot in self.lots if tender.divided_into_lots else []:
            for name in AMENDABLE_LOT_FIELDS:
                initial[f"lot_{lot.number}_{name}"] = getattr(lot, name)
        super().__init__(*args, initial=initial, **kwargs)
        fields = fields_for_model(Tender, fields=names, widgets=WIDGETS)
        for name, field in fields.items():
            field.required = False
            if name in ("clarification_deadline", "submission_deadline"):
                field.input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]
                field.help_text = in_time_zone()
        lot_fields = {}
        for lot in self.lots if tender.divided_into_lots else []:
            for name, field in fields_for_model(
                Lot, fields=AMENDABLE_LOT_FIELDS, widgets={"description": forms.Textarea(attrs={"rows": 2})}
            ).items():
                field.required = False
                field.label = _("Lot %(number)s: %(field)s") % {"number": lot.number, "field": field.label}
                lot_fields[f"lot_{lot.number}_{name}"] = field
        self.fields = {**fields, **lot_fields, "reason": self.fields["reason"]}

    def changes(self) -> dict:
        return {name: self.cleaned_data[name] for name in AMENDABLE_FIELDS if name in self.changed_data}

    def lot_changes(self) -> dict[int, dict]:
        changes: dict[int, dict] = {}
        for lot in self.lots:
            for name in AMENDABLE_LOT_FIELDS:
                key = f"lot_{lot.number}_{name}"
                if key in self.changed_data:
                    changes.setdefault(lot.number, {})[name] = self.cleaned_data[key]
        return changes

    def attach(self, problems: list[Problem]) -> None:
        for problem in problems:
            name = problem.field or ""
            if name.startswith("lots."):
                _, number, field = [*name.split("."), "", ""][:3]
                name = f"lot_{number}_{field}"
            form_field = name if name in self.fields else None
            self.add_error(form_field, problem.message)


class DocumentForm(forms.Form):
    file = forms.FileField(label=_("File"))
    document = forms.ModelChoiceField(
        label=_("New version of"), queryset=Document.objects.none(), required=False, empty_label=_("— a new document —")
    )
    title = forms.CharField(label=_("Title"), max_length=300, required=False, help_text=_("For a new document."))
    document_type = forms.ChoiceField(label=_("Type"), choices=DocumentType.choices, initial=DocumentType.BIDDING_DOCUMENTS)
    reason = forms.CharField(label=_("Reason for the amendment"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, tender: Tender, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["document"].queryset = tender.documents.all()
        if tender.status == Tender.Status.DRAFT:
            del self.fields["reason"]
        else:
            self.fields["reason"].required = True
            self.fields["reason"].help_text = _("Adding a document to a published tender is an amendment, published with its reason.")


class QuestionForm(forms.Form):
    question = forms.CharField(
        label=_("Your question"),
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Only the agency sees your question. The answer is published to everyone, without your firm's name."),
    )

    def __init__(self, *args, firms=(), **kwargs):
        super().__init__(*args, **kwargs)
        if len(firms) > 1:
            # A person acting for several firms says which one asks (and will follow the tender).
            self.fields["organisation"] = forms.ModelChoiceField(
                label=_("Asking for"), queryset=Organisation.objects.filter(pk__in=[f.pk for f in firms]), empty_label=None
            )


class AnswerForm(forms.Form):
    question = forms.CharField(
        label=_("Question, as it will be published"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Reword it if it gives the asker away."),
    )
    answer = forms.CharField(label=_("Answer"), widget=forms.Textarea(attrs={"rows": 4}))


class ClarificationForm(forms.Form):
    question = forms.CharField(label=_("Subject or question"), widget=forms.Textarea(attrs={"rows": 2}))
    answer = forms.CharField(label=_("Clarification"), widget=forms.Textarea(attrs={"rows": 4}))


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for the cancellation"), widget=forms.Textarea(attrs={"rows": 3}), help_text=_("Published as a notice.")
    )
