from django.urls import path

from .health import LivenessView, ReadinessView
from .metrics import metrics

urlpatterns = [
    path("healthz", LivenessView.as_view(), name="healthz"),
    path("readyz", ReadinessView.as_view(), name="readyz"),
    path("metrics", metrics, name="metrics"),
]
