"""The jobs API's serializers: they parse and present; starting and acknowledging are the services'."""

from typing import Any

from rest_framework import serializers

from provisioning.models import Alert, JobKind, JobRun, RunStatus
from provisioning.services.account_imports import without_rows
from provisioning.sweeps.registry import STARTABLE_KINDS, get_sweep


class JobRunSerializer(serializers.ModelSerializer):
    """A run of a sweep or walk: `status` queued, running, done, braked, failed or skipped; `counts` what
    it did; `report` what a dry run would do (a sample of people) or why the brake stopped it."""

    progress_percent = serializers.IntegerField(read_only=True, allow_null=True)
    # An account import's rows (names and emails) are counted, not listed, as on the admin page: the
    # API is open to roles that may not see people.
    params = serializers.SerializerMethodField()

    class Meta:
        model = JobRun
        fields = [
            "id",
            "kind",
            "trigger",
            "dry_run",
            "status",
            "params",
            "created_at",
            "started_at",
            "finished_at",
            "processed",
            "total",
            "progress_percent",
            "counts",
            "report",
            "error",
        ]
        read_only_fields = fields

    def get_params(self, run: JobRun) -> dict[str, Any]:
        return without_rows(run.params)


class JobRunFilter(serializers.Serializer):
    kind = serializers.ChoiceField(choices=JobKind.choices, required=False)
    status = serializers.ChoiceField(choices=RunStatus.choices, required=False)
    dry_run = serializers.BooleanField(required=False, allow_null=True, default=None)


class StartRunSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=STARTABLE_KINDS, help_text="Which sweep or walk to run.")
    dry_run = serializers.BooleanField(default=False, help_text="Report only; change nothing.")
    confirm_share = serializers.FloatField(
        required=False,
        min_value=0.01,
        max_value=1.0,
        help_text="Confirm a braked run: let this run act on up to this share of a connection's people "
        "(0.4 = 40 %), above the sweep's brake share, for this run only.",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "confirm_share" in attrs and not get_sweep(attrs["kind"]).braked:
            raise serializers.ValidationError({"confirm_share": [f"{attrs['kind']} has no safety brake"]})
        return attrs


class AlertSerializer(serializers.ModelSerializer):
    """Something an admin must look at; `resolved_at` is set once it is acknowledged or its condition
    is gone."""

    class Meta:
        model = Alert
        fields = [
            "id",
            "key",
            "message",
            "job_run",
            "created_at",
            "last_seen_at",
            "occurrences",
            "resolved_at",
        ]
        read_only_fields = fields


class AlertFilter(serializers.Serializer):
    state = serializers.ChoiceField(
        choices=["open", "resolved", "all"], default="open", help_text="Open alerts unless asked."
    )
