import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from marketplace.models import Membership, Role, User
from suppliers.models import Invitation

pytestmark = pytest.mark.django_db


def invite(client, firm, email="new@alpha.test", role=Role.BIDDER):
    return client.post(f"/suppliers/{firm.pk}/team/", {"email": email, "role": role})


def link_in_mail() -> str:
    return re.search(r"http://\S+/suppliers/invitations/\S+/", mail.outbox[-1].body).group(0)


def path_of(link: str) -> str:
    return link.split("8000", 1)[1] if "8000" in link else link


def test_admin_invites_by_email_with_an_expiring_link(as_user, supplier_a, firm_a, django_capture_on_commit_callbacks, settings):
    settings.SITE_URL = "http://127.0.0.1:8000"
    with django_capture_on_commit_callbacks(execute=True):
        response = invite(as_user(supplier_a), firm_a)
    invitation = Invitation.objects.get()
    assert response.status_code == 302 and invitation.role == Role.BIDDER
    assert mail.outbox[0].to == ["new@alpha.test"] and "Alpha Works Ltd" in mail.outbox[0].subject
    key = link_in_mail().rstrip("/").rsplit("/", 1)[1]
    assert invitation.digest == Invitation.digest_of(key) and key not in invitation.digest
    assert invitation.expires_at - invitation.created_at == timedelta(days=7)


def test_invitee_creates_an_account_and_joins(as_user, client, supplier_a, firm_a, django_capture_on_commit_callbacks, settings):
    settings.SITE_URL = "http://127.0.0.1:8000"
    with django_capture_on_commit_callbacks(execute=True):
        invite(as_user(supplier_a), firm_a)
    client.logout()
    path = path_of(link_in_mail())
    assert "Create your account" in client.get(path).text
    response = client.post(path, {"full_name": "Nina New", "password": "a-long-unusual-passphrase"})
    assert response.status_code == 302
    user = User.objects.get(email="new@alpha.test")
    assert Membership.objects.filter(user=user, organisation=firm_a.organisation, role=Role.BIDDER).exists()


def test_an_invitation_works_only_once(as_user, client, supplier_a, firm_a, django_capture_on_commit_callbacks, settings):
    settings.SITE_URL = "http://127.0.0.1:8000"
    with django_capture_on_commit_callbacks(execute=True):
        invite(as_user(supplier_a), firm_a)
    client.logout()
    path = path_of(link_in_mail())
    client.post(path, {"full_name": "Nina New", "password": "a-long-unusual-passphrase"})
    client.logout()
    response = client.post(path, {"full_name": "Mallory", "password": "another-long-passphrase"})
    assert response.status_code == 409 and "already been used" in response.text
    assert User.objects.filter(email="new@alpha.test").count() == 1
    assert Membership.objects.filter(organisation=firm_a.organisation).count() == 3


def test_an_expired_invitation_is_refused(as_user, client, supplier_a, firm_a, django_capture_on_commit_callbacks, settings):
    settings.SITE_URL = "http://127.0.0.1:8000"
    with django_capture_on_commit_callbacks(execute=True):
        invite(as_user(supplier_a), firm_a)
    client.logout()
    path = path_of(link_in_mail())
    expires_at = Invitation.objects.get().expires_at
    with time_machine.travel(expires_at - timedelta(seconds=1)):
        assert client.get(path).status_code == 200
    with time_machine.travel(expires_at + timedelta(seconds=1)):
        response = client.post(path, {"full_name": "Late Larry", "password": "a-long-unusual-passphrase"})
    assert response.status_code == 409 and "expired" in response.text
    assert not User.objects.filter(email="new@alpha.test").exists()


def test_an_existing_user_signs_in_with_the_invited_address_to_accept(
    as_user, supplier_a, outsider, firm_a, django_capture_on_commit_callbacks, settings
):
    settings.SITE_URL = "http://127.0.0.1:8000"
    with django_capture_on_commit_callbacks(execute=True):
        invite(as_user(supplier_a), firm_a, email="outsider@example.test", role=Role.SUPPLIER_ADMIN)
    path = path_of(link_in_mail())
    response = as_user(outsider).post(path)
    assert response.status_code == 302
    assert Membership.objects.filter(user=outsider, organisation=firm_a.organisation, role=Role.SUPPLIER_ADMIN).exists()


def test_someone_else_cannot_use_the_link(as_user, supplier_a, supplier_b, firm_a, django_capture_on_commit_callbacks, settings):
    settings.SITE_URL = "http://127.0.0.1:8000"
    with django_capture_on_commit_callbacks(execute=True):
        invite(as_user(supplier_a), firm_a)
    response = as_user(supplier_b).post(path_of(link_in_mail()))
    assert response.status_code == 403 and "sent to new@alpha.test" in response.text
    assert not Membership.objects.filter(user=supplier_b, organisation=firm_a.organisation).exists()


