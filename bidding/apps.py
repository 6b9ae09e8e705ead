from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BiddingConfig(AppConfig):
    name = "bidding"
    verbose_name = _("Sealed bids")

    def ready(self) -> None:
        from bidding import receivers  # noqa: F401
