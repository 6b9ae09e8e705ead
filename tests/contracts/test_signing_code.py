"""Signing a contract, and proposing or signing an amendment, ask for a fresh code from the
signatory's authenticator app, as well as the password; without an app the password is enough."""

import pytest

from contracts import actions, amendments
from contracts.models import Amendment, Contract, ContractSignature
from marketplace.errors import Forbidden, TooManyAttempts
from marketplace.models import AuditEvent
from tests.contracts.helpers import PERIOD, confirm_award, milestone_plans, signed_by_both
from tests.factories import PASSWORD, current_code, make_authenticator

pytestmark = pytest.mark.django_db


@pytest.fixture
def confirmed(officer, evaluator, deadline, firms):
    _tender, award, travel, clock = confirm_award(officer, evaluator, deadline, firms)
    yield award, clock
    travel.stop()


@pytest.fixture
def sent(confirmed, officer):
    contract = Contract.objects.get(award=confirmed[0])
    actions.edit_draft(officer, contract, PERIOD)
    return actions.send_for_signature(officer, contract)


def refusal_code(call) -> str:
    with pytest.raises(Forbidden) as refused:
        call()
    return refused.value.problems[0].code


def test_an_officer_with_an_app_signs_only_with_a_fresh_code(sent, officer, supplier_a):
    actions.sign_contract(supplier_a, sent, password=PASSWORD)  # no app: the password alone
    make_authenticator(officer)
    assert refusal_code(lambda: actions.sign_contract(officer, sent, password=PASSWORD)) == "otp_required"
    assert refusal_code(lambda: actions.sign_contract(officer, sent, password=PASSWORD, otp="12345x")) == "wrong_otp"
    sent.refresh_from_db()
    assert sent.status == Contract.Status.AWAITING_SIGNATURES and ContractSignature.objects.count() == 1
    assert AuditEvent.objects.filter(action="user.second_factor_refused", payload__purpose="contract.sign").count() == 1


def test_the_right_code_signs(sent, officer, supplier_a, confirmed):
    actions.sign_contract(supplier_a, sent, password=PASSWORD)
    device = make_authenticator(officer)
    assert actions.sign_contract(officer, sent, password=PASSWORD, otp=current_code(device)).status == Contract.Status.ACTIVE


def test_a_wrong_password_is_refused_before_the_code_is_spent(sent, supplier_a):
    device = make_authenticator(supplier_a)
    code = current_code(device)
    assert refusal_code(lambda: actions.sign_contract(supplier_a, sent, password="guess", otp=code)) == "wrong_password"
    assert actions.sign_contract(supplier_a, sent, password=PASSWORD, otp=code).signatures.count() == 1


def test_the_api_takes_the_code_as_otp(sent, api_as, supplier_a, confirmed):
    _award, clock = confirmed
    device = make_authenticator(supplier_a)
    url = f"/api/v1/contracts/{sent.pk}/sign/"
    missing = api_as(supplier_a).post(url, {"password": PASSWORD}, format="json")
    assert missing.status_code == 403 and missing.json() == {
        "errors": [
            {
                "field": "otp",
                "code": "otp_required",
                "message": "Enter the code from your authenticator app: this step asks for it as well as your password.",
            }
        ]
    }
    wrong = api_as(supplier_a).post(
        url, {"password": PASSWORD, "otp": "999999" if current_code(device) != "999999" else "888888"}, format="json"
    )
    assert wrong.status_code == 403 and wrong.json()["errors"][0]["code"] == "wrong_otp"
    throttled = api_as(supplier_a).post(url, {"password": PASSWORD, "otp": current_code(device)}, format="json")
    assert throttled.status_code == 429 and throttled.json()["errors"][0]["code"] == "otp_throttled"
    assert ContractSignature.objects.count() == 0
    clock.shift(1)
    signed = api_as(supplier_a).post(url, {"password": PASSWORD, "otp": current_code(device)}, format="json")
    assert signed.status_code == 200 and [s["party"] for s in signed.json()["signatures"]] == ["supplier"]


def test_the_sign_form_shows_the_code_field_only_to_a_signatory_with_an_app(sent, as_user, supplier_a):
    page = f"/contracts/{sent.pk}/"
    assert 'name="otp"' not in as_user(supplier_a).get(page).text
    device = make_authenticator(supplier_a)
    client = as_user(supplier_a)
    assert 'name="otp"' in client.get(page).text
    refused = client.post(f"/contracts/{sent.pk}/sign/", {"password": PASSWORD})
    assert refused.status_code == 403 and "Enter the code from your authenticator app" in refused.text
    assert ContractSignature.objects.count() == 0
    assert client.post(f"/contracts/{sent.pk}/sign/", {"password": PASSWORD, "otp": current_code(device)}).status_code == 302
    assert ContractSignature.objects.count() == 1


@pytest.mark.usefixtures("quick_documents")
def test_proposing_and_signing_an_amendment_ask_for_the_code(confirmed, officer, supplier_a):
    award, clock = confirmed
    active = signed_by_both(Contract.objects.get(award=award), officer, supplier_a, milestones=milestone_plans("600.00", "300.00"))
    officer_app, supplier_app = make_authenticator(officer), make_authenticator(supplier_a)
    change = {"rationale": Amendment.Rationale.ITEM_PRICE_VARIATION, "new_value": active.value - 100, "password": PASSWORD}
    assert refusal_code(lambda: amendments.propose_amendment(officer, active, **change)) == "otp_required"
    assert not Amendment.objects.exists()
    amendment = amendments.propose_amendment(officer, active, **change, otp=current_code(officer_app))
    wrong = "000000" if current_code(supplier_app) != "000000" else "111111"
    assert refusal_code(lambda: amendments.sign_amendment(supplier_a, amendment, password=PASSWORD, otp=wrong)) == "wrong_otp"
    with pytest.raises(TooManyAttempts):
        amendments.sign_amendment(supplier_a, amendment, password=PASSWORD, otp=current_code(supplier_app))
    assert Amendment.objects.get().status == Amendment.Status.PROPOSED
    clock.shift(1)
    assert (
        amendments.sign_amendment(supplier_a, amendment, password=PASSWORD, otp=current_code(supplier_app)).status
        == Amendment.Status.ACTIVE
    )
