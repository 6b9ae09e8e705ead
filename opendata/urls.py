from django.urls import path

from opendata import views

app_name = "opendata"

urlpatterns = [
    path("integrity/", views.integrity, name="integrity"),
]
