from django.urls import path

from opendata import views

app_name = "opendata"

urlpatterns = [
    path("statistics/", views.statistics, name="statistics"),
    path("statistics/<slug:name>.csv", views.statistics_csv, name="statistics-csv"),
    path("integrity/", views.integrity, name="integrity"),
]
