from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvaluationConfig(AppConfig):
    name = "evaluation"
    verbose_name = _("Evaluation and award")

    def ready(self) -> None:
        from evaluation import access, receivers  # noqa: F401 (their rules and receivers register on import)
        from evaluation.tasks import ensure_award_sweep
        from evaluation.tender_page import tender_section
        from marketplace import periodic
        from tenders import extensions

        periodic.register("evaluation.award_sweep", ensure_award_sweep)
        extensions.page_sections.append(extensions.PageSection("evaluation/_tender_section.html", tender_section))
