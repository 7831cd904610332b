"""The instructor's page: the learners and progress of the courses they teach, nothing else."""

from itertools import groupby

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .models import Capability
from .queries import capabilities_of, list_taught_enrollments


@login_required
def my_courses_learners(request: HttpRequest) -> HttpResponse:
    if Capability.TEACH not in capabilities_of(request.user):
        return render(request, "courses/not_an_instructor.html", status=403)
    enrollments = list_taught_enrollments(request.user)
    courses = [(course, list(rows)) for course, rows in groupby(enrollments, key=lambda e: e.course)]
    return render(request, "courses/teaching.html", {"courses": courses})
