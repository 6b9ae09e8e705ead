from django.urls import path

from contracts import views

urlpatterns = [
    path("", views.contracts, name="list"),
    path("<int:pk>/", views.contract, name="detail"),
    path("<int:pk>/prepare/", views.prepare, name="prepare"),
    path("<int:pk>/send/", views.send, name="send"),
    path("<int:pk>/sign/", views.sign, name="sign"),
    path("<int:pk>/decline/", views.decline, name="decline"),
    path("<int:pk>/terminate/", views.terminate, name="terminate"),
    path("<int:pk>/amendments/", views.propose_amendment, name="propose-amendment"),
    path("<int:pk>/amendments/<int:number>/sign/", views.sign_amendment, name="sign-amendment"),
    path("<int:pk>/amendments/<int:number>/decline/", views.decline_amendment, name="decline-amendment"),
    path("<int:pk>/rating/", views.rate, name="rate"),
    path("<int:pk>/rating/answer/", views.answer, name="answer"),
    path("<int:pk>/milestones/<int:number>/deliver/", views.deliver, name="deliver"),
    path("<int:pk>/milestones/<int:number>/accept/", views.accept, name="accept"),
    path("<int:pk>/milestones/<int:number>/reject/", views.reject, name="reject"),
]
