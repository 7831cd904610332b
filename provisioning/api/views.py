"""The jobs API: job runs (read; start a sweep or a dry run) and alerts (read; acknowledge). Reading needs
the roles' view permission of job runs or alerts (L&D admin, Auditor); starting a run needs add, and
acknowledging an alert change (L&D admin). Each write is one service call, the same the admin makes."""

from django.db.models import QuerySet
from django.urls import reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from courses.api.filters import parse_filters
from courses.api.pagination import NewestFirstPagination
from lms_identity.services.audit import Actor
from provisioning.errors import JobAlreadyRunning
from provisioning.models import Alert, JobRun, Trigger
from provisioning.services.alerts import acknowledge_alert
from provisioning.services.job_runs import start_job

from . import serializers as s


@extend_schema_view(list=extend_schema(parameters=[s.JobRunFilter]))
class JobRunViewSet(viewsets.GenericViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    serializer_class = s.JobRunSerializer
    pagination_class = NewestFirstPagination
    capability_model = JobRun
    lookup_value_regex = "[0-9]+"

    def get_queryset(self) -> QuerySet[JobRun]:
        runs = JobRun.objects.all()
        if self.action != "list":
            return runs
        filters = {k: v for k, v in parse_filters(s.JobRunFilter, self.request).items() if v is not None}
        return runs.filter(**filters)

    @extend_schema(
        request=s.StartRunSerializer,
        responses={
            202: s.JobRunSerializer,
            409: OpenApiResponse(description="A run of this kind is queued or running: `run` is its id."),
        },
    )
    def create(self, request: Request) -> Response:
        """Queue a run (or a dry run) of a sweep, as the Sweeps page's buttons do; follow it at its URL."""
        start = s.StartRunSerializer(data=request.data)
        start.is_valid(raise_exception=True)
        try:
            run = start_job(
                start.validated_data["kind"],
                dry_run=start.validated_data["dry_run"],
                confirm_share=start.validated_data.get("confirm_share"),
                trigger=Trigger.API,
                actor=Actor.of_admin(request.user),
            )
        except JobAlreadyRunning as busy:
            # DRF's error shape ({"detail": ...}) with the run in progress, to follow instead.
            return Response({"detail": str(busy), "run": busy.run.pk}, status=status.HTTP_409_CONFLICT)
        location = reverse("job-run-detail", args=[run.pk])
        return Response(
            s.JobRunSerializer(run).data, status=status.HTTP_202_ACCEPTED, headers={"Location": location}
        )


@extend_schema_view(list=extend_schema(parameters=[s.AlertFilter]))
class AlertViewSet(viewsets.GenericViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    serializer_class = s.AlertSerializer
    pagination_class = NewestFirstPagination
    capability_model = Alert
    capability_action: str | None = None
    lookup_value_regex = "[0-9]+"

    def get_queryset(self) -> QuerySet[Alert]:
        alerts = Alert.objects.all()
        if self.action != "list":
            return alerts
        state = parse_filters(s.AlertFilter, self.request)["state"]
        if state == "all":
            return alerts
        return alerts.filter(resolved_at__isnull=state == "open")

    @extend_schema(request=None, responses=s.AlertSerializer)
    @action(detail=True, methods=["post"], capability_action="change")
    def acknowledge(self, request: Request, pk: str) -> Response:
        """Close the alert (the admin's "Mark as resolved"), audited with who; a repeat changes nothing."""
        alert = self.get_object()
        acknowledge_alert(alert, actor=Actor.of_admin(request.user))
        return Response(s.AlertSerializer(alert).data)
