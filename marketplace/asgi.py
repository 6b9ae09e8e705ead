"""ASGI entry point for daphne: HTTP through Django, websockets through channels."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings")

from django.core.asgi import get_asgi_application

from marketplace.env import SettingsError

try:
    django_application = get_asgi_application()
except SettingsError as exc:
    raise SystemExit(f"Tenderhall cannot start: {exc}") from None

from channels.auth import AuthMiddlewareStack
from channels.routing import ProtocolTypeRouter, URLRouter
from channels.security.websocket import AllowedHostsOriginValidator

from marketplace.routing import websocket_urlpatterns

application = ProtocolTypeRouter(
    {
        "http": django_application,
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
