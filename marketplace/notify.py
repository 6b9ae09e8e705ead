"""Notifications: in-app (with a live event to the person) and by e-mail after commit."""

from collections.abc import Iterable

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django_tasks import task

from marketplace import live
from marketplace.models import Notification, Organisation, User


def notify(
    users: Iterable[User],
    *,
    kind: str,
    title: str,
    body: str = "",
    url: str = "",
    organisation: Organisation | None = None,
    email: bool = True,
) -> list[Notification]:
    """Notify each person in-app now and, after commit, by e-mail. Call inside a transaction."""
    created = []
    for user in {u.pk: u for u in users if u.is_active}.values():
        notification = Notification.objects.create(user=user, organisation=organisation, kind=kind, title=title, body=body, url=url)
        unread = Notification.objects.filter(user=user, read_at__isnull=True).count()
        live.publish(f"user.{user.pk}", "notification", {"title": title, "url": url, "kind": kind, "unread": unread})
        created.append(notification)
    if email and created:
        ids = [n.pk for n in created]
        transaction.on_commit(lambda: send_notification_emails.enqueue(ids))
    return created


@task()
def deliver_notifications(user_ids: list[int], kind: str, title: str, body: str = "", url: str = "") -> int:
    """Notify people from background work (alerts, reminders)."""
    with transaction.atomic():
        return len(notify(User.objects.filter(pk__in=user_ids), kind=kind, title=title, body=body, url=url))


@task()
def send_notification_emails(notification_ids: list[int]) -> int:
    sent = 0
    for notification in Notification.objects.filter(pk__in=notification_ids).select_related("user"):
        link = f"\n\n{settings.SITE_URL}{notification.url}" if notification.url else ""
        send_mail(notification.title, f"{notification.body}{link}", None, [notification.user.email])
        sent += 1
    return sent
