"""The project's URLs plus the ceiling views, served by the same gunicorn in the same run."""

from django.urls import include, path

from bench import views

urlpatterns = [
    path("bench/ceiling/read/<int:pk>/", views.read_one_row),
    path("bench/ceiling/insert/", views.insert_one_row),
    path("bench/ceiling/update/<int:pk>/", views.update_one_row),
    path("", include("lms_identity.urls")),
]
