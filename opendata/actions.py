"""Writing releases. Each runs inside the transaction of the lifecycle change it reports (the
receivers in `opendata.receivers` call it), so a release exists exactly when its change does."""

from datetime import datetime

from django.db.models import Max

from marketplace import audit
from opendata import ocds
from opendata.models import Release
from tenders.models import Tender


def record_release(tender: Tender, *, event: str, tags: list[str], now: datetime) -> Release:
    """Publish the tender's state at `now` as the release `<ocid>-<event>`, at the end of the feed.

    The feed position is taken under the audit chain's head lock, which the action holding this
    transaction keeps (it writes its own audit event under it) until it commits: the next writer
    reads the maximum only after this one has committed or rolled back, so positions follow commit
    order and a reader never finds a release behind the position it has already read. Taking
    that lock first, before any lock of this app, keeps one lock order for every writer.

    The same event reported twice (a signal sent again by a retried task) keeps its first release.
    """
    audit.lock_head()
    release_id = f"{ocds.ocid_of(tender)}-{event}"
    existing = Release.objects.filter(release_id=release_id).first()
    if existing is not None:
        return existing
    position = (Release.objects.aggregate(last=Max("position"))["last"] or 0) + 1
    data = ocds.release(tender, release_id=release_id, tags=tags, now=now)
    return Release.objects.create(
        position=position, ocid=data["ocid"], release_id=release_id, tender=tender, tags=tags, date=now, data=data
    )
