"""The ceiling: an authenticated endpoint that stores the request's 100 KB in one row, nothing more."""

from django.db import transaction
from rest_framework import permissions
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from bench.models import Blob


class StoreBlobView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    def post(self, request):
        blob = request.data.get("blob") if isinstance(request.data, dict) else None
        if not isinstance(blob, str):
            raise ValidationError({"blob": "a string is required"})
        with transaction.atomic():
            stored = Blob.objects.create(user=request.user, body=blob)
        return Response({"id": stored.pk}, status=201)
