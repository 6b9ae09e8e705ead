"""Every page and endpoint of the registry against every persona."""

import pytest
from django.utils import timezone

from marketplace.models import Role
from suppliers.actions import add_follow, add_licence, invite_member
from tests.suppliers.factories import pdf_upload

pytestmark = pytest.mark.django_db

PERSONAS = ["supplier_a", "bidder_a", "supplier_b", "registry_officer", "officer", "outsider", "public"]
# Expected status per persona, in the order of PERSONAS ("login" = sent to the sign-in page).
FIRM_RECORD = [200, 200, 404, 200, 404, 404, "login"]
FIRM_ADMIN_ONLY = [200, 403, 404, 403, 404, 404, "login"]
REGISTRY_ONLY = [403, 403, 403, 200, 403, 403, "login"]
EVERYONE = [200] * 7

PAGES = [
    ("/suppliers/register/", [200, 200, 200, 200, 200, 200, 200]),
    ("/suppliers/directory/", EVERYONE),
    ("/suppliers/debarments/", EVERYONE),
    ("/suppliers/categories/?q=road", EVERYONE),
    ("/suppliers/categories/?code=45233000", EVERYONE),
    ("/suppliers/{firm}/", FIRM_RECORD),
    ("/suppliers/{firm}/edit/", FIRM_ADMIN_ONLY),
    ("/suppliers/{firm}/categories/", FIRM_RECORD),
    ("/suppliers/{firm}/licences/new/", FIRM_ADMIN_ONLY),
    ("/suppliers/{firm}/licences/{licence}/file/", FIRM_RECORD),
    ("/suppliers/{firm}/follows/", FIRM_RECORD),
    ("/suppliers/{firm}/team/", FIRM_RECORD),
    ("/suppliers/registry/", REGISTRY_ONLY),
    ("/suppliers/registry/licence-types/", REGISTRY_ONLY),
]

POSTS = [
    ("/suppliers/{firm}/verify/", {}, [403, 403, 404, 302, 404, 404, "login"]),
    ("/suppliers/{firm}/return/", {"return-reason": "x"}, [403, 403, 404, 409, 404, 404, "login"]),
    ("/suppliers/{firm}/suspend/", {"suspend-reason": "x"}, [403, 403, 404, 302, 404, 404, "login"]),
    ("/suppliers/{firm}/debar/", {"debar-reason": "x", "debar-until": "2999-01-01"}, [403, 403, 404, 302, 404, 404, "login"]),
    ("/suppliers/{firm}/lift/", {"lift-reason": "x"}, [403, 403, 404, 409, 404, 404, "login"]),
    ("/suppliers/{firm}/resubmit/", {}, [302, 403, 404, 403, 404, 404, "login"]),
    ("/suppliers/{firm}/edit/", {}, [400, 403, 404, 403, 404, 404, "login"]),
    ("/suppliers/{firm}/categories/", {"code": "72000000"}, [302, 403, 404, 403, 404, 404, "login"]),
    ("/suppliers/{firm}/follows/", {"kind": "keywords", "keywords": "bridge"}, [302, 302, 404, 403, 404, 404, "login"]),
    ("/suppliers/{firm}/follows/{follow}/remove/", {}, [302, 302, 404, 403, 404, 404, "login"]),
    ("/suppliers/{firm}/licences/{licence}/remove/", {}, [302, 403, 404, 403, 404, 404, "login"]),
    ("/suppliers/{firm}/team/", {"email": "other@alpha.test", "role": "bidder"}, [302, 403, 404, 403, 404, 404, "login"]),
    ("/suppliers/{firm}/team/{bidder}/remove/", {}, [302, 403, 404, 403, 404, 404, "login"]),
    ("/suppliers/{firm}/categories/{category}/remove/", {}, [302, 403, 404, 403, 404, 404, "login"]),
    ("/suppliers/{firm}/team/{bidder}/role/", {"role": "supplier_admin"}, [302, 403, 404, 403, 404, 404, "login"]),
    ("/suppliers/{firm}/team/invitations/{invitation}/revoke/", {}, [302, 403, 404, 403, 404, 404, "login"]),
    ("/suppliers/registry/licence-types/", {"type-name": "Safety permit"}, [403, 403, 403, 302, 403, 403, "login"]),
    ("/suppliers/registry/requirements/{requirement}/remove/", {}, [403, 403, 403, 302, 403, 403, "login"]),
]

