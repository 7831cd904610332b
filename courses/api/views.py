"""The admin API (token or session auth; each call needs a permission the caller's roles give, see
courses/api/permissions.py) and the learner's course endpoint."""

import uuid
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action, api_view, permission_classes
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from lms_identity.models import User
from lms_identity.services.audit import Actor

from ..errors import InvalidInput, NotEntitled
from ..models import Course, EntitlementRule, Grant, LearningPath, LicensePool, Override, TargetType
from ..queries import check_course_access, list_person_grants
from ..services.catalog import save_course, save_path, set_path_steps
from ..services.overrides import remove_override, set_override
from ..services.pools import create_pool, seats_in_use, update_pool
from ..services.rules import build_rule, create_rule, delete_rule, preview_rule, update_rule
from ..targets import FIELDS, find_target
from . import serializers as s


def refuse(error: InvalidInput) -> ValidationError:
    """A service's refusal as a DRF 400 naming the field."""
    return ValidationError({error.field: [error.message]})


def resolve_target(target_type: str, target_id: int) -> Any:
    target = find_target(target_type, target_id)
    if target is None:
        raise ValidationError({"target_id": [f"no {target_type} with id {target_id}"]})
    return target


def actor_of(request: Request) -> Actor:
    return Actor.of_admin(request.user)


class CourseViewSet(viewsets.ModelViewSet):
    queryset = Course.objects.all()
    serializer_class = s.CourseSerializer
    lookup_field = "slug"

    def perform_create(self, serializer: serializers.BaseSerializer) -> None:
        serializer.instance = save_course(Course(**serializer.validated_data), actor=actor_of(self.request))

    def perform_update(self, serializer: serializers.BaseSerializer) -> None:
        course = serializer.instance
        for name, value in serializer.validated_data.items():
            setattr(course, name, value)
        save_course(course, actor=actor_of(self.request), changed=list(serializer.validated_data))

    def perform_destroy(self, instance: Course) -> None:
        raise ValidationError(
            {"detail": ["courses are never deleted (completions refer to them); unpublish it"]}
        )


class PathViewSet(viewsets.ModelViewSet):
    queryset = LearningPath.objects.all()
    serializer_class = s.PathSerializer
    lookup_field = "slug"

    def perform_create(self, serializer: serializers.BaseSerializer) -> None:
        data = dict(serializer.validated_data)
        courses = data.pop("courses")
        with transaction.atomic():
            path = save_path(LearningPath(**data), actor=actor_of(self.request))
            _set_steps(path, courses, actor_of(self.request))
        serializer.instance = path

    def perform_update(self, serializer: serializers.BaseSerializer) -> None:
        data = dict(serializer.validated_data)
        courses = data.pop("courses", None)
        path = serializer.instance
        with transaction.atomic():
            for name, value in data.items():
                setattr(path, name, value)
            save_path(path, actor=actor_of(self.request), changed=list(serializer.validated_data))
            if courses is not None:
                _set_steps(path, courses, actor_of(self.request))

    def perform_destroy(self, instance: LearningPath) -> None:
        raise ValidationError({"detail": ["learning paths are never deleted; unpublish it"]})


def _set_steps(path: LearningPath, courses: list[Course], actor: Actor) -> None:
    try:
        set_path_steps(path, courses, actor=actor)
    except InvalidInput as error:
        raise refuse(error) from None


class RuleViewSet(viewsets.ViewSet):
    serializer_class = s.RuleSerializer
    queryset = EntitlementRule.objects.none()
    lookup_value_regex = "[0-9]+"

    def _data(self, request: Request, partial: bool = False) -> dict[str, Any]:
        serializer = s.RuleSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if "target_type" in data or "target_id" in data:
            if "target_type" not in data or "target_id" not in data:
                raise ValidationError({"target_id": ["give target_type and target_id together"]})
            data["target"] = resolve_target(data["target_type"], data.pop("target_id"))
        return data

    def list(self, request: Request) -> Response:
        rules = EntitlementRule.objects.prefetch_related("groups").select_related(*FIELDS)
        return Response([s.RuleSerializer(r).data for r in rules])

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(s.RuleSerializer(get_object_or_404(EntitlementRule, pk=pk)).data)

    def create(self, request: Request) -> Response:
        try:
            rule, summary = create_rule(self._data(request), actor=actor_of(request))
        except InvalidInput as error:
            raise refuse(error) from None
        return Response({**s.RuleSerializer(rule).data, "applied": summary}, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk: str) -> Response:
        rule = get_object_or_404(EntitlementRule, pk=pk)
        try:
            changed, summary = update_rule(rule, self._data(request, partial=True), actor=actor_of(request))
        except InvalidInput as error:
            raise refuse(error) from None
        rule.refresh_from_db()
        return Response({**s.RuleSerializer(rule).data, "changed": changed, "applied": summary})

    def update(self, request: Request, pk: str) -> Response:
        return self.partial_update(request, pk)

    def destroy(self, request: Request, pk: str) -> Response:
        delete_rule(get_object_or_404(EntitlementRule, pk=pk), actor=actor_of(request))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=s.RuleSerializer, responses=s.RulePreviewSerializer, operation_id="rules_preview_new"
    )
    @action(detail=False, methods=["post"])
    def preview(self, request: Request) -> Response:
        """What a new rule would do if saved and enabled: nothing is written."""
        try:
            draft, group_ids = build_rule(self._data(request))
        except InvalidInput as error:
            raise refuse(error) from None
        return Response(preview_rule(draft, group_ids))

    @extend_schema(
        request=s.RuleSerializer, responses=s.RulePreviewSerializer, operation_id="rules_preview_change"
    )
    @action(detail=True, methods=["post"], url_path="preview")
    def preview_change(self, request: Request, pk: str) -> Response:
        """What these changes to a rule (or, with an empty body, enabling it as it is) would do."""
        rule = get_object_or_404(EntitlementRule, pk=pk)
        try:
            draft, group_ids = build_rule(self._data(request, partial=True), rule)
        except InvalidInput as error:
            raise refuse(error) from None
        return Response(preview_rule(draft, group_ids))


