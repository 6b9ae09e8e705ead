"""`make run`'s demo publishes its tenders' lives as releases that an outside client can follow."""

import pytest
from django.core.management import call_command

from opendata.models import Release
from tenders.models import Tender
from tests.opendata.helpers import assert_valid_record_package, follow_feed

pytestmark = pytest.mark.django_db


def test_a_client_following_the_feed_receives_every_release_of_the_demo_each_valid(public):
    call_command("seed_demo")
    received, _poll = follow_feed(public, limit=1000)
    assert [r["id"] for r in received] == list(Release.objects.in_feed_order().values_list("release_id", flat=True))
    public_tenders = Tender.objects.public()
    assert {r["ocid"] for r in received} == {f"ocds-000000-{pk}" for pk in public_tenders.values_list("pk", flat=True)}
    assert {"tender", "award"} <= {tag for r in received for tag in r["tag"]}
    for ocid in {r["ocid"] for r in received}:
        package = public.get(f"/api/v1/ocds/records/{ocid}/").json()
        assert_valid_record_package(package)


def test_seeding_the_demo_again_repeats_no_release():
    call_command("seed_demo")
    before = list(Release.objects.in_feed_order().values_list("release_id", flat=True))
    call_command("seed_demo")
    assert list(Release.objects.in_feed_order().values_list("release_id", flat=True)) == before