API = [
    ("get", "/api/v1/suppliers/", [200, 200, 200, 200, 200, 200, 401]),
    ("get", "/api/v1/suppliers/{firm}/", [200, 200, 404, 200, 404, 404, 401]),
    ("patch", "/api/v1/suppliers/{firm}/", [200, 403, 404, 403, 404, 404, 401]),
    ("get", "/api/v1/suppliers/{firm}/licences/", [200, 200, 404, 200, 404, 404, 401]),
    ("get", "/api/v1/suppliers/{firm}/licences/{licence}/", [200, 200, 404, 200, 404, 404, 401]),
    ("get", "/api/v1/suppliers/{firm}/licences/{licence}/file", [200, 200, 404, 200, 404, 404, 401]),
    ("delete", "/api/v1/suppliers/{firm}/licences/{licence}/", [204, 403, 404, 403, 404, 404, 401]),
    ("post", "/api/v1/suppliers/{firm}/licences/", [400, 403, 404, 403, 404, 404, 401]),
    ("get", "/api/v1/suppliers/{firm}/follows/", [200, 200, 404, 200, 404, 404, 401]),
    ("post", "/api/v1/suppliers/{firm}/follows/", [201, 201, 404, 403, 404, 404, 401]),
    ("delete", "/api/v1/suppliers/{firm}/follows/{follow}/", [204, 204, 404, 403, 404, 404, 401]),
    ("get", "/api/v1/suppliers/directory/", EVERYONE),
    ("get", "/api/v1/suppliers/debarments/", EVERYONE),
    ("get", "/api/v1/suppliers/licence-types/", EVERYONE),
    ("get", "/api/v1/cpv/?q=road", EVERYONE),
    ("get", "/api/v1/cpv/45233000/", EVERYONE),
]


@pytest.fixture
def world(firm_a, firm_b, supplier_a, bidder_a, registry_officer, officer, outsider, business_licence, construction_permit):
    today = timezone.localdate()
    licence = add_licence(
        supplier_a, firm_a, licence_type=business_licence, number="1", issuer="O", valid_from=today, valid_to=None, upload=pdf_upload()
    )
    follow = add_follow(supplier_a, firm_a, kind="category", category="45000000")
    invitation, _key = invite_member(supplier_a, firm_a.organisation, "new@alpha.test", Role.BIDDER)
    return {
        "firm": firm_a.pk,
        "licence": licence.pk,
        "follow": follow.pk,
        "bidder": bidder_a.pk,
        "category": firm_a.categories.get().pk,
        "invitation": invitation.pk,
        "requirement": construction_permit.requirements.get().pk,
    }


def cases(table):
    return [
        pytest.param(*row[:-1], persona, row[-1][i], id=f"{' '.join(map(str, row[:2]))}-{persona}")
        for row in table
        for i, persona in enumerate(PERSONAS)
    ]


def check(response, expected) -> None:
    if expected == "login":
        assert response.status_code == 302 and response.url.startswith("/accounts/login/")
    else:
        assert response.status_code == expected


@pytest.mark.parametrize(("path", "persona", "expected"), cases(PAGES))
def test_pages(client, request, world, path, persona, expected):
    if persona != "public":
        client.force_login(request.getfixturevalue(persona))
    check(client.get(path.format(**world)), expected)


@pytest.mark.parametrize(("path", "data", "persona", "expected"), cases(POSTS))
def test_posts(client, request, world, path, data, persona, expected):
    if persona != "public":
        client.force_login(request.getfixturevalue(persona))
    check(client.post(path.format(**world), data), expected)


@pytest.mark.parametrize(("method", "path", "persona", "expected"), cases(API))
def test_api(api_client, request, world, token_for, method, path, persona, expected):
    if persona != "public":
        api_client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(request.getfixturevalue(persona))}")
    body = {"kind": "keywords", "keywords": "bridge"} if "follows" in path else {"contact_phone": "1"}
    encoding = "multipart" if path.endswith("/licences/") else "json"
    response = getattr(api_client, method)(path.format(**world), body if method in ("post", "patch") else None, format=encoding)
    assert response.status_code == expected
