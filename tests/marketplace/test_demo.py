import pytest
from django.core.management import call_command

from marketplace.audit import verify_chain
from marketplace.models import Membership, Organisation, Role, User

pytestmark = pytest.mark.django_db


def test_seed_demo_creates_every_persona_and_is_idempotent(capsys):
    call_command("seed_demo")
    first = capsys.readouterr().out
    counts = (User.objects.count(), Organisation.objects.count(), Membership.objects.count())
    call_command("seed_demo")
    assert (User.objects.count(), Organisation.objects.count(), Membership.objects.count()) == counts
    agency = Organisation.objects.get(kind=Organisation.Kind.AGENCY)
    roles = set(Membership.objects.filter(organisation=agency).values_list("role", flat=True))
    assert roles == {Role.PROCUREMENT_OFFICER, Role.EVALUATOR, Role.FINANCE_OFFICER, Role.CUSTODIAN}
    assert Membership.objects.filter(organisation=agency, role=Role.CUSTODIAN).count() == 3
    assert Organisation.objects.filter(kind=Organisation.Kind.SUPPLIER).count() == 3
    for email in ["registry@platform.example", "review@pprb.example", "auditor@platform.example", "officer@mpw.example"]:
        assert email in first
    assert verify_chain().ok


def test_demo_logins_work(client):
    call_command("seed_demo")
    response = client.post("/accounts/login/", {"username": "officer@mpw.example", "password": "tenderhall-demo"})
    assert response.status_code == 302 and "_auth_user_id" in client.session
