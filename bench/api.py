"""The ceiling: an authenticated endpoint that stores the request's 100 KB in one row, nothing more."""

from django.db import transaction
from rest_framework import permissions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from bench.models import Blob


class BlobSerializer(serializers.Serializer):
    blob = serializers.CharField(trim_whitespace=False)


class StoreBlobView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    def post(self, request):
        serializer = BlobSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():
            blob = Blob.objects.create(user=request.user, body=serializer.validated_data["blob"])
        return Response({"id": blob.pk}, status=201)
