from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BiddingConfig(AppConfig):
    name = "bidding"
    verbose_name = _("Sealed bids")

    def ready(self) -> None:
        from bidding import access, receivers  # noqa: F401 (they register rules and receivers)
        from bidding.actions import live_bid_count
        from bidding.tasks import ensure_opening_sweep
        from bidding.tender_page import EnvelopesField, tender_section
        from marketplace import journal, periodic
        from tenders import extensions

        extensions.page_sections.append(extensions.PageSection("bidding/_tender_section.html", tender_section))
        extensions.api_fields["envelopes"] = EnvelopesField
        periodic.register("bidding.opening_sweep", ensure_opening_sweep)
        journal.register_refresh("bids.count", live_bid_count)
