"""Platform-level API endpoints."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from drf_spectacular.views import SpectacularSwaggerSplitView
from rest_framework import generics, permissions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from marketplace import actions, audit
from marketplace.models import AuditCheckpoint, ChainHead, Notification
from marketplace.models.audit import GENESIS_HASH
from marketplace.rest import MAX_ROW_NUMBER


class CheckpointReferenceSerializer(serializers.Serializer):
    hash = serializers.CharField(help_text="SHA-256 of the event at `length` (hexadecimal)")
    length = serializers.IntegerField(help_text="how many events the checkpoint covers")
    jws = serializers.CharField(help_text='compact JWS (EdDSA) over {"hash", "length", "at"}; keys at /api/v1/signing-keys/')


class AuditHeadView(APIView):
    """The head of the audit chain, and its latest signed checkpoint: anyone can note them and
    later check nothing was rewritten (`manage.py verify_audit --expect HASH@LENGTH`)."""

    @extend_schema(
        responses=OpenApiResponse(
            inline_serializer(
                "AuditHead",
                {
                    "hash": serializers.CharField(),
                    "length": serializers.IntegerField(),
                    "checkpoint": CheckpointReferenceSerializer(allow_null=True),
                },
            )
        )
    )
    def get(self, request):
        head = ChainHead.objects.filter(pk=1).values("audit_length", "audit_hash").first()
        length, hash_ = (head["audit_length"], head["audit_hash"]) if head is not None else (0, GENESIS_HASH)
        return Response({"hash": hash_, "length": length, "checkpoint": audit.checkpoint_reference()})


class CheckpointSerializer(serializers.ModelSerializer):
    at = serializers.SerializerMethodField(help_text="when the head was signed (UTC), as signed")
    jws = serializers.CharField(help_text='compact JWS (EdDSA) over {"hash", "length", "at"}; keys at /api/v1/signing-keys/')

    class Meta:
        model = AuditCheckpoint
        fields = ["length", "hash", "at", "jws"]

    def get_at(self, checkpoint: AuditCheckpoint) -> str:
        return checkpoint.signed_content()["at"]


class CheckpointQuerySerializer(serializers.Serializer):
    after = serializers.IntegerField(min_value=0, max_value=2**63 - 1, required=False)


class AuditCheckpointListView(generics.ListAPIView):
    """Signed checkpoints of the audit chain's head, oldest first. Keep them: a copy held outside
    the platform's database shows any later rewrite of the events it covers."""

    serializer_class = CheckpointSerializer
    queryset = AuditCheckpoint.objects.none()

    @extend_schema(
        parameters=[OpenApiParameter("after", OpenApiTypes.INT, description="only checkpoints covering more than this many events")]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        query = CheckpointQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        after = query.validated_data.get("after")
        checkpoints = AuditCheckpoint.objects.order_by("length")
        return checkpoints.filter(length__gt=after) if after is not None else checkpoints


class NotificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "body", "url", "created_at", "read_at"]


class NotificationListView(generics.ListAPIView):
    """Your own notifications, newest first."""

    serializer_class = NotificationSerializer
    permission_classes = [permissions.IsAuthenticated]

    queryset = Notification.objects.none()

    def get_queryset(self):
        return Notification.objects.filter(user=self.request.user)


class MarkReadSerializer(serializers.Serializer):
    ids = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=MAX_ROW_NUMBER), required=False, max_length=1000)


class NotificationsReadView(APIView):
    """Mark your notifications (all, or the given ids) as read."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(request=MarkReadSerializer, responses=inline_serializer("MarkedRead", {"marked": serializers.IntegerField()}))
    def post(self, request):
        serializer = MarkReadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        marked = actions.mark_notifications_read(request.user, serializer.validated_data.get("ids"))
        return Response({"marked": marked})


class ApiDocsView(SpectacularSwaggerSplitView):
    """The API's reference for people: Swagger UI over the published schema, its assets served
    from the installed package. Its script is a file (the split view), as the platform's policy
    wants; Swagger UI sets inline styles, which this page alone allows."""

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        if request.GET.get("script") is None:
            response.headers["Content-Security-Policy"] = (
                "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
                "connect-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'"
            )
        return response
