"""Learner pages: My learning, a course, progress, and a manager's team."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from lms_identity.services.audit import Actor

from .errors import InvalidInput, NotEntitled
from .models import Course
from .queries import check_course_access, list_roles, list_team, team_progress
from .queries import my_learning as learning_of
from .services.progress import record_progress


@login_required
def my_learning(request: HttpRequest) -> HttpResponse:
    context = learning_of(request.user)
    context["person"] = request.user
    context["has_team"] = request.user.direct_reports.exists()  # type: ignore[union-attr]
    context["roles"] = list_roles(request.user)
    return render(request, "courses/my_learning.html", context)


@login_required
def course_detail(request: HttpRequest, slug: str) -> HttpResponse:
    course = get_object_or_404(Course, slug=slug)
    try:
        check_course_access(request.user, course)
    except NotEntitled as refusal:
        return render(
            request, "courses/not_entitled.html", {"course": course, "reason": refusal.reason}, status=403
        )
    enrollment = course.enrollments.filter(user=request.user).first()  # type: ignore[misc]
    return render(request, "courses/course.html", {"course": course, "enrollment": enrollment})


@login_required
@require_POST
def course_progress(request: HttpRequest, slug: str) -> HttpResponse:
    course = get_object_or_404(Course, slug=slug)
    try:
        record_progress(
            request.user,  # type: ignore[arg-type]
            course,
            progress=request.POST.get("progress", ""),
            actor=Actor.of_user(request.user),
        )
    except NotEntitled as refusal:
        return render(
            request, "courses/not_entitled.html", {"course": course, "reason": refusal.reason}, status=403
        )
    except InvalidInput as error:
        return render(
            request, "courses/not_entitled.html", {"course": course, "reason": error.message}, status=400
        )
    return redirect("course_detail", slug=course.slug)


@login_required
def my_team(request: HttpRequest) -> HttpResponse:
    team = list_team(request.user)
    progress = team_progress([person for person, _ in team])
    rows = [{"person": person, "depth": depth, **progress[person.pk]} for person, depth in team]
    return render(request, "courses/team.html", {"rows": rows})
