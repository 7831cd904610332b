from django.urls import path

from . import views

urlpatterns = [
    path("learn/", views.my_learning, name="my_learning"),
]
