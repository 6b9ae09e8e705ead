"""Amendments of an active contract: proposed and signed by the buyer's officer, signed or
declined by the winning firm; the value grows by at most 10 % in all (政府采购法 Art. 49)."""

import hashlib
from datetime import date
from decimal import Decimal

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from contracts import actions, amendments, certificates, closing
from contracts.models import Amendment, AmendmentSignature, Contract
from contracts.signals import contract_amended
from marketplace.errors import ActionError
from marketplace.models import AuditEvent, LiveEvent, Notification
from tests.contracts.helpers import confirm_award, milestone_plans, signed_by_both
from tests.factories import PASSWORD
from tests.openapi import assert_conforms

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("quick_documents")]


@pytest.fixture
def contract(officer, evaluator, deadline, firms):
    _tender, award, travel, _clock = confirm_award(officer, evaluator, deadline, firms)
    yield Contract.objects.get(award=award)
    travel.stop()


@pytest.fixture
def active(contract, officer, supplier_a):
    """Signed at 900.00, milestones of 600.00 and 300.00, performed until 30 June 2027."""
    return signed_by_both(contract, officer, supplier_a, milestones=milestone_plans("600.00", "300.00"))


def propose(officer, contract, **changes) -> Amendment:
    fields = {"rationale": Amendment.Rationale.ITEM_PRICE_VARIATION, "password": PASSWORD} | changes
    return amendments.propose_amendment(officer, contract, **fields)


def stored(contract) -> dict:
    contract.refresh_from_db()
    return {
        "contract": (contract.status, contract.value, contract.period_end),
        "milestones": [(m.number, m.amount) for m in contract.milestones.all()],
        "amendments": list(contract.amendments.values_list("number", "status")),
        "signatures": sorted(AmendmentSignature.objects.filter(amendment__contract=contract).values_list("party", flat=True)),
    }


def refused(call) -> ActionError:
    with pytest.raises(ActionError) as error:
        call()
    return error.value


def test_an_amendment_signed_by_both_changes_the_value_and_the_period(active, officer, supplier_a):
    heard = []
    contract_amended.connect(lambda sender, **kw: heard.append(kw["amendment"].number), sender=Contract, weak=False, dispatch_uid="t")
    try:
        amendment = propose(officer, active, new_value=Decimal("950.00"), new_period_end=date(2027, 9, 30))
        assert stored(active)["contract"] == ("active", Decimal("900.00"), date(2027, 6, 30))
        amendments.sign_amendment(supplier_a, amendment, password=PASSWORD)
    finally:
        contract_amended.disconnect(sender=Contract, dispatch_uid="t")
    assert heard == [1]
    assert stored(active) == {
        "contract": ("active", Decimal("950.00"), date(2027, 9, 30)),
        "milestones": [(1, Decimal("600.00")), (2, Decimal("350.00"))],
        "amendments": [(1, "active")],
        "signatures": ["buyer", "supplier"],
    }
    audited = list(
        AuditEvent.objects.filter(object_id=str(active.pk), action__startswith="contract.amend").values_list("action", flat=True)
    )
    assert audited == ["contract.amendment_proposed", "contract.amendment_signed", "contract.amendment_signed", "contract.amended"]


def test_the_old_values_are_recorded_at_the_proposal(active, officer):
    amendment = propose(officer, active, new_period_end=date(2027, 7, 31), rationale="durationExtension")
    assert (amendment.old_value, amendment.new_value, amendment.old_period_end, amendment.new_period_end) == (
        Decimal("900.00"),
        None,
        date(2027, 6, 30),
        date(2027, 7, 31),
    )


