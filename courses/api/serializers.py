"""DRF serializers: they parse and present; validation of rules, pools and overrides is the services'."""

from typing import Any

from rest_framework import serializers

from lms_identity.models import Group, User

from ..models import (
    Course,
    Enrollment,
    EntitlementRule,
    Grant,
    LearningPath,
    LicensePool,
    Override,
    OverrideEffect,
    RemovalPolicy,
    TargetType,
)

# What the database columns hold (PositiveIntegerField and BigAutoField fit in these).
MAX_INT = 2**31 - 1
MAX_DAYS = 36_500


class CourseSerializer(serializers.ModelSerializer):
    class Meta:
        model = Course
        fields = ["id", "slug", "title", "description", "published", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]


class PathSerializer(serializers.ModelSerializer):
    courses = serializers.SlugRelatedField(
        slug_field="slug", many=True, queryset=Course.objects.all(), help_text="Course slugs, in order."
    )

    class Meta:
        model = LearningPath
        fields = ["id", "slug", "title", "description", "published", "courses"]
        read_only_fields = ["id"]

    def to_representation(self, instance: LearningPath) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["courses"] = [step.course.slug for step in instance.steps.select_related("course")]
        return data

    def validate_courses(self, value: list[Course]) -> list[Course]:
        if len({c.pk for c in value}) != len(value):
            raise serializers.ValidationError("a course appears twice in the path")
        return value


class RuleSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(max_length=255)
    enabled = serializers.BooleanField(default=True)
    groups = serializers.ListField(child=serializers.CharField(max_length=64), required=False, default=list)
    conditions = serializers.JSONField(
        required=False,
        default=list,
        help_text='[{"attribute": "department", "values": ["Engineering"]}]; attributes: department, title, '
        "division, organization, cost_center, custom_attributes.<name>",
    )
    hire_within_days = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=0, max_value=MAX_DAYS
    )
    removal_policy = serializers.ChoiceField(choices=RemovalPolicy.choices, default="suspend")
    target_type = serializers.ChoiceField(choices=TargetType.choices)
    target_id = serializers.IntegerField(
        min_value=1, max_value=MAX_INT, help_text="Id of the course, path, role template or license pool."
    )

    def to_representation(self, instance: EntitlementRule) -> dict[str, Any]:
        return {
            "id": instance.pk,
            "name": instance.name,
            "enabled": instance.enabled,
            "groups": [str(g) for g in instance.groups.values_list("pk", flat=True)],
            "conditions": instance.conditions,
            "hire_within_days": instance.hire_within_days,
            "removal_policy": instance.removal_policy,
            "target_type": instance.target_type,
            "target_id": getattr(instance.target, "pk", None),
            "target": str(instance.target),
        }


class RulePreviewSerializer(serializers.Serializer):
    target = serializers.CharField()
    target_type = serializers.CharField()
    matches = serializers.IntegerField()
    gain = serializers.DictField()
    lose = serializers.DictField()
    seats_free = serializers.IntegerField(allow_null=True)


class PoolSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    product = serializers.CharField(max_length=255)
    seat_count = serializers.IntegerField(min_value=0, max_value=MAX_INT)
    grace_days = serializers.IntegerField(min_value=0, max_value=MAX_DAYS, default=0)
    seats_in_use = serializers.IntegerField(read_only=True)
    utilization_percent = serializers.IntegerField(read_only=True)

    def to_representation(self, instance: LicensePool) -> dict[str, Any]:
        used = self.context.get("usage", {}).get(instance.pk, 0)
        return {
            "id": instance.pk,
            "product": instance.product,
            "seat_count": instance.seat_count,
            "grace_days": instance.grace_days,
            "seats_in_use": used,
            "utilization_percent": round(100 * used / instance.seat_count) if instance.seat_count else 100,
        }


class GrantSerializer(serializers.ModelSerializer):
    target = serializers.SerializerMethodField()
    rule = serializers.SerializerMethodField()

    class Meta:
        model = Grant
        fields = [
            "id",
            "key",
            "target_type",
            "target",
            "origin",
            "rule",
            "state",
            "grace_until",
            "created_at",
            "updated_at",
        ]

    def get_target(self, grant: Grant) -> str:
        return str(grant.target)

    def get_rule(self, grant: Grant) -> str | None:
        return grant.rule.name if grant.rule else None


class OverrideSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    user = serializers.UUIDField()
    target_type = serializers.ChoiceField(choices=TargetType.choices)
    target_id = serializers.IntegerField(min_value=1, max_value=MAX_INT)
    effect = serializers.ChoiceField(choices=OverrideEffect.choices)
    expires_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=255)

    def to_representation(self, instance: Override) -> dict[str, Any]:
        return {
            "id": instance.pk,
            "user": str(instance.user_id),
            "target_type": instance.target_type,
            "target_id": getattr(instance.target, "pk", None),
            "effect": instance.effect,
            "expires_at": instance.expires_at.isoformat() if instance.expires_at else None,
            "reason": instance.reason,
        }


class LearnerCourseSerializer(serializers.Serializer):
    slug = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField()
    progress = serializers.CharField()


class PersonSerializer(serializers.ModelSerializer):
    """A person as the directory lists them. `id` is the id SCIM uses (`/scim/v2/Users/{id}`)."""

    active = serializers.SerializerMethodField(help_text="May sign in: neither deactivated nor deleted.")
    connection = serializers.SerializerMethodField(help_text="The slug of their IdP connection, if any.")
    manager = serializers.UUIDField(source="manager_id", read_only=True, allow_null=True)

    class Meta:
        model = User
        fields = [
            "id",
            "user_name",
            "external_id",
            "email",
            "display_name",
            "given_name",
            "family_name",
            "title",
            "department",
            "employee_number",
            "manager",
            "connection",
            "source",
            "active",
            "created_at",
            "updated_at",
            "deactivated_at",
            "deleted_at",
        ]

    def get_active(self, person: User) -> bool:
        return person.is_active and person.deleted_at is None

    def get_connection(self, person: User) -> str | None:
        return person.connection.slug if person.connection is not None else None


class TeamSerializer(serializers.ModelSerializer):
    """A team. `id` is the id SCIM uses (`/scim/v2/Groups/{id}`)."""

    connection = serializers.SerializerMethodField(help_text="The slug of its IdP connection, if any.")
    member_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Group
        fields = ["id", "display_name", "external_id", "connection", "source", "member_count", "created_at"]

    def get_connection(self, team: Group) -> str | None:
        return team.connection.slug if team.connection is not None else None


class EnrollmentSerializer(serializers.ModelSerializer):
    """A person's progress in a course: `progress` is enrolled, in_progress or completed."""

    person = serializers.UUIDField(source="user_id", read_only=True, help_text="The person's (SCIM) id.")
    user_name = serializers.CharField(source="user.user_name", read_only=True)
    course = serializers.CharField(source="course.slug", read_only=True)
    enrolled_at = serializers.DateTimeField(source="created_at", read_only=True)

    class Meta:
        model = Enrollment
        fields = [
            "id",
            "person",
            "user_name",
            "course",
            "progress",
            "enrolled_at",
            "started_at",
            "completed_at",
        ]


class GrantReportSerializer(GrantSerializer):
    """A grant for reporting: who may open what (`key` is type:id), why (`origin`, `rule`), and its state."""

    person = serializers.UUIDField(source="user_id", read_only=True, help_text="The person's (SCIM) id.")
    user_name = serializers.CharField(source="user.user_name", read_only=True)

    class Meta(GrantSerializer.Meta):
        fields = ["id", "person", "user_name", *GrantSerializer.Meta.fields[1:]]
