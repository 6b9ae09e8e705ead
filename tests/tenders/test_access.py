"""Who may open which tender page and call which endpoint: every persona against each one."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tenders import actions
from tests.tenders import factories
from tests.tenders.test_documents import PDF

pytestmark = pytest.mark.django_db

PERSONAS = [
    "public",
    "outsider",
    "officer",
    "other_officer",
    "evaluator",
    "supplier_a",
    "bidder_a",
    "supplier_b",
    "registry_officer",
    "auditor",
]
SUPPLIERS = {"supplier_a", "bidder_a", "supplier_b"}


@pytest.fixture
def world(officer, agency, supplier_org_a, supplier_org_b):
    """A published tender with a document and a waiting question, and a draft with a document."""
    factories.make_supplier(supplier_org_a)
    factories.make_supplier(supplier_org_b)
    tender = factories.make_draft(officer, agency)
    published_file = actions.upload_document(officer, tender, SimpleUploadedFile("spec.pdf", PDF), title="Specification")
    actions.publish_tender(officer, tender)
    draft = factories.make_draft(officer, agency)
    draft_file = actions.upload_document(officer, draft, SimpleUploadedFile("spec.pdf", PDF), title="Specification")
    return {"tender": tender, "draft": draft, "file": published_file, "draft_file": draft_file}


@pytest.fixture
def visitor(client, request):
    def as_persona(name):
        if name != "public":
            client.force_login(request.getfixturevalue(name))
        return client

    return as_persona


@pytest.fixture
def api_as(api_client, token_for, request):
    def as_persona(name):
        if name != "public":
            api_client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(request.getfixturevalue(name))}")
        return api_client

    return as_persona


def expect(
    persona: str, *, officer: int, others: int, public: int | None = None, suppliers: int | None = None, other_officer: int | None = None
) -> int:
    if persona == "officer":
        return officer
    if persona == "public" and public is not None:
        return public
    if persona in SUPPLIERS and suppliers is not None:
        return suppliers
    if persona == "other_officer" and other_officer is not None:
        return other_officer
    return others


PAGES = [
    # (method, path, expectations)
    ("get", "/tenders/", {"officer": 200, "others": 200}),
    ("get", "/tenders/{tender}/", {"officer": 200, "others": 200}),
    ("get", "/tenders/{draft}/", {"officer": 200, "others": 404}),
    ("get", "/tenders/{tender}/documents/{file}/", {"officer": 200, "others": 200}),
    ("get", "/tenders/{draft}/documents/{draft_file}/", {"officer": 200, "others": 404}),
    ("post", "/tenders/{tender}/questions/", {"officer": 403, "others": 403, "suppliers": 302, "public": 302}),
    ("post", "/tenders/{draft}/questions/", {"officer": 403, "others": 404, "public": 302}),
    ("post", "/tenders/{tender}/follow/", {"officer": 403, "others": 403, "suppliers": 302, "public": 302}),
    ("get", "/tenders/agency/", {"officer": 200, "others": 403, "other_officer": 200, "public": 302}),
    ("get", "/tenders/agency/new/", {"officer": 200, "others": 403, "other_officer": 200, "public": 302}),
    ("get", "/tenders/agency/{tender}/", {"officer": 200, "others": 403, "public": 302}),
    ("get", "/tenders/agency/{draft}/", {"officer": 200, "others": 404, "public": 302}),
    ("get", "/tenders/agency/{draft}/edit/", {"officer": 200, "others": 404, "public": 302}),
    ("get", "/tenders/agency/{tender}/amend/", {"officer": 200, "others": 403, "public": 302}),
    ("post", "/tenders/agency/{draft}/publish/", {"officer": 302, "others": 404, "public": 302}),
    ("post", "/tenders/agency/{tender}/cancel/", {"officer": 302, "others": 403, "public": 302}),
    ("post", "/tenders/agency/{tender}/clarifications/", {"officer": 302, "others": 403, "public": 302}),
    ("post", "/tenders/agency/{tender}/documents/", {"officer": 400, "others": 403, "public": 302}),
    ("post", "/tenders/agency/{draft}/discard/", {"officer": 302, "others": 404, "public": 302}),
]

BODIES = {
    "/tenders/{tender}/questions/": {"question": "Is night work allowed?"},
    "/tenders/{draft}/questions/": {"question": "Is night work allowed?"},
    "/tenders/agency/{tender}/cancel/": {"reason": "Budget withdrawn."},
    "/tenders/agency/{draft}/publish/": {"confirmed": "yes"},
    "/tenders/agency/{tender}/clarifications/": {"question": "Site visit", "answer": "Monday."},
}


def fill(path: str, world) -> str:
    return path.format(**{key: obj.pk for key, obj in world.items()})


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(("method", "path", "expected"), PAGES, ids=[f"{m} {p}" for m, p, _ in PAGES])
def test_pages(visitor, world, persona, method, path, expected):
    client = visitor(persona)
    response = getattr(client, method)(fill(path, world), BODIES.get(path, {}))
    assert response.status_code == expect(persona, **expected)
    if persona == "public" and response.status_code == 302 and method == "post" and "questions" in path:
        assert response.url.startswith("/accounts/login/")


def test_answer_page_is_for_the_buyers_officers(visitor, world, supplier_a):
    question = actions.ask_question(supplier_a, world["tender"], question="Night work?")
    path = f"/tenders/agency/clarifications/{question.pk}/answer/"
    body = {f"q{question.pk}-question": "Night work?", f"q{question.pk}-answer": "Yes."}
    statuses = {}
    for persona in sorted(PERSONAS, key=lambda p: p == "officer"):  # the officer's answer comes last
        client = visitor(persona)
        statuses[persona] = client.post(path, body).status_code
        client.logout()
    # The asker sees its question but may not answer it; others do not even learn it exists.
    assert statuses == {
        "public": 302,
        "outsider": 404,
        "officer": 302,
        "other_officer": 404,
        "evaluator": 404,
        "supplier_a": 403,
        "bidder_a": 403,
        "supplier_b": 404,
        "registry_officer": 404,
        "auditor": 404,
    }


API = [
    ("get", "/api/v1/tenders/", {"officer": 200, "others": 200}),
    ("post", "/api/v1/tenders/", {"officer": 201, "others": 403, "other_officer": 201, "public": 401}),
    ("get", "/api/v1/tenders/{tender}/", {"officer": 200, "others": 200}),
    ("get", "/api/v1/tenders/{draft}/", {"officer": 200, "others": 404}),
    ("patch", "/api/v1/tenders/{draft}/", {"officer": 200, "others": 404}),
    ("patch", "/api/v1/tenders/{tender}/", {"officer": 409, "others": 403}),
    ("post", "/api/v1/tenders/{draft}/publish/", {"officer": 200, "others": 404}),
    ("post", "/api/v1/tenders/{tender}/amend/", {"officer": 201, "others": 403}),
    ("post", "/api/v1/tenders/{tender}/cancel/", {"officer": 200, "others": 403}),
    ("get", "/api/v1/tenders/{tender}/questions/", {"officer": 200, "others": 200, "public": 401}),
    ("post", "/api/v1/tenders/{tender}/questions/", {"officer": 403, "others": 403, "suppliers": 201, "public": 401}),
    ("post", "/api/v1/tenders/{tender}/clarifications/", {"officer": 201, "others": 403}),
    ("post", "/api/v1/tenders/{draft}/documents/", {"officer": 201, "others": 404}),
    ("get", "/api/v1/tenders/{tender}/documents/{file}/", {"officer": 200, "others": 200}),
    ("get", "/api/v1/tenders/{draft}/documents/{draft_file}/", {"officer": 200, "others": 404}),
    ("post", "/api/v1/tenders/{tender}/follow/", {"officer": 403, "others": 403, "suppliers": 200, "public": 401}),
    ("delete", "/api/v1/tenders/{draft}/", {"officer": 204, "others": 404}),
]


def api_body(path: str, world) -> dict:
    from tests.tenders.test_api import draft_body

    if path == "/api/v1/tenders/":
        return draft_body()
    if path.endswith("/amend/"):
        return {"reason": "Typo.", "changes": {"title": "Corrected title"}}
    if path.endswith("/cancel/"):
        return {"reason": "Budget withdrawn."}
    if path.endswith("/questions/"):
        return {"question": "Night work?"}
    if path.endswith("/clarifications/"):
        return {"question": "Site visit", "answer": "Monday."}
    if path.endswith("/documents/"):
        return {"file": SimpleUploadedFile("more.pdf", PDF), "title": "More"}
    if path.startswith("/api/v1/tenders/{") and path.count("/") == 5:
        return {"title": "Edited"}
    return {}


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(("method", "path", "expected"), API, ids=[f"{m} {p}" for m, p, _ in API])
def test_api(api_as, world, persona, method, path, expected):
    client = api_as(persona)
    body = api_body(path, world)
    multipart = path.endswith("/documents/")
    response = getattr(client, method)(fill(path, world), body, **({} if multipart else {"format": "json"}))
    assert response.status_code == expect(persona, **expected), response.content
    if response.status_code >= 400:
        assert set(response.json()) == {"errors"}


def test_answer_endpoint_is_for_the_buyers_officers(api_as, world, supplier_a):
    question = actions.ask_question(supplier_a, world["tender"], question="Night work?")
    statuses = {}
    for persona in sorted(PERSONAS, key=lambda p: p == "officer"):  # the officer's answer comes last
        client = api_as(persona)
        statuses[persona] = client.post(f"/api/v1/clarifications/{question.pk}/answer/", {"answer": "Yes."}, format="json").status_code
        client.credentials()
    assert statuses == {
        "public": 404,
        "outsider": 404,
        "officer": 200,
        "other_officer": 404,
        "evaluator": 404,
        "supplier_a": 403,
        "bidder_a": 403,
        "supplier_b": 404,
        "registry_officer": 404,
        "auditor": 404,
    }


@pytest.mark.parametrize("persona", PERSONAS)
def test_live_subjects(persona, world, request):
    from marketplace.access import may_hear

    user = None if persona == "public" else request.getfixturevalue(persona)
    tender, draft = world["tender"], world["draft"]
    assert may_hear(user, f"tender.{tender.pk}") is True
    assert may_hear(user, f"tender.{draft.pk}") is False
    assert may_hear(user, f"tender.{tender.pk}.officers") is (persona == "officer")
