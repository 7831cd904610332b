"""The admin dashboard page: an edge that renders `dashboard_figures`."""

from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from courses.capabilities import DASHBOARD_PERMISSION

from .dashboard import dashboard_figures


@staff_member_required
def dashboard(request: HttpRequest) -> HttpResponse:
    # Signed in to the admin is not enough: the figures are for roles with the dashboards capability.
    if not request.user.has_perm(DASHBOARD_PERMISSION):
        raise PermissionDenied("Your roles do not include the dashboards.")
    context = {**admin.site.each_context(request), "title": "Identity dashboard", **dashboard_figures()}
    return TemplateResponse(request, "provisioning/dashboard.html", context)
