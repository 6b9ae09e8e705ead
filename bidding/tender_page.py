"""What the bidding app adds to the tender's public page and to `GET /api/v1/tenders/<id>/`:
the envelope keys bidders seal to, the way to bid, the bid box, and the officers' live count."""

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from bidding import box, keys
from marketplace import access, live


def tender_section(request, tender) -> dict:
    now = timezone.now()
    bid_box = box.bid_box(tender, now)
    context = {
        "tender": tender,
        "envelopes": keys.public_envelopes(tender),
        "accepts_bids": tender.accepts_bids_at(now),
        "may_prepare_bid": access.can(request.user, "prepare_bid", tender),
        "box": bid_box,
        "opened": bid_box.opened,
        "live_after": live.current_seq(),
    }
    if access.can(request.user, "view_bid_count", tender):
        context["officer_count"] = box.live_bid_count(tender)
    return context


class EnvelopeSerializer(serializers.Serializer):
    name = serializers.CharField()
    kid = serializers.CharField()
    jwk = serializers.DictField()


@extend_schema_field(EnvelopeSerializer(many=True))
class EnvelopesField(serializers.Field):
    """The public envelope keys of a published tender (empty for a draft)."""

    def __init__(self, **kwargs):
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, tender) -> list[dict]:
        return keys.public_envelopes(tender)
