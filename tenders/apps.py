from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TendersConfig(AppConfig):
    name = "tenders"
    verbose_name = _("Tenders")

    def ready(self) -> None:
        from marketplace import periodic
        from tenders import access, alerts, extensions  # noqa: F401 (they register rules and receivers)
        from tenders.evaluation import receivers  # noqa: F401
        from tenders.evaluation.tasks import ensure_award_sweep
        from tenders.evaluation.tender_page import tender_section
        from tenders.tasks import ensure_closing_sweep

        periodic.register("tenders.closing_sweep", ensure_closing_sweep)
        periodic.register("tenders.award_sweep", ensure_award_sweep)
        extensions.page_sections.append(extensions.PageSection("tenders/evaluation/_tender_section.html", tender_section))
