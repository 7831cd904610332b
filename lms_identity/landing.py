"""`/`: where each visitor starts. Anonymous visitors sign in, staff land in the admin console, learners
on "My learning". Also the favicon every browser asks for at /favicon.ico."""

from django.http import HttpRequest, HttpResponseRedirect
from django.templatetags.static import static
from django.urls import reverse


def home(request: HttpRequest) -> HttpResponseRedirect:
    user = request.user
    if not user.is_authenticated:
        return HttpResponseRedirect(reverse("login"))
    if user.is_staff:
        return HttpResponseRedirect(reverse("admin:index"))
    return HttpResponseRedirect(reverse("my_learning"))


def favicon(request: HttpRequest) -> HttpResponseRedirect:
    return HttpResponseRedirect(static("lms_identity/favicon.svg"))
