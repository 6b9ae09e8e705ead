from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpendataConfig(AppConfig):
    name = "opendata"
    verbose_name = _("Open data")

    def ready(self) -> None:
        from opendata import receivers  # noqa: F401 (receivers register on import)
        from opendata.tender_page import tender_section
        from tenders import extensions

        extensions.page_sections.append(extensions.PageSection("opendata/_tender_section.html", tender_section))
