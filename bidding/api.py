"""Sealed bids over the API: submit, replace, withdraw, receipts, keys and the bid box.

Before the deadline every answer about a bid depends only on the caller's own firm: a bid of
another firm is "not found" exactly like a bid that does not exist.
"""

from django.db import connection
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import permissions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from bidding import actions, box, keys, receipts
from bidding.access import BIDDING_ROLES, bidding_firms
from bidding.models import Bid
from bidding.plaintext_schema import plaintext_schema
from marketplace import access, signing, statements
from marketplace.errors import Forbidden, TooLarge
from marketplace.models import Organisation, Role
from tenders.models import Tender

# Room for the JSON around the envelopes (names, lots, organisation).
BODY_OVERHEAD = 64 * 1024


def visible_tender(user, tender_id: int) -> Tender:
    tender = Tender.objects.filter(pk=tender_id).select_related("buyer").first()
    if tender is None or not access.can(user, "view_tender", tender):
        raise Http404
    return tender


def tender_to_bid_on(user, tender_id: int) -> Tender:
    """`visible_tender()` for a submission, precompiled (`marketplace.statements`) and without the
    buyer, which a submission does not read: the same 404 for a tender that does not exist or
    that the caller may not see."""
    low, high = connection.ops.integer_field_range(Tender._meta.pk.get_internal_type())
    if not low <= tender_id <= high:
        raise Http404  # as the ORM answers a number no row can have: nothing found
    table = connection.ops.quote_name(Tender._meta.db_table)
    found = statements.fetch(Tender, f"{statements.select_sql(Tender)} WHERE {table}.id = %s", [tender_id])
    if not found or not access.can(user, "view_tender", found[0]):
        raise Http404
    return found[0]


def own_bid(user, bid_id) -> Bid:
    """The caller's firm's bid, or 404 — the same 404, after the same queries, whether the bid
    is another firm's or does not exist."""
    firms = [o.pk for o in access.organisations_where(user, *BIDDING_ROLES)]
    bid = Bid.objects.filter(pk=bid_id, organisation__in=firms).select_related("tender", "organisation").first()
    if bid is None or not access.can(user, "view_bid", bid):
        raise Http404
    return bid


def bidding_organisation(user, requested) -> Organisation:
    """The firm the caller bids for: the one named, or their only supplier firm."""
    firms = bidding_firms(user)
    if requested is not None:
        firms = [o for o in firms if str(o.pk) == str(requested)]
    if not firms:
        raise Forbidden(_("You may bid only as an administrator or bidder of a registered supplier firm."), code="not_a_bidder")
    if len(firms) > 1:
        raise Forbidden(
            _("You bid for several firms: name the one this bid is for (organisation)."), code="organisation_required", field="organisation"
        )
    return firms[0]


def refuse_oversized_body(request, tender: Tender) -> None:
    limit = len(tender.envelope_names()) * tender.max_envelope_bytes + BODY_OVERHEAD
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > limit:
        raise TooLarge(_("The request is %(size)s bytes; this tender accepts at most %(limit)s.") % {"size": length, "limit": limit})


class EnvelopesField(serializers.DictField):
    """`{"<name>": "<compact JWE>"}`. The JWEs are checked by `bidding.sealing.inspect` (strict
    base64url), not by CharField, whose per-character scans would cost seconds on large envelopes."""

    child = serializers.JSONField()

    def to_internal_value(self, data):
        if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
            raise serializers.ValidationError(_("Send the envelopes as an object of envelope names to compact JWE strings."))
        return dict(data)


class SubmissionSerializer(serializers.Serializer):
    envelopes = EnvelopesField()
    lots = serializers.ListField(child=serializers.IntegerField(min_value=1), required=False, allow_empty=False)
    organisation = serializers.IntegerField(required=False)


class BidSerializer(serializers.ModelSerializer):
    envelopes = serializers.SerializerMethodField()

    class Meta:
        model = Bid
        fields = [
            "id",
            "tender",
            "organisation",
            "status",
            "lots",
            "received_at",
            "receipt",
            "withdrawn_at",
            "withdrawal_receipt",
            "envelopes",
            "opening",
        ]

    def get_envelopes(self, bid) -> dict[str, str]:
        return {e.name: e.sha256 for e in bid.envelopes.all()}

    opening = serializers.SerializerMethodField()

    def get_opening(self, bid) -> list[dict]:
        """What the opening read for this bid, round by round (empty before the opening)."""
        lines = bid.opening_lines.select_related("opening").order_by("opening__created_at")
        return [
            {"round": line.opening.round, "result": line.result, "reason_code": line.reason_code, "reason": line.reason} for line in lines
        ]


RECEIPT_RESPONSE = inline_serializer(
    "BidReceipt", {"id": serializers.UUIDField(), "received_at": serializers.DateTimeField(), "receipt": serializers.CharField()}
)


def receipt_response(bid: Bid) -> Response:
    return Response(
        {"id": str(bid.id), "received_at": receipts.utc_timestamp(bid.received_at), "receipt": bid.receipt}, status=status.HTTP_201_CREATED
    )


