"""The bulk export: every record as gzip JSON lines, streamed."""

import gzip
import json
import secrets

import pytest

from opendata import export, packages
from opendata.models import Release
from tests.bidding import helpers as bidding
from tests.evaluation import helpers as h
from tests.opendata.helpers import assert_valid_record_package

pytestmark = pytest.mark.django_db


def test_the_export_streams_every_record_as_a_line_of_gzip_json(officer, deadline, public):
    first, second = h.published(officer, deadline), h.published(officer, deadline)
    bidding.amend(first, officer)
    response = public.get("/api/v1/ocds/records.jsonl.gz")
    assert response.status_code == 200 and response.streaming and response["Content-Type"] == "application/gzip"
    lines = gzip.decompress(b"".join(response.streaming_content)).decode().splitlines()
    records = [json.loads(line) for line in lines]
    assert [r["ocid"] for r in records] == [f"ocds-000000-{first.pk}", f"ocds-000000-{second.pk}"]
    assert [len(r["releases"]) for r in records] == [2, 1]
    assert records[0]["compiledRelease"]["tender"]["amendments"][0]["id"] == "1"
    for record in records:
        assert_valid_record_package(
            packages.metadata("https://tenderhall.example/records.jsonl.gz", Release.objects.last().date) | {"records": [record]}
        )


def test_the_export_of_nothing_is_an_empty_gzip_stream(public, db):
    response = public.get("/api/v1/ocds/records.jsonl.gz")
    assert gzip.decompress(b"".join(response.streaming_content)) == b""


def test_the_compressed_stream_leaves_in_pieces():
    lines = (json.dumps({"line": n, "digest": secrets.token_hex(64)}).encode() + b"\n" for n in range(5_000))
    pieces = list(export.gzipped(lines))
    assert len(pieces) > 2 and all(len(p) < 2 * export.PIECE for p in pieces)
    assert gzip.decompress(b"".join(pieces)).count(b"\n") == 5_000
