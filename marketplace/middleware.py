import functools
from urllib.parse import urlencode

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from marketplace import twofactor
from marketplace.audit import client_ip

# Set in the session of a person who signed in holding an officer role, or as platform staff.
OFFICER_SESSION_KEY = "officer_idle_limit"

# Pages carry no inline script: every script is a module served from /static/.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self' ws: wss:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        # The admin ships inline scripts of its own; it is for platform staff only.
        if not request.path.startswith("/admin/"):
            response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        return response


class RequestContextMiddleware:
    """Makes the client's address available to the audit chain for this request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = client_ip.set(request.META.get("REMOTE_ADDR") or None)
        try:
            return self.get_response(request)
        finally:
            client_ip.reset(token)


class OfficerIdleTimeoutMiddleware:
    """Officers' and staff's sessions end after `OFFICER_IDLE_MINUTES` without a request.

    Whether a session is an officer's is decided at sign-in (`marketplace.signals`); each request
    then pushes the session's expiry forward, so only idleness ends it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        if session is not None and session.get(OFFICER_SESSION_KEY) and request.user.is_authenticated:
            session.set_expiry(settings.OFFICER_IDLE_MINUTES * 60)
        return self.get_response(request)


@functools.cache
def _open_before_second_factor() -> tuple[str, ...]:
    """Paths a signed-in person may reach before passing the second factor."""
    names = ["logout", "second-factor-verify", "second-factor-enrol", "set_language", "javascript-catalog", "healthz"]
    return (settings.STATIC_URL, *(reverse(name) for name in names))


class SecondFactorMiddleware:
    """Whoever must pass the second factor (`twofactor.must_verify`: officers, staff, and anyone
    who set up an app) reaches nothing but that step, sign-out and static files until they have:
    pages are sent to it, API calls made with the session are refused (403, in the API's error
    shape). A call with an API token is the token's business (`marketplace.rest`)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and not user.is_verified() and not self._open(request) and twofactor.must_verify(user):
            return self._stop(request, user)
        return self.get_response(request)

    @staticmethod
    def _open(request) -> bool:
        path = request.path_info
        if path.startswith("/api/") and request.META.get("HTTP_AUTHORIZATION"):
            return True
        return any(
            path == open_path or (open_path.endswith("/") and path.startswith(open_path)) for open_path in _open_before_second_factor()
        )

    @staticmethod
    def _stop(request, user):
        if request.path_info.startswith("/api/"):
            message = _("Pass the second factor first: sign in again and enter the code from your authenticator app.")
            return JsonResponse({"errors": [{"field": None, "code": "second_factor_required", "message": message}]}, status=403)
        step = "second-factor-verify" if twofactor.has_authenticator(user) else "second-factor-enrol"
        target = request.get_full_path() if request.method == "GET" else reverse("start")
        return redirect(f"{reverse(step)}?{urlencode({'next': target})}")
