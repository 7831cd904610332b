from django.urls import path

from . import dashboard_views

urlpatterns = [
    path("admin/dashboard/", dashboard_views.dashboard, name="identity_dashboard"),
]
