"""What open data adds to the tender's page: its raised red flags, with their reasons."""

from opendata import redflags
from opendata.models import RedFlag


def tender_section(request, tender) -> dict:
    raised = RedFlag.objects.filter(tender=tender).raised().order_by("code") if tender.is_public else RedFlag.objects.none()
    return {"shown": tender.is_public, "flags": [(redflags.BY_CODE.get(row.code), row) for row in raised]}
