"""Milestones in `/api/v1/contracts/`: who writes, delivers, accepts and reads what, per persona."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from contracts import deliveries
from contracts.models import Contract, Milestone
from tenders.demo import pdf
from tests.contracts.helpers import PERIOD, confirm_award, milestone_plans, paid, signed_by_both
from tests.openapi import assert_conforms

DELIVERY_NOTE = pdf(["Delivery note", "640 luminaires installed"])  # a real PDF

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("quick_documents")]

PERSONAS = ["public", "officer", "finance_officer", "supplier_a", "bidder_a", "supplier_b", "auditor"]
PARTIES = {"officer", "finance_officer", "supplier_a", "bidder_a", "auditor"}
PLANS = [
    {"description": "Lamps delivered", "deliverables": "120 lamps", "due_date": "2027-03-01", "amount": "600.00"},
    {"description": "Installed", "due_date": "2027-06-30", "amount": "300.00"},
]


@pytest.fixture
def contract(officer, evaluator, deadline, firms):
    _tender, award, travel, _clock = confirm_award(officer, evaluator, deadline, firms)
    yield Contract.objects.get(award=award)
    travel.stop()


@pytest.fixture
def active(contract, officer, supplier_a):
    return signed_by_both(contract, officer, supplier_a, milestones=milestone_plans("600.00", "300.00"))


@pytest.fixture
def client_as(api_client, api_as, request):
    def client(persona: str):
        if persona == "public":
            api_client.credentials()
            return api_client
        return api_as(request.getfixturevalue(persona))

    return client


def codes(response) -> list[str]:
    return [e["code"] for e in response.json()["errors"]]


def milestones(contract) -> list[tuple]:
    return list(Milestone.objects.filter(contract=contract).values_list("number", "status", "amount"))


@pytest.mark.parametrize(
    "persona, status",
    [("officer", 200), ("supplier_a", 403), ("finance_officer", 403), ("supplier_b", 404), ("public", 401)],
)
def test_only_the_buyers_officer_writes_the_drafts_milestones(contract, client_as, persona, status):
    response = client_as(persona).put(f"/api/v1/contracts/{contract.pk}/milestones/", {"milestones": PLANS}, format="json")
    assert response.status_code == status, response.content
    assert len(milestones(contract)) == (2 if status == 200 else 0)
    if status == 200:
        assert_conforms(response, "put")
        assert [(m["number"], m["amount"], m["status"]) for m in response.json()["milestones"]] == [
            (1, "600.00", "planned"),
            (2, "300.00", "planned"),
        ]


def test_milestones_not_summing_to_the_value_are_a_422_and_change_nothing(contract, client_as, officer):
    url = f"/api/v1/contracts/{contract.pk}/milestones/"
    client_as("officer").put(url, {"milestones": PLANS}, format="json")
    short = [PLANS[0], PLANS[1] | {"amount": "250.00"}]
    response = client_as("officer").put(url, {"milestones": short}, format="json")
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "field": "milestones",
            "code": "amounts_do_not_sum",
            "message": "The milestones add up to 850.00 EUR; the contract value is 900.00 EUR.",
        }
    ]
    assert [m[2] for m in milestones(contract)] == [600, 300]
    assert client_as("officer").put(url, {"milestones": [PLANS[0] | {"amount": "1.001"}]}, format="json").status_code == 400


def test_sending_with_milestones_not_summing_is_a_422(contract, client_as, officer):
    contract.milestones.create(number=1, description="Half", due_date=PERIOD["period_end"], amount="450.00")
    client_as("officer").patch(
        f"/api/v1/contracts/{contract.pk}/", {"period_start": "2027-01-04", "period_end": "2027-06-30"}, format="json"
    )
    response = client_as("officer").post(f"/api/v1/contracts/{contract.pk}/send/")
    assert response.status_code == 422 and codes(response) == ["amounts_do_not_sum"]
    contract.refresh_from_db()
    assert contract.status == Contract.Status.DRAFT and not contract.document


def test_every_persona_reads_the_milestones_of_an_active_contract(active, client_as):
    for persona in PERSONAS:
        response = client_as(persona).get(f"/api/v1/contracts/{active.pk}/")
        assert response.status_code == 200, persona
        assert_conforms(response)
        assert [(m["number"], m["status"], m["overdue"]) for m in response.json()["milestones"]] == [
            (1, "planned", False),
            (2, "planned", False),
        ]


def test_delivering_through_the_api_with_a_document(active, client_as):
    url = f"/api/v1/contracts/{active.pk}/milestones/1/deliver/"
    note = {"note": "Lamps on site.", "documents": [SimpleUploadedFile("delivery-note.pdf", DELIVERY_NOTE)]}
    assert client_as("public").post(url, {"note": "Ours."}).status_code == 401
    for persona in ("supplier_b", "officer", "finance_officer"):
        refused = client_as(persona).post(url, {"note": "Ours."})
        assert refused.status_code == 403 and codes(refused) == ["not_the_supplier"], persona
    assert milestones(active)[0][1] == "planned"
    assert client_as("supplier_a").post(url, {"note": ""}).status_code == 400
    delivered = client_as("supplier_a").post(url, note)
    assert delivered.status_code == 200 and delivered.json()["status"] == "delivered"
    assert_conforms(delivered, "post")
    [document] = delivered.json()["deliveries"][0]["documents"]
    again = client_as("supplier_a").post(url, {"note": "Again."})
    assert again.status_code == 409 and codes(again) == ["not_awaiting_delivery"]
    for persona in PERSONAS:
        [delivery] = client_as(persona).get(f"/api/v1/contracts/{active.pk}/").json()["milestones"][0]["deliveries"]
        file = client_as(persona).get(document["url"])
        expected = (1, 200, "Admin") if persona in PARTIES else (0, 404, "Alpha Works Ltd")
        assert (len(delivery["documents"]), file.status_code, delivery["delivered_by"]) == expected, persona
    assert file.content == DELIVERY_NOTE and file["X-Content-SHA256"] == document["sha256"]


def test_a_document_that_is_not_a_pdf_is_refused_and_nothing_is_delivered(active, client_as):
    url = f"/api/v1/contracts/{active.pk}/milestones/1/deliver/"
    response = client_as("supplier_a").post(url, {"note": "Lamps.", "documents": [SimpleUploadedFile("note.pdf", b"MZ\x90\x00")]})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "documents"
    assert milestones(active)[0][1] == "planned" and not active.milestones.get(number=1).deliveries.exists()


def test_accepting_and_rejecting_through_the_api(active, client_as, supplier_a):
    deliveries.report_delivery(supplier_a, active.milestones.get(number=1), note="Lamps on site.")
    accept = f"/api/v1/contracts/{active.pk}/milestones/1/accept/"
    for persona in ("supplier_a", "finance_officer"):
        refused = client_as(persona).post(accept)
        assert refused.status_code == 403 and codes(refused) == ["not_the_buyer"], persona
    assert client_as("supplier_b").post(accept).status_code == 403
    accepted = client_as("officer").post(accept)
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    twice = client_as("officer").post(accept)
    assert twice.status_code == 409 and codes(twice) == ["not_delivered"]
    reject = f"/api/v1/contracts/{active.pk}/milestones/2/reject/"
    assert client_as("officer").post(reject, {"reason": "Not yet."}, format="json").status_code == 409
    deliveries.report_delivery(supplier_a, active.milestones.get(number=2), note="Installed.")
    assert client_as("officer").post(reject, {"reason": ""}, format="json").status_code == 400
    rejected = client_as("officer").post(reject, {"reason": "Two poles lean."}, format="json")
    assert rejected.status_code == 200 and rejected.json()["deliveries"][0]["reason"] == "Two poles lean."
    assert milestones(active) == [(1, "accepted", 600), (2, "rejected", 300)]
    assert client_as("public").post(f"/api/v1/contracts/{active.pk}/milestones/9/accept/").status_code == 401
    assert client_as("officer").post(f"/api/v1/contracts/{active.pk}/milestones/9/accept/").status_code == 404


def test_the_last_settlement_completes_the_contract_in_the_api(active, client_as, supplier_a, finance_officer):
    for number in (1, 2):
        deliveries.report_delivery(supplier_a, active.milestones.get(number=number), note="Done.")
        client_as("officer").post(f"/api/v1/contracts/{active.pk}/milestones/{number}/accept/")
    assert client_as("public").get(f"/api/v1/contracts/{active.pk}/").json()["status"] == "active"
    for number in (1, 2):
        paid(active.milestones.get(number=number), supplier_a, finance_officer)
    detail = client_as("public").get(f"/api/v1/contracts/{active.pk}/")
    assert_conforms(detail)
    assert (detail.json()["status"], detail.json()["final_value"]) == ("completed", "900.00")


def test_terminating_through_the_api(active, client_as):
    url = f"/api/v1/contracts/{active.pk}/terminate/"
    body = {"reason": "The supplier stopped work.", "amount_paid": "600.00"}
    assert client_as("supplier_a").post(url, body, format="json").status_code == 403
    assert client_as("finance_officer").post(url, body, format="json").status_code == 403
    over = client_as("officer").post(url, body | {"amount_paid": "900.01"}, format="json")
    assert over.status_code == 422 and codes(over) == ["over_value"]
    terminated = client_as("officer").post(url, body, format="json")
    assert terminated.status_code == 200
    assert_conforms(terminated, "post")
    assert (terminated.json()["status"], terminated.json()["final_value"]) == ("terminated", "600.00")
    assert client_as("officer").post(url, body, format="json").status_code == 409
