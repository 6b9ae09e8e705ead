"""The second factor: an authenticator app (TOTP) and single-use recovery codes, on django-otp.

Officers and platform staff (`User.is_officer()`) must pass it at every sign-in; anyone else may
set one up and then passes it too (`must_verify`). Signing a contract or an amendment and
releasing an opening share ask for a fresh code again (`require_code`), of whoever has an app.

Recovery codes are kept as digests only (otp_static's `StaticToken.token` holds the digest of
the code); they are shown once, when made. TOTP secrets are in the database as django-otp keeps
them: the server needs them in clear to check a code.
"""

import base64
import hashlib
import math
import secrets
import time
from datetime import datetime

import segno
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.models import Device
from django_otp.oath import hotp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from marketplace import audit
from marketplace.errors import ActionError, Forbidden, TooManyAttempts
from marketplace.models import User

RECOVERY_CODES = 10
# 12 characters from 31 that cannot be mistaken for one another (no 0/o, 1/l/i): about 59 bits.
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
RECOVERY_LENGTH = 12
AUTHENTICATOR_NAME = "Authenticator app"
RECOVERY_NAME = "Recovery codes"


# Who must pass it ---------------------------------------------------------------------------


def authenticator_of(user: User) -> TOTPDevice | None:
    """The person's confirmed authenticator app, if they set one up."""
    if not user.is_authenticated:
        return None
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def has_authenticator(user: User) -> bool:
    return user.is_authenticated and TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def is_required(user: User) -> bool:
    """Officers and platform staff may not work without a second factor."""
    return user.is_officer()


def must_verify(user: User) -> bool:
    """Whether a session of this person counts only once the second factor is passed."""
    return has_authenticator(user) or is_required(user)


def session_passes(user, session) -> bool:
    """For connections that do not pass through the middleware (websockets): whether this
    signed-in session has passed the second factor, or does not need to."""
    if not getattr(user, "is_authenticated", False) or not must_verify(user):
        return True
    persistent_id = session.get(DEVICE_ID_SESSION_KEY) if session is not None else None
    device = Device.from_persistent_id(persistent_id) if persistent_id else None
    return device is not None and device.user_id == user.pk and device.confirmed


# Enrolment ----------------------------------------------------------------------------------


def pending_authenticator(user: User) -> TOTPDevice:
    """The app being set up: the same secret on every visit until a first code confirms it, so
    a reload does not invalidate what the person already scanned."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=AUTHENTICATOR_NAME, confirmed=False)
    return device


def secret_text(device: TOTPDevice) -> str:
    """The secret in base32, in groups of four, for typing into an app that cannot scan."""
    secret = base32_secret(device)
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def base32_secret(device: TOTPDevice) -> str:
    return base64.b32encode(device.bin_key).decode().rstrip("=")


def qr_svg(device: TOTPDevice, title: str) -> str:
    """The app's set-up address as an inline SVG QR code: no script, no image from elsewhere."""
    return segno.make(device.config_url, error="m").svg_inline(scale=5, border=4, light="#fff", title=title, svgclass="qr", lineclass=None)


def confirm_authenticator(user: User, device: TOTPDevice, code: str) -> list[str]:
    """A first right code from the app makes it count; returns the recovery codes to show once."""
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk, user=user, confirmed=False)
        refusal = _check_totp(device, code)
        if refusal is None:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
            codes = _new_recovery_codes(user)
            audit.record("user.second_factor_enrolled", actor=user, obj=user, payload={"recovery_codes": len(codes)})
    if refusal is not None:
        raise refusal
    return codes


@transaction.atomic
def regenerate_recovery_codes(user: User, *, password: str) -> list[str]:
    """New recovery codes; the old ones stop working."""
    _require_password(user, password)
    if not has_authenticator(user):
        raise ActionError(_("Set up an authenticator app first."), code="no_second_factor")
    codes = _new_recovery_codes(user)
    audit.record("user.recovery_codes_regenerated", actor=user, obj=user, payload={"recovery_codes": len(codes)})
    return codes


@transaction.atomic
def remove_second_factor(user: User, *, password: str) -> None:
    """Removes the app and the recovery codes. An officer is asked to set up a new app at once."""
    _require_password(user, password)
    removed, _counts = TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    if removed:
        audit.record("user.second_factor_removed", actor=user, obj=user)


def _require_password(user: User, password: str) -> None:
    if not user.check_password(password or ""):
        raise Forbidden(_("The password is not correct: nothing was changed."), code="wrong_password", field="password")


