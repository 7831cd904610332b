from django.urls import path

from . import account_import_views, dashboard_views

urlpatterns = [
    path("admin/dashboard/", dashboard_views.dashboard, name="identity_dashboard"),
    path("admin/people/import/", account_import_views.account_import, name="account_import"),
    path(
        "admin/people/import/<int:run_id>/apply/",
        account_import_views.account_import_apply,
        name="account_import_apply",
    ),
]