class TenderBidsView(APIView):
    """Submit a sealed bid (POST), or list your own firm's bids for the tender (GET)."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses=BidSerializer(many=True))
    def get(self, request, tender_id: int):
        tender = visible_tender(request.user, tender_id)
        firms = access.organisations_where(request.user, Role.SUPPLIER_ADMIN, Role.BIDDER)
        bids = Bid.objects.filter(tender=tender, organisation__in=firms).prefetch_related("envelopes").order_by("received_at")
        return Response(BidSerializer(bids, many=True).data)

    @extend_schema(request=SubmissionSerializer, responses={201: RECEIPT_RESPONSE})
    def post(self, request, tender_id: int):
        tender = tender_to_bid_on(request.user, tender_id)
        refuse_oversized_body(request, tender)
        serializer = SubmissionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        organisation = bidding_organisation(request.user, data.get("organisation"))
        bid = actions.submit_bid(request.user, organisation, tender, data["envelopes"], lots=data.get("lots"))
        return receipt_response(bid)


class BidDetailView(APIView):
    """One of your firm's bids, with its receipts."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses=BidSerializer)
    def get(self, request, bid_id):
        return Response(BidSerializer(own_bid(request.user, bid_id)).data)


class ReplaceBidView(APIView):
    """Replace your firm's live bid with newly sealed envelopes (before the deadline)."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(request=SubmissionSerializer, responses={201: RECEIPT_RESPONSE})
    def post(self, request, bid_id):
        old = own_bid(request.user, bid_id)
        access.require(request.user, "change_bid", old)
        refuse_oversized_body(request, old.tender)
        serializer = SubmissionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        bid = actions.submit_bid(request.user, old.organisation, old.tender, data["envelopes"], lots=data.get("lots"), replacing=old)
        return receipt_response(bid)


class WithdrawBidView(APIView):
    """Withdraw your firm's live bid (before the deadline); it will never be opened."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        request=None,
        responses=inline_serializer(
            "WithdrawalReceipt",
            {
                "id": serializers.UUIDField(),
                "status": serializers.CharField(),
                "withdrawn_at": serializers.DateTimeField(),
                "receipt": serializers.CharField(),
            },
        ),
    )
    def post(self, request, bid_id):
        bid = own_bid(request.user, bid_id)
        access.require(request.user, "change_bid", bid)
        bid = actions.withdraw_bid(request.user, bid)
        return Response(
            {
                "id": str(bid.id),
                "status": bid.status,
                "withdrawn_at": receipts.utc_timestamp(bid.withdrawn_at),
                "receipt": bid.withdrawal_receipt,
            }
        )


class TenderEnvelopesView(APIView):
    """The public keys to seal this tender's envelopes to."""

    @extend_schema(
        responses=inline_serializer(
            "EnvelopeKey", {"name": serializers.CharField(), "kid": serializers.CharField(), "jwk": serializers.DictField()}, many=True
        )
    )
    def get(self, request, tender_id: int):
        return Response(keys.public_envelopes(visible_tender(request.user, tender_id)))


class BidBoxView(APIView):
    """After the deadline: the digests and receipt times of the bids in the box, without names."""

    @extend_schema(
        responses=inline_serializer(
            "BidBox",
            {
                "sealed": serializers.BooleanField(),
                "deadline": serializers.DateTimeField(),
                "bids": inline_serializer(
                    "BidBoxEntry", {"received_at": serializers.DateTimeField(), "envelopes": serializers.DictField()}, many=True
                ),
            },
        )
    )
    def get(self, request, tender_id: int):
        tender = visible_tender(request.user, tender_id)
        bid_box = box.bid_box(tender, timezone.now())
        return Response(
            {
                "sealed": bid_box.sealed,
                "deadline": tender.submission_deadline,
                "bids": [{"received_at": receipts.utc_timestamp(e.received_at), "envelopes": dict(e.envelopes)} for e in bid_box.entries],
            }
        )


class SigningKeysView(APIView):
    """The platform's public signing keys (JWK set): receipts and records verify against them."""

    @extend_schema(responses=OpenApiResponse(inline_serializer("JWKSet", {"keys": serializers.ListField(child=serializers.DictField())})))
    def get(self, request):
        return Response(signing.public_jwks())


class PlaintextSchemaView(APIView):
    """The JSON Schema of an envelope's plaintext; with `?tender=<id>`, that tender's own."""

    @extend_schema(
        parameters=[OpenApiParameter("tender", int, description="pin the tender's id, envelopes, currency and lots")],
        responses=OpenApiResponse(OpenApiTypes.OBJECT, description="a JSON Schema (draft 2020-12)"),
    )
    def get(self, request):
        tender = None
        if "tender" in request.query_params:
            tender_id = request.query_params["tender"]
            if not tender_id.isdigit() or len(tender_id) > 18:
                raise Http404
            tender = visible_tender(request.user, int(tender_id))
        return Response(plaintext_schema(tender, uri=request.build_absolute_uri()))


class ReceiptToVerifySerializer(serializers.Serializer):
    receipt = serializers.CharField(max_length=20_000, trim_whitespace=True)


class VerifyReceiptView(APIView):
    """Anyone may check a receipt: valid or not, and what it says."""

    @extend_schema(
        request=ReceiptToVerifySerializer,
        responses=inline_serializer(
            "ReceiptVerification",
            {
                "valid": serializers.BooleanField(),
                "kid": serializers.CharField(allow_null=True, help_text="the signing key's id; null if the receipt names none"),
                "payload": serializers.DictField(allow_null=True, help_text="what the receipt says; null unless it verifies"),
                "reason": serializers.CharField(allow_blank=True, help_text="why it does not verify; empty if it does"),
            },
        ),
    )
    def post(self, request):
        serializer = ReceiptToVerifySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = signing.verify(serializer.validated_data["receipt"])
        return Response({"valid": result.valid, "kid": result.kid, "payload": result.payload, "reason": result.reason})
