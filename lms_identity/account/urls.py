from django.urls import path

from . import views

urlpatterns = [
    path("account/sessions/", views.my_sessions, name="my_sessions"),
]
