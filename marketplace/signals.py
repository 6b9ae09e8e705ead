"""Sign-ins are recorded in the audit chain."""

from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db import transaction
from django.dispatch import receiver

from marketplace import audit
from marketplace.middleware import OFFICER_SESSION_KEY


@receiver(user_logged_in)
def record_login(sender, request, user, **kwargs) -> None:
    with transaction.atomic():
        audit.record("user.login", actor=user, obj=user)
    if request is not None and hasattr(request, "session") and user.is_officer():
        request.session[OFFICER_SESSION_KEY] = True
        request.session.set_expiry(settings.OFFICER_IDLE_MINUTES * 60)


@receiver(user_login_failed)
def record_failed_login(sender, credentials, request=None, **kwargs) -> None:
    # The address tried is kept (it is what an investigator needs), the password never.
    with transaction.atomic():
        audit.record("user.login_failed", payload={"email": str(credentials.get("username", ""))[:254]})
