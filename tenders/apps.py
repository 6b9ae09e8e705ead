from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TendersConfig(AppConfig):
    name = "tenders"
    verbose_name = _("Tenders")

    def ready(self) -> None:
        from marketplace import periodic
        from tenders import access, alerts, extensions  # noqa: F401 (they register rules and receivers)
        from tenders.tasks import ensure_closing_sweep

        periodic.register("tenders.closing_sweep", ensure_closing_sweep)
