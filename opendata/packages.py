"""Release and record packages: the releases with the publishing metadata OCDS asks for, and the
record of an ocid with its compiled release (merged by `ocdsmerge` with the local schema)."""

from datetime import datetime

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from opendata import ocds, standard
from opendata.models import Release


def publisher() -> dict:
    return {"name": settings.OCDS_PUBLISHER_NAME, "uri": settings.SITE_URL}


def metadata(uri: str, published: datetime) -> dict:
    """What OCDS asks every package to say about itself."""
    return {
        "uri": uri,
        "version": standard.VERSION,
        "extensions": standard.extension_urls(),
        "publisher": publisher(),
        "publishedDate": ocds.stamp(published),
    }


def release_url(release: Release) -> str:
    return ocds.absolute(reverse("api-ocds-release", args=[release.release_id]))


def release_package(releases: list[Release], *, uri: str) -> dict:
    """`publishedDate` is the newest release's date: the package is made on demand, and OCDS asks
    for the date its contents last changed."""
    published = max((r.date for r in releases), default=timezone.now())
    return metadata(uri, published) | {"releases": [r.data for r in releases]}


def compiled_release(releases: list[Release]) -> dict:
    """The current state of the contracting process: each release merged over the previous
    ones, in feed order (ocdsmerge orders by date; releases of one instant keep this order)."""
    return standard.merger().create_compiled_release([r.data for r in releases])


def versioned_release(releases: list[Release]) -> dict:
    """Every field with the history of its values, each naming the release that set it."""
    return standard.merger().create_versioned_release([r.data for r in releases])


def record_package(ocid: str, releases: list[Release], *, uri: str) -> dict:
    record = {
        "ocid": ocid,
        "releases": [{"url": f"{release_url(r)}#{r.release_id}", "date": r.data["date"], "tag": r.tags} for r in releases],
        "compiledRelease": compiled_release(releases),
        "versionedRelease": versioned_release(releases),
    }
    return metadata(uri, releases[-1].date) | {"records": [record]}
