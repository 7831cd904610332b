"""The admin's clean-up import page (People → Import accounts): upload a CSV or XLSX, read the dry-run
report and each connection's readiness before anything changes, then apply it (inline for a small file,
on a worker with live progress for a large one). An edge: parse, check, call the services, render."""

from django.contrib import admin, messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_POST

from lms_identity.cleanup.files import ImportFileError, read_rows
from lms_identity.cleanup.report import build_report
from lms_identity.models import IdpConnection
from lms_identity.services.audit import Actor
from provisioning.errors import PreviewAlreadyApplied
from provisioning.models import JobKind, JobRun, RunStatus
from provisioning.services.account_imports import apply_preview, record_preview

VIEW_PERMISSION = "lms_identity.view_user"
# Applying an import starts a job: the L&D admin's "manage jobs" capability gives it.
APPLY_PERMISSION = "provisioning.add_jobrun"
MAX_BYTES = 50 * 1024 * 1024
SHOWN = ":100"  # the slice of each list the page shows


@staff_member_required
def account_import(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm(VIEW_PERMISSION):
        raise PermissionDenied("Your roles do not include viewing people.")
    connections = list(IdpConnection.objects.order_by("slug"))
    context = {
        **admin.site.each_context(request),
        "title": "Import accounts (clean-up before SCIM)",
        "connections": connections,
        "can_apply": request.user.has_perm(APPLY_PERMISSION),
    }
    if request.method == "POST":
        upload = request.FILES.get("file")
        chosen = [c for c in connections if c.slug == request.POST.get("connection")] or connections
        if upload is None:
            context["error"] = "Choose a CSV or XLSX file to check."
        elif upload.size is not None and upload.size > MAX_BYTES:
            context["error"] = f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB."
        else:
            try:
                rows, invalid = read_rows(upload.read(), name=upload.name or "")
            except ImportFileError as exc:
                context["error"] = f"{upload.name}: {exc}"
            else:
                report = build_report(rows, invalid, connections=chosen)
                preview = record_preview(
                    rows, invalid, report, file_name=upload.name or "", actor=Actor.of_admin(request.user)
                )
                context.update(report=report, preview=preview, shown=SHOWN, file_name=upload.name)
    return TemplateResponse(request, "provisioning/account_import.html", context)


@staff_member_required
@require_POST
def account_import_apply(request: HttpRequest, run_id: int) -> HttpResponse:
    if not (request.user.has_perm(VIEW_PERMISSION) and request.user.has_perm(APPLY_PERMISSION)):
        raise PermissionDenied("Your roles do not include running jobs.")
    preview = get_object_or_404(
        JobRun, pk=run_id, kind=JobKind.ACCOUNT_IMPORT, dry_run=True, status=RunStatus.DONE
    )
    if preview.counts.get("invalid_rows") or preview.counts.get("blocked_groups"):
        messages.error(request, "This file has problems that block the import; fix them and check it again.")
        return HttpResponseRedirect(reverse("account_import"))
    try:
        run = apply_preview(preview, actor=Actor.of_admin(request.user))
    except PreviewAlreadyApplied:
        messages.error(request, "This file was imported already; check it again to import it again.")
        return HttpResponseRedirect(reverse("account_import"))
    where = "done" if run.status == RunStatus.DONE else "queued for a worker; this page follows it live"
    messages.success(request, f"Import #{run.pk} of {preview.params.get('file_name', 'the file')}: {where}.")
    return HttpResponseRedirect(reverse("admin:provisioning_jobrun_change", args=[run.pk]))
