from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContractsConfig(AppConfig):
    name = "contracts"
    verbose_name = _("Contracts")

    def ready(self) -> None:
        from contracts import access, authority, receivers  # noqa: F401 (rules and receivers register on import)
        from contracts.supplier_page import performance_section
        from contracts.tasks import ensure_contract_sweep, ensure_milestone_sweep
        from contracts.tender_page import tender_section
        from marketplace import periodic
        from suppliers import extensions as supplier_extensions
        from tenders import extensions

        # A root certificate that is not PLATFORM_CA_KEY's stops start-up here, not at the first signature.
        authority.root_certificate()
        periodic.register("contracts.contract_sweep", ensure_contract_sweep)
        periodic.register("contracts.milestone_sweep", ensure_milestone_sweep)
        extensions.page_sections.append(extensions.PageSection("contracts/_tender_section.html", tender_section))
        supplier_extensions.profile_sections.append(
            supplier_extensions.ProfileSection("contracts/_supplier_performance.html", performance_section)
        )
