"""The jobs part of the admin API, under /api/v1/ beside courses' (mounted in lms_identity/urls.py: the
courses app never imports provisioning)."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("job-runs", views.JobRunViewSet, basename="job-run")
router.register("alerts", views.AlertViewSet, basename="alert")

urlpatterns = [path("api/v1/", include(router.urls))]
