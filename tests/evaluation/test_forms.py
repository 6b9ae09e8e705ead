"""The evaluation pages' forms: what a person typed becomes the plain values the actions take."""

import pytest
from django.http import QueryDict

from evaluation import forms
from marketplace.errors import ActionError


def posted(**fields) -> QueryDict:
    data = QueryDict(mutable=True)
    for name, value in fields.items():
        data.setlist(name, value if isinstance(value, list) else [value])
    return data


def test_a_null_character_in_a_statement_for_one_bid_is_refused_beside_it():
    form = forms.DeclarationForm(posted(conflict=["b1"], statement_b1="Cousin\x00of the owner."))
    with pytest.raises(ActionError) as refused:
        forms.parse(form)
    assert [(p.field, str(p.message)) for p in refused.value.problems] == [("statement_b1", "Null characters are not allowed.")]


def test_a_null_character_among_checked_boxes_is_refused():
    with pytest.raises(ActionError) as refused:
        forms.parse(forms.DeclarationForm(posted(conflict=["b1\x00"])))
    assert refused.value.problems[0].field == "conflict" and refused.value.status == 422


def test_the_declaration_pairs_each_conflict_with_its_statement():
    form = forms.DeclarationForm(posted(conflict=["b1", "b2"], statement_b1="Cousin.", statement="None else."))
    assert forms.parse(form)["statement"] == "None else." and form.conflicts() == {"b1": "Cousin.", "b2": ""}


def test_scores_keep_what_was_typed_and_leave_blank_cells_out():
    form = forms.ScoresForm(posted(score_b1_7=" 8.5 ", comment_b1_7="Clear plan.", score_b2_7="", score_x="5", submit=""))
    forms.parse(form)
    assert [(s.bid, s.criterion, s.value, s.comment) for s in form.specs()] == [("b1", "7", "8.5", "Clear plan."), ("x", "", "5", "")]
    assert form.submitted


@pytest.mark.parametrize(("typed", "lot"), [("", None), ("2", 2), ("²", 0)])
def test_a_question_names_a_lot_only_when_one_is_typed(typed, lot):
    assert forms.parse(forms.QuestionForm(posted(bid="b1", lot=typed, question="Why?")))["lot"] == lot


@pytest.mark.parametrize("typed", ["2031-02-30T10:00", "not a date", "9999-12-31T23:59:59-05:00", ""])
def test_an_impossible_deadline_is_no_deadline(typed):
    assert forms.parse(forms.QuestionForm(posted(deadline=typed)))["deadline"] is None