def _new_recovery_codes(user: User) -> list[str]:
    device, _created = StaticDevice.objects.get_or_create(user=user, name=RECOVERY_NAME, defaults={"confirmed": True})
    device.token_set.all().delete()
    codes = ["".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH)) for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=recovery_digest(code)) for code in codes)
    device.throttle_reset(commit=False)
    device.save()
    return [f"{code[0:4]}-{code[4:8]}-{code[8:12]}" for code in codes]


def recovery_digest(code: str) -> str:
    """What is stored of a recovery code: the start of its SHA-256 (otp_static keeps 16 characters)."""
    return hashlib.sha256(_normalised(code).encode()).hexdigest()[:16]


def recovery_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__name=RECOVERY_NAME).count()


# Checking a code ----------------------------------------------------------------------------


def _normalised(code: str) -> str:
    return "".join(ch for ch in (code or "").lower() if ch.isalnum())


def looks_like_app_code(code: str) -> bool:
    digits = _normalised(code)
    return digits.isdigit() and len(digits) == 6


def pass_sign_in(user: User, code: str) -> Device:
    """The second step of signing in: a code from the app, or one of the recovery codes (used up).
    Returns the device that accepted it, for `django_otp.login`."""
    with transaction.atomic():
        if looks_like_app_code(code):
            device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).first()
            refusal = _check_totp(device, code) if device else _wrong_code()
        else:
            device = StaticDevice.objects.select_for_update().filter(user=user, name=RECOVERY_NAME, confirmed=True).first()
            refusal = _check_recovery(device, code) if device else _wrong_code()
            if refusal is None:
                audit.record("user.recovery_code_used", actor=user, obj=user, payload={"left": device.token_set.count()})
        if refusal is not None:
            _record_refusal(user, "sign_in", refusal)
    if refusal is not None:
        raise refusal
    return device


def require_code(user: User, code: str | None, *, purpose: str) -> None:
    """A step that signs or unlocks something asks for a fresh code from the app of whoever has
    one; without an app (a supplier who did not set one up) the password alone is enough.
    A refusal is audited and raised after its own commit, so the throttle's count stays."""
    if not has_authenticator(user):
        return
    if not (code or "").strip():
        raise Forbidden(
            _("Enter the code from your authenticator app: this step asks for it as well as your password."),
            code="otp_required",
            field="otp",
        )
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).first()
        refusal = _check_totp(device, code) if device else None
        if refusal is not None:
            _record_refusal(user, purpose, refusal)
    if refusal is not None:
        raise refusal


def _record_refusal(user: User, purpose: str, refusal: ActionError) -> None:
    audit.record("user.second_factor_refused", actor=user, obj=user, payload={"purpose": purpose, "code": refusal.problems[0].code})


def _wrong_code() -> ActionError:
    return Forbidden(_("That code is not right. Check the code in your app, or use a recovery code."), code="wrong_otp", field="otp")


def _throttled(device: Device, now: datetime) -> TooManyAttempts | None:
    allowed, details = device.verify_is_allowed()
    if allowed:
        return None
    wait = max(1, math.ceil((details["locked_until"] - now).total_seconds())) if details and details.get("locked_until") else 1
    return TooManyAttempts(
        _("Too many wrong codes: wait %(seconds)s seconds, then enter the newest code.") % {"seconds": wait},
        code="otp_throttled",
        field="otp",
        retry_after=wait,
    )


def _check_totp(device: TOTPDevice, code: str) -> ActionError | None:
    """None when the code is right (the device records it: the same code never passes twice)."""
    refusal = _throttled(device, timezone.now())
    if refusal is not None:
        return refusal
    digits = _normalised(code)
    if device.verify_token(digits):
        return None
    if _used_already(device, digits):
        return Forbidden(_("That code was used already: wait for the next one in your app."), code="otp_used", field="otp")
    return Forbidden(_("That code is not right: check the time on your phone and enter the newest code."), code="wrong_otp", field="otp")


def _used_already(device: TOTPDevice, digits: str) -> bool:
    """Whether the code is one the app showed for a time step already used, so the person is told
    to wait for the next code rather than that the code is wrong."""
    if not (digits.isdigit() and len(digits) == device.digits):
        return False
    now_t = int((time.time() - device.t0) // device.step) + device.drift
    steps = range(now_t - device.tolerance, min(now_t + device.tolerance, device.last_t) + 1)
    return any(hotp(device.bin_key, t, device.digits) == int(digits) for t in steps if t >= 0)


def _check_recovery(device: StaticDevice, code: str) -> ActionError | None:
    refusal = _throttled(device, timezone.now())
    if refusal is not None:
        return refusal
    if device.verify_token(recovery_digest(code)):
        return None
    return Forbidden(_("That recovery code is not right, or was used already."), code="wrong_recovery_code", field="otp")