class PoolViewSet(viewsets.ViewSet):
    serializer_class = s.PoolSerializer
    queryset = LicensePool.objects.none()
    lookup_value_regex = "[0-9]+"

    def list(self, request: Request) -> Response:
        pools = list(LicensePool.objects.all())
        usage = seats_in_use(p.pk for p in pools)
        return Response([s.PoolSerializer(p, context={"usage": usage}).data for p in pools])

    def retrieve(self, request: Request, pk: str) -> Response:
        pool = get_object_or_404(LicensePool, pk=pk)
        return Response(s.PoolSerializer(pool, context={"usage": seats_in_use([pool.pk])}).data)

    def create(self, request: Request) -> Response:
        serializer = s.PoolSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            pool = create_pool(actor=actor_of(request), **serializer.validated_data)
        except InvalidInput as error:
            raise refuse(error) from None
        return Response(s.PoolSerializer(pool).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk: str) -> Response:
        pool = get_object_or_404(LicensePool, pk=pk)
        serializer = s.PoolSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        try:
            update_pool(pool, actor=actor_of(request), changes=dict(serializer.validated_data))
        except InvalidInput as error:
            raise refuse(error) from None
        return self.retrieve(request, pk)

    def update(self, request: Request, pk: str) -> Response:
        return self.partial_update(request, pk)

    @extend_schema(responses=s.GrantSerializer(many=True))
    @action(detail=True, methods=["get"])
    def usage(self, request: Request, pk: str) -> Response:
        """Who holds a seat (active), who is in their grace days, and who gave one back."""
        pool = get_object_or_404(LicensePool, pk=pk)
        pool_grants = list(pool_grants_of(pool).select_related("user").order_by("state", "user__user_name"))
        return Response(
            {
                **s.PoolSerializer(pool, context={"usage": seats_in_use([pool.pk])}).data,
                "holders": [
                    {
                        "user": str(g.user_id),
                        "user_name": g.user.user_name,
                        "state": g.state,
                        "grace_until": g.grace_until,
                    }
                    for g in pool_grants
                    if g.state == "active"
                ],
                "reclaimed": sum(1 for g in pool_grants if g.state == "revoked"),
            }
        )


def pool_grants_of(pool: LicensePool) -> QuerySet[Any]:
    return Grant.objects.filter(pool=pool, target_type=TargetType.SEAT)


class PersonGrantsViewSet(viewsets.GenericViewSet, mixins.ListModelMixin):
    serializer_class = s.GrantSerializer
    capability_model = Grant  # checked before get_queryset looks the person up

    def get_queryset(self) -> QuerySet[Any]:
        person = get_object_or_404(User, pk=self.kwargs["user_id"])
        return list_person_grants(person.pk)


class OverrideViewSet(viewsets.ViewSet):
    serializer_class = s.OverrideSerializer
    queryset = Override.objects.none()
    lookup_value_regex = "[0-9]+"

    def list(self, request: Request) -> Response:
        rows = Override.objects.select_related(*FIELDS)
        if request.query_params.get("user"):
            try:
                rows = rows.filter(user_id=uuid.UUID(request.query_params["user"]))
            except ValueError:
                raise ValidationError({"user": ["not a person id"]}) from None
        return Response([s.OverrideSerializer(o).data for o in rows])

    def create(self, request: Request) -> Response:
        serializer = s.OverrideSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        person = User.objects.filter(pk=data["user"]).first()
        if person is None:
            raise ValidationError({"user": ["no such person"]})
        try:
            override, summary = set_override(
                person,
                actor=actor_of(request),
                target_type=data["target_type"],
                target=resolve_target(data["target_type"], data["target_id"]),
                effect=data["effect"],
                expires_at=data["expires_at"],
                reason=data["reason"],
            )
        except InvalidInput as error:
            raise refuse(error) from None
        return Response(
            {**s.OverrideSerializer(override).data, "applied": summary}, status=status.HTTP_201_CREATED
        )

    def destroy(self, request: Request, pk: str) -> Response:
        remove_override(get_object_or_404(Override, pk=pk), actor=actor_of(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(responses=s.LearnerCourseSerializer)
@api_view(["GET"])
@permission_classes([permissions.IsAuthenticated])
def learner_course(request: Request, slug: str) -> Response:
    """A course as the signed-in learner sees it; 403 with the reason when they may not open it."""
    course = get_object_or_404(Course, slug=slug)
    try:
        check_course_access(request.user, course)
    except NotEntitled as refusal:
        raise PermissionDenied(refusal.reason) from None
    enrollment = course.enrollments.filter(user_id=request.user.pk).first()
    return Response(
        {
            "slug": course.slug,
            "title": course.title,
            "description": course.description,
            "progress": enrollment.progress if enrollment else "not_started",
        }
    )