def test_each_signature_is_checkable_against_the_signatorys_certificate(active, officer, supplier_a):
    amendment = amendments.sign_amendment(supplier_a, propose(officer, active, new_value=Decimal("910.00")), password=PASSWORD)
    text = amendment.canonical_text().encode()
    for signature in amendment.signatures.all():
        assert signature.sha256 == amendment.sha256 == hashlib.sha256(text).hexdigest()
        public_key = certificates.certificate_of(signature.certificate).public_key()
        public_key.verify(bytes(signature.signature), text, ec.ECDSA(hashes.SHA256()))


def test_the_firm_is_told_and_both_parties_hear_it_live(active, officer, supplier_a):
    amendment = propose(officer, active, new_value=Decimal("910.00"))
    assert Notification.objects.filter(user=supplier_a, kind="contract.amendment_to_sign", url=f"/contracts/{active.pk}/").exists()
    amendments.sign_amendment(supplier_a, amendment, password=PASSWORD)
    assert Notification.objects.filter(user=officer, kind="contract.amended").exists()
    assert LiveEvent.objects.filter(kind="contract.amended", subject=f"org.{active.buyer_id}").exists()
    assert LiveEvent.objects.filter(kind="contract.amendment_proposed", subject=f"org.{active.supplier_id}").exists()


def test_an_increase_of_exactly_ten_per_cent_is_signed(active, officer, supplier_a):
    amendments.sign_amendment(supplier_a, propose(officer, active, new_value=Decimal("990.00")), password=PASSWORD)
    assert stored(active)["contract"][1] == Decimal("990.00")


def test_an_increase_one_cent_over_ten_per_cent_is_refused(active, officer):
    before = stored(active)
    error = refused(lambda: propose(officer, active, new_value=Decimal("990.01")))
    assert (error.status, [(p.field, p.code) for p in error.problems]) == (422, [("new_value", "over_increase_limit")])
    assert "90.00" in error.problems[0].message
    assert stored(active) == before


def test_increases_count_together_against_the_value_as_signed(active, officer, supplier_a):
    amendments.sign_amendment(supplier_a, propose(officer, active, new_value=Decimal("954.00")), password=PASSWORD)
    before = stored(active)
    error = refused(lambda: propose(officer, active, new_value=Decimal("1008.00")))  # 54 + 54 = 108 > 90
    assert [p.code for p in error.problems] == ["over_increase_limit"]
    assert stored(active) == before


def test_a_reduction_does_not_make_room_for_a_later_increase(active, officer, supplier_a):
    amendments.sign_amendment(supplier_a, propose(officer, active, new_value=Decimal("810.00")), password=PASSWORD)
    amendments.sign_amendment(supplier_a, propose(officer, active, new_value=Decimal("900.00")), password=PASSWORD)  # +90
    error = refused(lambda: propose(officer, active, new_value=Decimal("900.01")))
    assert [p.code for p in error.problems] == ["over_increase_limit"]


def test_the_limit_is_checked_again_at_the_supplier_signature(active, officer, supplier_a, settings):
    amendment = propose(officer, active, new_value=Decimal("990.00"))
    settings.CONTRACT_AMENDMENT_MAX_INCREASE_PERCENT = 5
    before = stored(active)
    error = refused(lambda: amendments.sign_amendment(supplier_a, amendment, password=PASSWORD))
    assert [p.code for p in error.problems] == ["over_increase_limit"]
    assert stored(active) == before


def test_other_needs_an_explanation(active, officer):
    error = refused(lambda: propose(officer, active, rationale="other", new_value=Decimal("910.00")))
    assert [(p.field, p.code) for p in error.problems] == [("rationale_text", "required")]
    propose(officer, active, rationale="other", rationale_text="A change of law.", new_value=Decimal("910.00"))


def test_an_unknown_rationale_and_no_change_are_refused(active, officer):
    error = refused(lambda: propose(officer, active, rationale="whim"))
    assert [p.code for p in error.problems] == ["invalid_choice", "no_change"]


