"""The opening over the API: the public record, custodians' releases, and opened bids for officers."""

from django.http import FileResponse, Http404
from django.urls import reverse
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import permissions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from bidding import actions, opened, opening
from bidding.api import visible_tender
from bidding.models import Bid, OpenedDocument, Opening, OpeningLine
from marketplace import access

RECORD_RESPONSE = inline_serializer(
    "OpeningRecord",
    {
        "tender": serializers.IntegerField(),
        "reference": serializers.CharField(),
        "status": serializers.CharField(),
        "rounds": inline_serializer(
            "OpeningRound",
            {
                "round": serializers.ChoiceField(choices=Opening.Round.choices),
                "status": serializers.ChoiceField(choices=Opening.Status.choices),
                "started_at": serializers.DateTimeField(allow_null=True),
                "completed_at": serializers.DateTimeField(allow_null=True),
                "bids": serializers.IntegerField(),
                "custodians": serializers.DictField(allow_null=True),
                "quorum_deadline": serializers.DateTimeField(allow_null=True),
                "quorum_missed_at": serializers.DateTimeField(allow_null=True),
                "lines": serializers.ListField(child=serializers.DictField()),
                "valid": serializers.IntegerField(),
                "rejected": serializers.IntegerField(),
                "record": serializers.DictField(allow_null=True),
                "signature": serializers.CharField(allow_null=True),
            },
            many=True,
        ),
    },
)

PRESENCE_RESPONSE = inline_serializer(
    "CustodiansPresent",
    {
        "round": serializers.CharField(),
        "present": serializers.IntegerField(),
        "needed": serializers.IntegerField(),
        "of": serializers.IntegerField(),
    },
)


class OpeningRecordView(APIView):
    """The opening record, public once the opening has started (404 before): every round's lines
    as read, and for each complete round the signed record (compact JWS, platform key)."""

    @extend_schema(responses=RECORD_RESPONSE)
    def get(self, request, tender_id: int):
        tender = visible_tender(request.user, tender_id)
        access.require(request.user, "view_opening_record", tender)
        record = opened.opening_record(tender)
        if record is None:
            raise Http404
        return Response(record)


class StartOpeningView(APIView):
    """Start the opening now (procurement officers; after the deadline, once)."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(request=None, responses=RECORD_RESPONSE)
    def post(self, request, tender_id: int):
        tender = visible_tender(request.user, tender_id)
        access.require(request.user, "start_opening", tender)
        opening.start_opening(request.user, tender)
        return Response(opened.opening_record(tender))


class ReleaseSerializer(serializers.Serializer):
    passphrase = serializers.CharField(max_length=1024, trim_whitespace=False)
    round = serializers.ChoiceField(choices=Opening.Round.choices, required=False)
    otp = serializers.CharField(
        max_length=32,
        required=False,
        allow_blank=True,
        help_text="A code from the custodian's authenticator app (required if they have one).",
    )


def current_round(tender) -> str:
    """The round waiting for custodians (financial once it exists), else the first round."""
    waiting = Opening.objects.filter(tender=tender, status=Opening.Status.WAITING).order_by("-created_at").first()
    return waiting.round if waiting else opening.first_round(tender)


class ReleaseShareView(APIView):
    """A custodian releases their share of the round's key with their opening passphrase (after the deadline)."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(request=ReleaseSerializer, responses=PRESENCE_RESPONSE)
    def post(self, request, tender_id: int):
        tender = visible_tender(request.user, tender_id)
        access.require(request.user, "release_share", tender)
        serializer = ReleaseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        presence = opening.release_share(
            request.user, tender, data.get("round") or current_round(tender), data["passphrase"], data.get("otp")
        )
        return Response(presence)


def opened_bid_json(bid: Bid, request) -> dict:
    lines = OpeningLine.objects.filter(bid=bid).select_related("opening").order_by("opening__created_at")
    return {
        "id": str(bid.id),
        "supplier": {"id": bid.organisation_id, "name": bid.organisation.name},
        "status": bid.status,
        "received_at": bid.received_at,
        "lots": bid.lots,
        "prices": {str(lot): str(price) for lot, price in opened.prices(bid).items()},
        "currency": opened.currency(bid),
        "lines": [{"round": line.opening.round} | line.as_json() for line in lines],
        "documents": [
            {
                "id": document.pk,
                "envelope": document.envelope,
                "name": document.name,
                "media_type": document.media_type,
                "sha256": document.sha256,
                "size": document.size,
                "url": request.build_absolute_uri(reverse("api-opened-document", args=[document.pk])),
            }
            for document in opened.documents(bid)
        ],
    }


class OpenedBidsView(APIView):
    """The bids read at the opening, with what was read and their documents (officers and evaluators)."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses=inline_serializer("OpenedBid", {"id": serializers.UUIDField()}, many=True))
    def get(self, request, tender_id: int):
        tender = visible_tender(request.user, tender_id)
        if not access.can(request.user, "read_opened_bids", tender):
            raise Http404
        bids = Bid.objects.filter(tender=tender, opening_lines__isnull=False).distinct().select_related("organisation")
        return Response([opened_bid_json(bid, request) for bid in bids.order_by("received_at", "id")])


def opened_document_for(user, document_id: int) -> OpenedDocument:
    document = OpenedDocument.objects.filter(pk=document_id).select_related("bid__tender__buyer").first()
    if document is None or not access.can(user, "read_opened_document", document):
        raise Http404
    return document


def document_response(user, document: OpenedDocument) -> FileResponse:
    actions.read_opened_document(user, document)
    response = FileResponse(document.file.open("rb"), as_attachment=True, filename=document.name, content_type=document.media_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response


class OpenedDocumentView(APIView):
    """Download a document of an opened bid (audited)."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses={(200, "application/octet-stream"): bytes})
    def get(self, request, document_id: int):
        return document_response(request.user, opened_document_for(request.user, document_id))
