"""The evaluation pages' forms: each turns what a person typed into the plain values an action
takes. Judging those values (is this bid part of the tender? is the score in range?) is the
action's work, so a form refuses only what is no value at all, and its refusals reach the page
as the same problems an action's would (`parse`)."""

from datetime import UTC, datetime

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from evaluation.actions import ScoreSpec
from evaluation.standing import requirements
from marketplace.errors import ActionError, Problem
from marketplace.models import User
from tenders import queries
from tenders.models import Tender


def parse(form: forms.Form) -> dict:
    """The form's values, or an ActionError (422) with one problem per refused field."""
    if form.is_valid():
        return form.cleaned_data
    raise ActionError(
        problems=[
            Problem(message, error.code or "invalid", None if field == NON_FIELD_ERRORS else field)
            for field, errors in form.errors.as_data().items()
            for error in errors
            for message in error.messages
        ]
    )


def text(**options) -> forms.CharField:
    """Free text, passed on as typed (the actions trim and require it). Like every CharField it
    refuses a NUL character, which PostgreSQL text cannot hold."""
    return forms.CharField(required=False, strip=False, **options)


class TextList(forms.Field):
    """The values of a field sent several times (checked boxes, a multiple choice), as text."""

    widget = forms.SelectMultiple

    def __init__(self, **options):
        super().__init__(required=False, **options)

    def to_python(self, value) -> list[str]:
        values = [str(v) for v in value or []]
        if any("\x00" in v for v in values):
            raise forms.ValidationError(_("Null characters are not allowed."), code="null_characters_not_allowed")
        return values


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class FileList(forms.Field):
    """Every file sent under one name; their sizes and types are the action's to judge."""

    widget = MultipleFileInput

    def __init__(self, **options):
        super().__init__(required=False, **options)

    def to_python(self, value) -> list:
        return list(value or [])


def moment(value: str) -> datetime | None:
    """The typed moment in UTC, or None (the action then asks for one) when it is no moment at
    all: well formed but impossible ("02-30"), or beyond the calendar once in UTC."""
    try:
        found = parse_datetime(value or "")
        if found is not None and timezone.is_naive(found):
            found = timezone.make_aware(found)
        return found.astimezone(UTC) if found is not None else None
    except (ValueError, OverflowError):
        return None


# The workspace ----------------------------------------------------------------------------


class StartForm(forms.Form):
    evaluators = TextList()

    def clean_evaluators(self) -> list[User]:
        """The people named; an id that is no row id names no one (the action then asks for one)."""
        ids = [queries.whole_number(v) for v in self.cleaned_data["evaluators"]]
        return list(User.objects.filter(pk__in=[i for i in ids if i is not None]))


class AppointForm(forms.Form):
    evaluator = text()

    def clean_evaluator(self) -> User:
        user = User.objects.filter(pk=queries.whole_number(self.cleaned_data["evaluator"])).first()
        if user is None:
            raise forms.ValidationError(_("Choose an evaluator."), code="required")
        return user


class DeclarationForm(forms.Form):
    """The bids the evaluator has a conflict with, a statement for each, and one overall."""

    conflict = TextList()
    statement = text()

    def __init__(self, data=None, **kwargs):
        super().__init__(data, **kwargs)
        for bid_id in data.getlist("conflict") if data is not None else []:
            self.fields[f"statement_{bid_id}"] = text()

    def conflicts(self) -> dict[str, str]:
        return {bid_id: self.cleaned_data.get(f"statement_{bid_id}", "") for bid_id in self.cleaned_data["conflict"]}


class QualificationForm(forms.Form):
    """Pass or fail with a reason for each of the tender's requirements the officer judged."""

    reconsider = text()

    def __init__(self, data=None, *, tender: Tender, **kwargs):
        super().__init__(data, **kwargs)
        self.judged = [key for key, _label in requirements(tender) if data is not None and f"pass_{key}" in data]
        for key in self.judged:
            self.fields[f"pass_{key}"] = text()
            self.fields[f"reason_{key}"] = text()

    def checks(self) -> dict[str, tuple[bool, str]]:
        return {key: (self.cleaned_data[f"pass_{key}"] == "yes", self.cleaned_data[f"reason_{key}"]) for key in self.judged}


class ScoresForm(forms.Form):
    """The evaluator's scores, one field `score_<bid>_<criterion>` each, with an optional
    `comment_<bid>_<criterion>`; the button `submit` makes them final."""

    def __init__(self, data=None, **kwargs):
        super().__init__(data, **kwargs)
        self.cells = []
        for name in data or []:
            if name.startswith("score_"):
                # a malformed name is refused by the action as an unknown criterion
                _prefix, bid_id, criterion_id = [*name.split("_", 2), "", ""][:3]
                self.cells.append((name, bid_id, criterion_id))
                self.fields[name] = text()
                self.fields[f"comment_{bid_id}_{criterion_id}"] = text()
        self.submitted = data is not None and "submit" in data

    def specs(self) -> list[ScoreSpec]:
        return [
            ScoreSpec(bid_id, criterion_id, self.cleaned_data[name].strip(), self.cleaned_data[f"comment_{bid_id}_{criterion_id}"])
            for name, bid_id, criterion_id in self.cells
            if self.cleaned_data[name].strip()
        ]


class QuestionForm(forms.Form):
    """A question to a bidder; with a lot, the request to justify an abnormally low price there."""

    bid = text()
    lot = text()
    question = text()
    deadline = text()

    def clean_lot(self) -> int | None:
        typed = self.cleaned_data["lot"]
        return (queries.whole_number(typed) or 0) if typed else None

    def clean_deadline(self) -> datetime | None:
        return moment(self.cleaned_data["deadline"])


class PriceDecisionForm(forms.Form):
    decision = text()
    reason = text()


class ChallengeAnswerForm(forms.Form):
    answer = text()
    decision = text()


# The bidder's result ----------------------------------------------------------------------


class ClarificationAnswerForm(forms.Form):
    answer = text()


class ChallengeForm(forms.Form):
    grounds = text()
    documents = FileList()


class ChallengeResponseForm(forms.Form):
    """The challenger accepts the agency's answer or escalates it, with a reason."""

    response = text()
    reason = text()


# The review body --------------------------------------------------------------------------


class ReviewDecisionForm(forms.Form):
    decision = text()
    reason = text()