def test_a_wrong_password_signs_nothing(active, officer, supplier_a):
    error = refused(lambda: propose(officer, active, new_value=Decimal("910.00"), password="wrong"))
    assert (error.status, error.problems[0].code) == (403, "wrong_password")
    amendment = propose(officer, active, new_value=Decimal("910.00"))
    before = stored(active)
    error = refused(lambda: amendments.sign_amendment(supplier_a, amendment, password="wrong"))
    assert (error.status, error.problems[0].code) == (403, "wrong_password")
    assert stored(active) == before


def test_another_firm_cannot_sign(active, officer, supplier_b):
    amendment = propose(officer, active, new_value=Decimal("910.00"))
    before = stored(active)
    error = refused(lambda: amendments.sign_amendment(supplier_b, amendment, password=PASSWORD))
    assert (error.status, error.problems[0].code) == (403, "not_a_signatory")
    assert stored(active) == before


def test_signing_twice_is_refused(active, officer, supplier_a):
    amendment = propose(officer, active, new_value=Decimal("910.00"))
    error = refused(lambda: amendments.sign_amendment(officer, amendment, password=PASSWORD))
    assert (error.status, error.problems[0].code) == (409, "already_signed")
    amendments.sign_amendment(supplier_a, amendment, password=PASSWORD)
    before = stored(active)
    error = refused(lambda: amendments.sign_amendment(supplier_a, amendment, password=PASSWORD))
    assert (error.status, error.problems[0].code) == (409, "already_signed")
    assert stored(active) == before


def test_a_contract_not_active_cannot_be_amended(contract, officer):
    actions.edit_draft(officer, contract, {"period_end": date(2027, 6, 30)})
    error = refused(lambda: propose(officer, contract, new_value=Decimal("910.00")))
    assert (error.status, error.problems[0].code) == (409, "not_active")
    assert not contract.amendments.exists()


def test_only_the_buyers_officer_proposes(active, supplier_a):
    error = refused(lambda: propose(supplier_a, active, new_value=Decimal("910.00")))
    assert (error.status, error.problems[0].code) == (403, "not_the_buyer")


def test_one_proposal_at_a_time(active, officer):
    propose(officer, active, new_value=Decimal("910.00"))
    error = refused(lambda: propose(officer, active, new_period_end=date(2027, 8, 1)))
    assert (error.status, error.problems[0].code) == (409, "amendment_pending")


def test_a_declined_amendment_changes_nothing(active, officer, supplier_a):
    amendment = propose(officer, active, new_value=Decimal("910.00"))
    amendments.decline_amendment(supplier_a, amendment, reason="We cannot deliver more.")
    assert stored(active)["contract"] == ("active", Decimal("900.00"), date(2027, 6, 30))
    assert stored(active)["amendments"] == [(1, "declined")]
    assert Notification.objects.filter(user=officer, kind="contract.amendment_declined", body="We cannot deliver more.").exists()
    error = refused(lambda: amendments.sign_amendment(supplier_a, amendment, password=PASSWORD))
    assert error.problems[0].code == "not_proposed"


def test_the_period_cannot_end_before_a_milestone_is_due(active, officer):
    error = refused(lambda: propose(officer, active, new_period_end=date(2027, 6, 29)))
    assert [(p.field, p.code) for p in error.problems] == [("new_period_end", "before_milestone_due")]


# The API ---------------------------------------------------------------------------------

PERSONAS = ["public", "supplier_b", "supplier_a", "officer"]
PROPOSAL = {"rationale": "durationExtension", "new_period_end": "2027-09-30", "password": PASSWORD}


@pytest.fixture
def client_as(api_client, api_as, request):
    def client(persona: str):
        if persona == "public":
            api_client.credentials()
            return api_client
        return api_as(request.getfixturevalue(persona))

    return client


@pytest.fixture
def proposed(active, officer) -> Amendment:
    return propose(officer, active, new_value=Decimal("950.00"))


