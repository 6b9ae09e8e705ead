"""Every notification leads its recipient somewhere they can act: a link that answers 200 to them.

The demo's world sends notices of most kinds (new tenders to followers, clarifications,
bids flagged by an amendment, the opening, award results, challenges, contracts, deposits and
refunds); each is followed here as the person it was sent to. Every call of `notify()` in the
code also names a link, so no kind can be sent without one.
"""

import ast
from pathlib import Path

import pytest
from django.core.management import call_command

from marketplace.models import Notification

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
APPS = ["marketplace", "suppliers", "tenders", "bidding", "evaluation", "contracts", "payments", "opendata"]


def test_every_notification_of_the_demo_links_its_recipient_to_a_page_that_answers(client):
    call_command("seed_demo")
    notifications = list(Notification.objects.select_related("user").order_by("user_id", "pk"))
    assert len({n.kind for n in notifications}) >= 5, "the demo sends notices of several kinds"
    failures = []
    for user_id in sorted({n.user_id for n in notifications}):
        mine = [n for n in notifications if n.user_id == user_id]
        client.force_login(mine[0].user)
        for notification in mine:
            if not notification.url:
                failures.append((notification.kind, notification.user.email, "no link"))
                continue
            answer = client.get(notification.url, follow=True)
            if answer.status_code != 200:
                failures.append((notification.kind, notification.user.email, notification.url, answer.status_code))
        client.logout()
    assert failures == []


def notify_calls():
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) == "notify":
                    yield path.relative_to(ROOT), node


def test_every_call_of_notify_names_a_link():
    calls = list(notify_calls())
    assert len(calls) > 20
    without = [f"{path}:{node.lineno}" for path, node in calls if "url" not in {k.arg for k in node.keywords}]
    assert without == []
