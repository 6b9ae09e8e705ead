from django.urls import path

from contracts import views

urlpatterns = [
    path("", views.contracts, name="list"),
    path("<int:pk>/", views.contract, name="detail"),
    path("<int:pk>/sign/", views.sign, name="sign"),
    path("<int:pk>/decline/", views.decline, name="decline"),
]
