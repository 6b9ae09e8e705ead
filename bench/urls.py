from django.urls import path

from bench.api import StoreBlobView
from marketplace.urls import urlpatterns as product_urlpatterns

urlpatterns = [path("bench/blob/", StoreBlobView.as_view(), name="bench-blob"), *product_urlpatterns]
