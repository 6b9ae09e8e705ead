"""Reading the published releases."""

from django.http import Http404

from opendata.models import RedFlag, Release


def feed_after(after: int, limit: int) -> list[Release]:
    """The next `limit` releases after feed position `after`, in feed order."""
    return list(Release.objects.filter(position__gt=after).in_feed_order()[:limit])


def release_or_404(release_id: str) -> Release:
    release = Release.objects.filter(release_id=release_id).first()
    if release is None:
        raise Http404("no such release")
    return release


def record_releases_or_404(ocid: str) -> list[Release]:
    releases = list(Release.objects.of(ocid))
    if not releases:
        raise Http404("no such ocid")
    return releases


def public_red_flags():
    """Every computed flag of a public tender, newest first."""
    return RedFlag.objects.exclude(tender__status="draft").public_listing()
