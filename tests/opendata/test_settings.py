"""OCID_PREFIX: the publisher's registered prefix, checked at start-up."""

import pytest

from opendata.models import Release
from tests.evaluation import helpers as h
from tests.marketplace.test_settings import run_check


@pytest.mark.parametrize("prefix", ["tenderhall-", "ocds-213czf", "ocds-ABCDEF-", "ocds-1234567-"])
def test_a_prefix_that_is_not_an_ocds_prefix_stops_start_up(tmp_path, prefix):
    result = run_check(tmp_path, OCID_PREFIX=prefix)
    assert result.returncode != 0
    assert f"OCID_PREFIX={prefix!r} must be 'ocds-', six lower-case letters or digits, and '-'" in result.stderr.strip().splitlines()[-1]


def test_a_registered_prefix_starts(tmp_path):
    assert run_check(tmp_path, OCID_PREFIX="ocds-213czf-").returncode == 0


@pytest.mark.django_db
def test_every_ocid_is_the_prefix_and_the_tender_id(settings, officer, deadline):
    settings.OCID_PREFIX = "ocds-213czf-"
    tender = h.published(officer, deadline)
    assert Release.objects.get(tender=tender).data["ocid"] == f"ocds-213czf-{tender.pk}"
