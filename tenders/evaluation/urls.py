from django.urls import path

from tenders.evaluation import views

urlpatterns = [
    path("", views.notices, name="list"),
    path("<int:pk>/", views.notice, name="detail"),
]
