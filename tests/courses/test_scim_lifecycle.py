"""Joiner, mover and leaver driven through real SCIM requests, then the reconciler (which the outbox
dispatcher runs on a worker; called directly here)."""

import pytest

from courses.models import Enrollment, Grant, Progress
from courses.queries import entitled_course_ids
from courses.reconcile import reconcile_people
from courses.services.pools import create_pool
from courses.services.progress import record_progress
from lms_identity.models import User
from tests.factories import CourseFactory, EntitlementRuleFactory
from tests.provisioning.scim.conftest import patch_op

pytestmark = pytest.mark.django_db

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def join(scim, user_name, department):
    body = {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
        "userName": user_name,
        "name": {"givenName": "Sam", "familyName": "Joiner"},
        "emails": [{"value": user_name, "primary": True}],
        "active": True,
        ENTERPRISE: {"department": department},
    }
    response = scim.post("Users", body)
    assert response.status_code == 201, response.content
    return response.json()["id"]


def group(scim, name):
    response = scim.post(
        "Groups", {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": name}
    )
    assert response.status_code == 201, response.content
    return response.json()["id"]


def members(scim, group_id, op, user_id):
    value = [{"value": user_id}] if op == "add" else None
    operation = {"op": op, "path": "members" if op == "add" else f'members[value eq "{user_id}"]'}
    if value:
        operation["value"] = value
    response = scim.patch(f"Groups/{group_id}", patch_op(operation))
    assert response.status_code in (200, 204), response.content


def test_joiner_mover_leaver_through_scim(scim, system_actor):
    from lms_identity.models import Group

    eng_id, sales_id = group(scim, "Engineering"), group(scim, "Sales")
    eng, sales = Group.objects.get(pk=eng_id), Group.objects.get(pk=sales_id)
    python, negotiation = CourseFactory(slug="python"), CourseFactory(slug="negotiation")
    essentials = CourseFactory(slug="essentials")
    pool = create_pool(actor=system_actor, product="Copilot", seat_count=1)
    EntitlementRuleFactory(target=python, groups=[eng], removal_policy="revoke")
    EntitlementRuleFactory(target=pool, groups=[eng])
    EntitlementRuleFactory(target=negotiation, groups=[sales])
    EntitlementRuleFactory(
        target=essentials, conditions=[{"attribute": "department", "values": ["Engineering", "Sales"]}]
    )

    # Joiner: created by the IdP and put in Engineering.
    user_id = join(scim, "sam@example.com", "Engineering")
    members(scim, eng_id, "add", user_id)
    reconcile_people([user_id], actor=system_actor)
    person = User.objects.get(pk=user_id)
    assert entitled_course_ids(person) == {python.pk, essentials.pk}
    assert Grant.objects.get(user=person, pool=pool).state == "active"
    record_progress(person, python, progress=Progress.COMPLETED, actor=system_actor)

    # Mover: from Engineering to Sales, department too.
    members(scim, eng_id, "remove", user_id)
    members(scim, sales_id, "add", user_id)
    response = scim.patch(
        f"Users/{user_id}", patch_op({"op": "replace", "path": f"{ENTERPRISE}:department", "value": "Sales"})
    )
    assert response.status_code in (200, 204), response.content
    reconcile_people([user_id], actor=system_actor)
    assert entitled_course_ids(person) == {negotiation.pk, essentials.pk}
    assert Grant.objects.get(user=person, course=python).state == "revoked"
    assert Grant.objects.get(user=person, pool=pool).state == "revoked"

    # Leaver: deactivated by the IdP.
    members(scim, eng_id, "add", user_id)
    reconcile_people([user_id], actor=system_actor)
    assert Grant.objects.get(user=person, pool=pool).state == "active"
    response = scim.patch(f"Users/{user_id}", patch_op({"op": "replace", "path": "active", "value": False}))
    assert response.status_code in (200, 204), response.content
    reconcile_people([user_id], actor=system_actor)

    assert entitled_course_ids(person) == set()
    assert Grant.objects.filter(pool=pool, state="active").count() == 0
    assert Enrollment.objects.get(user=person, course=python).progress == Progress.COMPLETED
