"""Sign-in protection: who a failed attempt counts against, what a locked-out visitor sees,
and the password-reset e-mail limit.

Lock-outs are counted by django-axes (settings `SIGN_IN_FAILURE_LIMIT`, `SIGN_IN_LOCKOUT_MINUTES`)
per account and, separately, per client address. A name that belongs to no account is counted
and locked the same way, so the lock-out page cannot tell whether an account exists.
"""

import hashlib
import time

from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.core.cache import cache
from django.db import transaction
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from marketplace import audit
from marketplace.models import User


def client_address(request: HttpRequest) -> str | None:
    """The client's address as the audit chain records it: the connection's peer, which daphne
    `--proxy-headers` sets from the proxy's `X-Forwarded-For`. A header sent by the client
    itself is never trusted, or an attacker would pick a new address for every guess."""
    return request.META.get("REMOTE_ADDR") or None


def sign_in_name(request: HttpRequest, credentials: dict | None) -> str:
    """The account a sign-in attempt is counted against: e-mail addresses are case-insensitive,
    so `OFFICER@…` and `officer@…` share one counter."""
    name = (credentials or {}).get("username") or request.POST.get("username") or ""
    return str(name).strip().lower()[:254]


def locked_out(request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict | None = None) -> HttpResponse:
    """The sign-in page again, saying plainly that sign-in is paused; the same for any name."""
    context = {"form": AuthenticationForm(request), "locked_out": True, "lockout_minutes": settings.SIGN_IN_LOCKOUT_MINUTES}
    return render(request, "registration/login.html", context, status=429)


@receiver(user_locked_out)
def record_lockout(sender, request, username: str, ip_address: str | None, **kwargs) -> None:
    # django-axes signals again at every refused attempt of the cool-off; the chain needs the
    # lock-out once per name and address.
    seen = f"sign-in-locked:{_digest(f'{username}|{ip_address}')}"
    if not cache.add(seen, True, timeout=settings.SIGN_IN_LOCKOUT_MINUTES * 60):
        return
    account = User.objects.filter(email__iexact=username).first() if username else None
    with transaction.atomic():
        audit.record("user.locked_out", actor=account, obj=account, ip=ip_address, payload={"email": username})


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:32]


def _count_this_hour(key: str) -> int:
    """Counts this request in the current clock hour's bucket. The hour is part of the key, so
    the server clock, not the cache's expiry, decides when a window ends; incr() is atomic on
    Redis, so concurrent requests each get their own number."""
    bucket, keep = f"{key}:{int(time.time() // 3600)}", 2 * 3600
    cache.add(bucket, 0, timeout=keep)
    try:
        count = cache.incr(bucket)
    except ValueError:  # evicted between add and incr
        cache.add(bucket, 1, timeout=keep)
        return 1
    # The database cache's incr() is a set() with the default five-minute timeout: restore ours.
    cache.touch(bucket, keep)
    return count


def password_reset_allowed(request: HttpRequest, email: str) -> bool:
    """Whether a reset e-mail may go out now, counting this request against the clock hour.
    Counted for every address asked, existing or not, so the answer reveals nothing about accounts."""
    per_email = _count_this_hour(f"password-reset:email:{_digest(email.strip().lower())}")
    per_client = _count_this_hour(f"password-reset:client:{client_address(request) or '-'}")
    return per_email <= settings.PASSWORD_RESETS_PER_EMAIL_HOUR and per_client <= settings.PASSWORD_RESETS_PER_CLIENT_HOUR
