"""Pure rules of the registry: SME size, registration number schemes, CPV matching."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from suppliers import cpv, registration_numbers
from suppliers.models import SmeClass, sme_class_for


@pytest.mark.parametrize(
    ("staff", "turnover", "size"),
    [
        (9, "2000000", SmeClass.MICRO),
        (10, "2000000", SmeClass.SMALL),
        (9, "2000000.01", SmeClass.SMALL),
        (49, "10000000", SmeClass.SMALL),
        (50, "10000000", SmeClass.MEDIUM),
        (49, "10000000.01", SmeClass.MEDIUM),
        (249, "50000000", SmeClass.MEDIUM),
        (250, "1", SmeClass.LARGE),
        (249, "50000000.01", SmeClass.LARGE),
        (0, "0", SmeClass.MICRO),
    ],
)
def test_eu_sme_thresholds(staff, turnover, size):
    assert sme_class_for(staff, Decimal(turnover)) == size


@pytest.mark.parametrize(
    ("country", "number", "compact"),
    [
        ("CN", "91110000600037341L", "91110000600037341L"),
        ("IE", "6388047V", "IE6388047V"),
        ("GR", "094259216", "EL094259216"),
        ("DE", "de 136 695 976", "DE136695976"),
        ("US", "04-2103594", "042103594"),
        ("GB", "GB 980 7806 84", "980780684"),
        ("NZ", "ab-12 3", "AB123"),
    ],
)
def test_registration_numbers_are_compacted(country, number, compact):
    assert registration_numbers.normalise(country, number) == compact


@pytest.mark.parametrize(
    ("country", "number"), [("CN", "911100007109288171"), ("FR", "FR00000000000"), ("US", "00-0000000"), ("NZ", "1"), ("IE", "")]
)
def test_invalid_registration_numbers_raise_with_a_reason(country, number):
    with pytest.raises(registration_numbers.InvalidRegistrationNumber):
        registration_numbers.normalise(country, number)


def test_the_whole_cpv_list_is_shipped_with_its_hierarchy():
    vocabulary = cpv.vocabulary()
    assert len(vocabulary) == 9454
    assert all(entry.parent is None or entry.parent in vocabulary for entry in vocabulary.values())
    assert sum(entry.parent is None for entry in vocabulary.values()) == 45


CODES = sorted(cpv.vocabulary())


@given(st.sampled_from(CODES), st.sampled_from(CODES))
def test_enclosing_codes_are_exactly_the_codes_a_code_is_within(code, other):
    assert (other in cpv.enclosing_codes(code)) == cpv.is_within(code, other)


@given(st.sampled_from(CODES))
def test_every_ancestor_encloses_its_descendants(code):
    assert all(cpv.is_within(code, ancestor.code) for ancestor in cpv.ancestors(code))