@pytest.mark.parametrize("persona", PERSONAS)
def test_everyone_reads_the_amendments_of_a_public_contract(proposed, client_as, persona):
    response = client_as(persona).get(f"/api/v1/contracts/{proposed.contract_id}/amendments/")
    assert response.status_code == 200
    assert_conforms(response, "get")
    [listed] = response.json()
    assert (listed["number"], listed["status"], listed["old_value"], listed["new_value"]) == (1, "proposed", "900.00", "950.00")
    assert [s["party"] for s in listed["signatures"]] == ["buyer"]
    detail = client_as(persona).get(f"/api/v1/contracts/{proposed.contract_id}/").json()
    assert [a["number"] for a in detail["amendments"]] == [1]


@pytest.mark.parametrize("persona, status", [("public", 401), ("supplier_b", 403), ("supplier_a", 403), ("officer", 201)])
def test_only_the_buyers_officer_proposes_through_the_api(active, client_as, persona, status):
    response = client_as(persona).post(f"/api/v1/contracts/{active.pk}/amendments/", PROPOSAL, format="json")
    assert response.status_code == status, response.content
    assert active.amendments.count() == (1 if status == 201 else 0)
    if status == 201:
        assert_conforms(response, "post")
        assert (response.json()["old_period_end"], response.json()["new_period_end"]) == ("2027-06-30", "2027-09-30")


@pytest.mark.parametrize(
    "persona, status, code",
    [("public", 401, None), ("supplier_b", 403, "not_a_signatory"), ("officer", 409, "already_signed"), ("supplier_a", 200, None)],
)
def test_only_the_winning_firm_signs_through_the_api(proposed, client_as, persona, status, code):
    response = client_as(persona).post(
        f"/api/v1/contracts/{proposed.contract_id}/amendments/1/sign/", {"password": PASSWORD}, format="json"
    )
    assert response.status_code == status, response.content
    if code:
        assert [e["code"] for e in response.json()["errors"]] == [code]
    proposed.refresh_from_db()
    assert proposed.status == ("active" if status == 200 else "proposed")
    if status == 200:
        assert_conforms(response, "post")


@pytest.mark.parametrize("persona, status", [("public", 401), ("supplier_b", 403), ("officer", 403), ("supplier_a", 200)])
def test_only_the_winning_firm_declines_through_the_api(proposed, client_as, persona, status):
    response = client_as(persona).post(f"/api/v1/contracts/{proposed.contract_id}/amendments/1/decline/", {"reason": "No."}, format="json")
    assert response.status_code == status, response.content
    proposed.refresh_from_db()
    assert proposed.status == ("declined" if status == 200 else "proposed")


def test_an_increase_over_the_limit_is_a_422_in_the_error_shape(active, client_as):
    response = client_as("officer").post(
        f"/api/v1/contracts/{active.pk}/amendments/",
        {"rationale": "itemPriceVariation", "new_value": "990.01", "password": PASSWORD},
        format="json",
    )
    assert response.status_code == 422
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [("new_value", "over_increase_limit")]
    assert not active.amendments.exists()


def test_a_wrong_password_is_a_403_through_the_api(proposed, client_as):
    response = client_as("supplier_a").post(
        f"/api/v1/contracts/{proposed.contract_id}/amendments/1/sign/", {"password": "nope"}, format="json"
    )
    assert (response.status_code, response.json()["errors"][0]["code"]) == (403, "wrong_password")


def test_an_unknown_amendment_is_a_404(active, client_as):
    response = client_as("supplier_a").post(f"/api/v1/contracts/{active.pk}/amendments/7/sign/", {"password": PASSWORD}, format="json")
    assert response.status_code == 404


# The page --------------------------------------------------------------------------------


@pytest.fixture
def page_as(client, request):
    def page(persona: str, path: str, data=None):
        client.logout()
        if persona != "public":
            client.force_login(request.getfixturevalue(persona))
        return client.post(path, data) if data is not None else client.get(path)

    return page


