from django.contrib import admin
from django.urls import include, path

from lms_identity.sso.admin_login import AdminLoginView

from . import landing

urlpatterns = [
    path("", landing.home, name="home"),
    path("favicon.ico", landing.favicon, name="favicon"),
    path("", include("provisioning.urls")),  # the admin dashboard, before the admin's catch-all
    # SSO buttons, and the password only for the break-glass account: before the admin's own login page.
    path("admin/login/", AdminLoginView.as_view(), name="admin_sso_login"),
    path("admin/", admin.site.urls),
    path("", include("provisioning.operations.urls")),  # /healthz, /readyz, /metrics
    path("scim/v2/", include("provisioning.scim.urls")),
    path("", include("lms_identity.sso.urls")),
    path("", include("lms_identity.account.urls")),
    path("", include("courses.urls")),
    path("", include("provisioning.api.urls")),  # /api/v1/job-runs/, /api/v1/alerts/
    path("", include("courses.api.urls")),
]
