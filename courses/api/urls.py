from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from . import people, reporting, views

router = DefaultRouter()
router.register("courses", views.CourseViewSet, basename="course")
router.register("paths", views.PathViewSet, basename="path")
router.register("rules", views.RuleViewSet, basename="rule")
router.register("license-pools", views.PoolViewSet, basename="license-pool")
router.register("overrides", views.OverrideViewSet, basename="override")
router.register("people", people.PersonViewSet, basename="person")
router.register("teams", people.TeamViewSet, basename="team")
router.register("enrollments", reporting.EnrollmentViewSet, basename="enrollment")
router.register("completions", reporting.CompletionViewSet, basename="completion")
router.register("grants", reporting.GrantViewSet, basename="grant")

urlpatterns = [
    path(
        "api/v1/people/<uuid:user_id>/grants/",
        views.PersonGrantsViewSet.as_view({"get": "list"}),
        name="person-grants",
    ),
    path("api/v1/learn/courses/<slug:slug>/", views.learner_course, name="learner-course"),
    path("api/v1/", include(router.urls)),
    # Admins only, like the API itself (SPECTACULAR_SETTINGS["SERVE_PERMISSIONS"]).
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its start-up script as a file, so the page needs no inline script (CSP).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
]
