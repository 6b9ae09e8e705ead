from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = _("Payments")

    def ready(self) -> None:
        from marketplace import periodic
        from payments import access, invoices, receivers  # noqa: F401 (rules and receivers register on import)
        from payments.tasks import ensure_payments_sweep

        periodic.register("payments.payments_sweep", ensure_payments_sweep)
