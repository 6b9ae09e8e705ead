from django.conf import settings

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