def test_each_persona_sees_the_amendments_and_only_its_own_forms(proposed, page_as):
    for persona in PERSONAS:
        page = page_as(persona, f"/contracts/{proposed.contract_id}/").text
        assert "Amendment 1" in page and "Variation of the item price" in page and "900.00 → EUR 950.00" in page, persona
        assert ("Sign amendment 1" in page) == (persona == "supplier_a"), persona
        assert ("Decline amendment 1" in page) == (persona == "supplier_a"), persona
        assert "Propose an amendment" not in page, persona  # one proposal at a time


def test_only_the_buyers_officer_sees_the_propose_form(active, page_as):
    for persona in PERSONAS:
        page = page_as(persona, f"/contracts/{active.pk}/").text
        assert ("Propose an amendment" in page) == (persona == "officer"), persona


def test_the_officer_proposes_and_the_firm_signs_through_the_page(active, page_as):
    data = {"rationale": "durationExtension", "new_period_end": "2027-09-30", "password": PASSWORD}
    response = page_as("officer", f"/contracts/{active.pk}/amendments/", data)
    assert response.status_code == 302
    response = page_as("supplier_a", f"/contracts/{active.pk}/amendments/1/sign/", {"password": PASSWORD})
    assert response.status_code == 302
    assert stored(active)["contract"] == ("active", Decimal("900.00"), date(2027, 9, 30))
    page = page_as("public", f"/contracts/{active.pk}/").text
    assert "In force" in page and "2027" in page and "Signed for the Supplier" in page


def test_an_increase_over_the_limit_is_explained_beside_the_form(active, page_as):
    data = {"rationale": "itemPriceVariation", "new_value": "990.01", "password": PASSWORD}
    response = page_as("officer", f"/contracts/{active.pk}/amendments/", data)
    assert response.status_code == 422
    assert "at most 10 %" in response.text and "Propose an amendment" in response.text
    assert not active.amendments.exists()


def test_a_wrong_password_on_the_page_signs_nothing(proposed, page_as):
    response = page_as("supplier_a", f"/contracts/{proposed.contract_id}/amendments/1/sign/", {"password": "nope"})
    assert response.status_code == 403 and "The password is not correct" in response.text
    proposed.refresh_from_db()
    assert proposed.status == "proposed"


def test_the_firm_declines_through_the_page(proposed, page_as):
    response = page_as("supplier_a", f"/contracts/{proposed.contract_id}/amendments/1/decline/", {"reason": "Too costly."})
    assert response.status_code == 302
    page = page_as("officer", f"/contracts/{proposed.contract_id}/").text
    assert "Declined" in page and "Too costly." in page


@pytest.mark.parametrize(
    "persona, path, status",
    [
        ("supplier_a", "amendments/", 403),
        ("supplier_b", "amendments/", 403),
        ("officer", "amendments/1/sign/", 403),
        ("supplier_b", "amendments/1/decline/", 403),
        ("public", "amendments/1/sign/", 302),
    ],
)
def test_the_page_forms_refuse_those_who_may_not(proposed, page_as, persona, path, status):
    data = {"rationale": "taxRate", "new_value": "910.00", "password": PASSWORD, "reason": "No."}
    response = page_as(persona, f"/contracts/{proposed.contract_id}/{path}", data)
    assert response.status_code == status
    proposed.refresh_from_db()
    assert (proposed.status, proposed.contract.amendments.count()) == ("proposed", 1)


def test_an_amendment_of_a_contract_terminated_meanwhile_cannot_be_signed(proposed, officer, supplier_a):
    closing.terminate_contract(officer, proposed.contract, reason="Supplier insolvent.", amount_paid=Decimal("0.00"))
    before = stored(proposed.contract)
    error = refused(lambda: amendments.sign_amendment(supplier_a, proposed, password=PASSWORD))
    assert (error.status, error.problems[0].code) == (409, "not_active")
    assert stored(proposed.contract) == before
