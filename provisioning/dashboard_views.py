"""The admin dashboard page: an edge that renders `dashboard_figures`."""

from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from .dashboard_queries import dashboard_figures


@staff_member_required
def dashboard(request: HttpRequest) -> HttpResponse:
    context = {**admin.site.each_context(request), "title": "Identity dashboard", **dashboard_figures()}
    return TemplateResponse(request, "provisioning/dashboard.html", context)
