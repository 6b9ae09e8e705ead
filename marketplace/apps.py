from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MarketplaceConfig(AppConfig):
    name = "marketplace"
    verbose_name = _("Marketplace")

    def ready(self) -> None:
        # The access registry first, so every app's rules find it whole when they register.
        from marketplace import access, auth, periodic, signals  # noqa: F401
        from marketplace.tasks import ensure_audit_checkpoint

        periodic.register("marketplace.audit_checkpoint", ensure_audit_checkpoint)