def test_an_unknown_link_is_not_found(client, db):
    assert client.get("/suppliers/invitations/not-a-real-key/").status_code == 404


def test_a_withdrawn_invitation_no_longer_works(as_user, client, supplier_a, firm_a, django_capture_on_commit_callbacks, settings):
    settings.SITE_URL = "http://127.0.0.1:8000"
    with django_capture_on_commit_callbacks(execute=True):
        invite(as_user(supplier_a), firm_a)
    path = path_of(link_in_mail())
    as_user(supplier_a).post(f"/suppliers/{firm_a.pk}/team/invitations/{Invitation.objects.get().pk}/revoke/")
    client.logout()
    assert client.get(path).status_code == 410


def test_inviting_a_member_again_is_refused(as_user, supplier_a, bidder_a, firm_a):
    response = invite(as_user(supplier_a), firm_a, email="BIDDER@alpha.test")
    assert response.status_code == 422 and "already a member" in response.text and not Invitation.objects.exists()


def test_a_bidder_cannot_invite(as_user, bidder_a, firm_a):
    response = invite(as_user(bidder_a), firm_a)
    assert response.status_code == 403 and not Invitation.objects.exists()


def test_admin_changes_a_role(as_user, supplier_a, bidder_a, firm_a):
    as_user(supplier_a).post(f"/suppliers/{firm_a.pk}/team/{bidder_a.pk}/role/", {"role": Role.SUPPLIER_ADMIN})
    roles = set(Membership.objects.filter(user=bidder_a, organisation=firm_a.organisation).values_list("role", flat=True))
    assert roles == {Role.SUPPLIER_ADMIN}


def test_admin_removes_a_member(as_user, supplier_a, bidder_a, firm_a):
    as_user(supplier_a).post(f"/suppliers/{firm_a.pk}/team/{bidder_a.pk}/remove/")
    assert not Membership.objects.filter(user=bidder_a, organisation=firm_a.organisation).exists()


def test_the_last_admin_cannot_be_removed(as_user, supplier_a, firm_a):
    response = as_user(supplier_a).post(f"/suppliers/{firm_a.pk}/team/{supplier_a.pk}/remove/", follow=True)
    assert "must keep at least one administrator" in response.text
    assert Membership.objects.filter(user=supplier_a, organisation=firm_a.organisation, role=Role.SUPPLIER_ADMIN).exists()


def test_the_last_admin_cannot_become_a_bidder(as_user, supplier_a, firm_a):
    response = as_user(supplier_a).post(f"/suppliers/{firm_a.pk}/team/{supplier_a.pk}/role/", {"role": Role.BIDDER}, follow=True)
    assert "must keep at least one administrator" in response.text
    assert set(Membership.objects.filter(user=supplier_a).values_list("role", flat=True)) == {Role.SUPPLIER_ADMIN}


def test_an_admin_may_leave_once_another_admin_exists(as_user, supplier_a, bidder_a, firm_a):
    client = as_user(supplier_a)
    client.post(f"/suppliers/{firm_a.pk}/team/{bidder_a.pk}/role/", {"role": Role.SUPPLIER_ADMIN})
    response = client.post(f"/suppliers/{firm_a.pk}/team/{supplier_a.pk}/remove/")
    assert response.status_code == 302 and response.url == "/"
    assert not Membership.objects.filter(user=supplier_a, organisation=firm_a.organisation).exists()


def test_a_bidder_cannot_remove_members(as_user, supplier_a, bidder_a, firm_a):
    response = as_user(bidder_a).post(f"/suppliers/{firm_a.pk}/team/{supplier_a.pk}/remove/")
    assert response.status_code == 403
    assert Membership.objects.filter(user=supplier_a, organisation=firm_a.organisation).exists()


def test_members_of_other_firms_are_not_found(as_user, supplier_a, supplier_b, firm_a, firm_b):
    response = as_user(supplier_a).post(f"/suppliers/{firm_a.pk}/team/{supplier_b.pk}/remove/")
    assert response.status_code == 404


def test_pending_invitations_expire_from_the_list(as_user, supplier_a, firm_a):
    client = as_user(supplier_a)
    invite(client, firm_a)
    assert "<td>new@alpha.test</td>" in client.get(f"/suppliers/{firm_a.pk}/team/").text
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        assert "<td>new@alpha.test</td>" not in client.get(f"/suppliers/{firm_a.pk}/team/").text
