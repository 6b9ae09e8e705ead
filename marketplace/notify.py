"""Notifications: in-app (with a live event to the person) and by e-mail after commit.

One notification is read by many people, each in the language they chose (`User.language`):
the caller passes its title and body as lazy strings (`gettext_lazy`) or as functions of no
argument that compose the text with `gettext` (`lambda: _("%(reference)s was cancelled") % …`),
and each recipient's copy is rendered under their language. A plain string is taken as
written: a person's own words (a question, a reason), the same for every reader.
"""

from collections.abc import Callable, Iterable

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import translation
from django.utils.functional import Promise
from django_tasks import task

from marketplace import live
from marketplace.models import Notification, Organisation, User

Text = str | Promise | Callable[[], str]


def in_language(text: Text, language: str) -> str:
    """The text as a reader of `language` reads it."""
    if isinstance(text, str):
        return text
    with translation.override(language):
        return str(text() if callable(text) else text)


def notify(
    users: Iterable[User],
    *,
    kind: str,
    title: Text,
    body: Text = "",
    url: str = "",
    organisation: Organisation | None = None,
    email: bool = True,
) -> list[Notification]:
    """Notify each person in-app now and, after commit, by e-mail, in their own language. Call
    inside a transaction."""
    created = []
    for user in {u.pk: u for u in users if u.is_active}.values():
        language = user.reading_language
        own_title, own_body = in_language(title, language), in_language(body, language)
        notification = Notification.objects.create(user=user, organisation=organisation, kind=kind, title=own_title, body=own_body, url=url)
        unread = Notification.objects.filter(user=user, read_at__isnull=True).count()
        live.publish(f"user.{user.pk}", "notification", {"title": own_title, "url": url, "kind": kind, "unread": unread})
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
    """Each e-mail carries its notification's text, already in its reader's language."""
    sent = 0
    for notification in Notification.objects.filter(pk__in=notification_ids).select_related("user"):
        link = f"\n\n{settings.SITE_URL}{notification.url}" if notification.url else ""
        send_mail(notification.title, f"{notification.body}{link}", None, [notification.user.email])
        sent += 1
    return sent
