"""The API against its own OpenAPI schema, by schemathesis: generated calls to every operation.

The schema is the one `/api/v1/schema/` publishes (drf-spectacular); each operation is called
with requests schemathesis generates from it (its examples, the edges of each parameter's range,
then random ones) through Django's WSGI application, on the demo's world (`tests/world.py`), as
the public, a procurement officer and a supplier administrator, each with an API token in the
`Authorization: Token …` header. Every answer must not be a server error, must have a status
code the schema declares for the operation, and a body of the declared type and shape.

The budget is small and fixed (`MAX_EXAMPLES` generated calls per operation and persona, no
stateful phase), so the run stays within minutes.
"""

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance, status_code_conformance

from tests.openapi import schema as published_schema
from tests.world import shared_world

pytestmark = pytest.mark.django_db
MAX_EXAMPLES = 5
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
PERSONAS = {"anonymous": None, "procurement_officer": "officer@mpw.example", "supplier_admin": "admin@lotus.example"}


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    from marketplace.actions import issue_api_token
    from marketplace.models import User

    # Django closes the database connection at the end of each request it serves; the test client
    # stops that (its requests run in the test's transaction), and so do these WSGI calls.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        media_root = tmp_path_factory.mktemp("media")
        with shared_world(django_db_blocker, media_root) as world:
            tokens = {name: issue_api_token(User.objects.get(email=email), "schemathesis")[1] for name, email in PERSONAS.items() if email}
            yield world | {"tokens": tokens, "media_root": media_root}
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


# The schema as `/api/v1/schema/` serves it (drf-spectacular makes it without a request); the
# calls go to Django's WSGI application in this process, so they see the world's transaction.
schema = schemathesis.openapi.from_dict(published_schema())
schema.app = WSGIHandler()


@pytest.fixture(params=list(PERSONAS))
def persona(request):
    return request.param


@schema.parametrize()
# No shrinking: a failure is reported as found, and the run's length does not depend on it.
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
)
def test_every_operation_answers_as_its_schema_says(case, persona, world, settings):
    # The world's files are where the world wrote them (each test would have a folder of its own):
    # a generated id that names one of its documents downloads it.
    settings.MEDIA_ROOT = world["media_root"]
    token = world["tokens"].get(persona)
    headers = {"Authorization": f"Token {token}"} if token else {}
    case.call_and_validate(headers=headers, checks=CHECKS)
