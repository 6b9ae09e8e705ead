from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SuppliersConfig(AppConfig):
    name = "suppliers"
    verbose_name = _("Supplier registry")

    def ready(self) -> None:
        from marketplace import periodic
        from suppliers import access  # noqa: F401 (registers its rules)
        from suppliers.tasks import ensure_registry_upkeep

        periodic.register("suppliers.registry_upkeep", ensure_registry_upkeep)
