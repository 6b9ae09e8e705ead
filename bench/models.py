from django.conf import settings
from django.db import models


class Blob(models.Model):
    """What the ceiling endpoint stores: one row per request."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"blob {self.pk}"
