"""My sessions (/account/sessions/): every signed-in person sees their sessions and ends any of them."""

from django.contrib import auth, messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from lms_identity.models import User
from lms_identity.models.sessions import EndCause
from lms_identity.services.audit import Actor
from lms_identity.services.sessions import end_session, end_sessions_of, list_sessions_of

from .devices import describe_device

PAGE = "/account/sessions/"


@login_required
@require_http_methods(["GET", "POST"])
def my_sessions(request: HttpRequest) -> HttpResponse:
    """GET lists the sessions; POST `session=<id>` ends that one, POST `others=1` all but this one."""
    user = request.user
    assert isinstance(user, User)  # login_required
    current = request.session.session_key
    if request.method == "POST":
        actor = Actor.of_user(user)
        if request.POST.get("others"):
            count = end_sessions_of(user, cause=EndCause.SELF, actor=actor, except_key=current)
            messages.success(request, f"Signed out {count} other session{'s' if count != 1 else ''}.")
            return HttpResponseRedirect(PAGE)
        chosen = list_sessions_of(user).filter(pk=_int(request.POST.get("session"))).first()
        if chosen is None:
            messages.error(request, "That session has already ended.")
            return HttpResponseRedirect(PAGE)
        end_session(chosen.session_key, cause=EndCause.SELF, actor=actor)
        if chosen.session_key == current:
            auth.logout(request)
            return HttpResponseRedirect("/login/")
        messages.success(request, "Signed out that session.")
        return HttpResponseRedirect(PAGE)
    rows = [
        {
            "id": s.pk,
            "device": describe_device(s.user_agent),
            "user_agent": s.user_agent,
            "address": s.ip_address or "unknown",
            "signed_in": s.created_at,
            "last_seen": s.last_seen_at,
            "mfa": s.mfa_evidenced,
            "connection": s.connection.name if s.connection else "Password",
            "current": s.session_key == current,
        }
        for s in list_sessions_of(user)
    ]
    return render(request, "lms_identity/my_sessions.html", {"sessions": rows})


def _int(value: str | None) -> int:
    try:
        return int(value or "")
    except ValueError:
        return 0
