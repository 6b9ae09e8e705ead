from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContractsConfig(AppConfig):
    name = "contracts"
    verbose_name = _("Contracts")

    def ready(self) -> None:
        from contracts import access, authority, receivers  # noqa: F401 (rules and receivers register on import)
        from contracts.tasks import ensure_contract_sweep
        from marketplace import periodic

        # A root certificate that is not PLATFORM_CA_KEY's stops start-up here, not at the first signature.
        authority.root_certificate()
        periodic.register("contracts.contract_sweep", ensure_contract_sweep)
