"""Platform-level API endpoints."""

from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import generics, permissions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from marketplace import actions
from marketplace.models import ChainHead, Notification
from marketplace.models.audit import GENESIS_HASH
from marketplace.rest import MAX_ROW_NUMBER


class AuditHeadView(APIView):
    """The head of the audit chain: anyone can note it and later check nothing was rewritten."""

    @extend_schema(
        responses=OpenApiResponse(inline_serializer("AuditHead", {"hash": serializers.CharField(), "length": serializers.IntegerField()}))
    )
    def get(self, request):
        head = ChainHead.objects.filter(pk=1).values("audit_length", "audit_hash").first()
        if head is None:
            return Response({"hash": GENESIS_HASH, "length": 0})
        return Response({"hash": head["audit_hash"], "length": head["audit_length"]})


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
