"""No SCIM token reaches an account it was not given: accounts with admin power are never adopted or
renamed, and ordinary unowned accounts are adopted only when the connection allows it."""

import pytest
from django.contrib.auth.models import Group as AuthGroup
from django.contrib.auth.models import Permission

from courses.models import Grant, RoleTemplate
from lms_identity.models import AuditEvent, User
from lms_identity.models.users import Source
from provisioning.models import Alert
from provisioning.services.outbox_dispatch import drain_outbox
from tests.factories import UserFactory

from .conftest import patch_op

pytestmark = pytest.mark.django_db

USER = "urn:ietf:params:scim:schemas:core:2.0:User"


def staff_account(**extra):
    fields = {"connection": None, "source": Source.MANUAL, "user_name": "boss@example.com", "is_staff": True}
    return UserFactory(**{**fields, **extra})


def assert_refused_as_taken(response, attribute="userName"):
    assert response.status_code == 409
    assert response.json() == {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
        "status": "409",
        "scimType": "uniqueness",
        "detail": f"{attribute} is already taken",
    }


def refusals_of(person):
    return AuditEvent.objects.filter(action="user.adoption_refused", target_id=str(person.pk))


def alert_of(connection):
    drain_outbox()
    return Alert.objects.filter(key=f"takeover.{connection.slug}", resolved_at__isnull=True).first()


def test_post_with_a_staff_account_user_name_is_409_and_the_account_stays_unowned(scim, adopting_connection):
    boss = staff_account()

    response = scim.post("Users", {"userName": "BOSS@example.com", "externalId": "attacker-sub"})

    assert_refused_as_taken(response)
    boss.refresh_from_db()
    assert (boss.connection, boss.source, boss.external_id) == (None, Source.MANUAL, "")


def test_a_refused_takeover_is_audited_and_alerted_naming_the_connection(scim, adopting_connection):
    boss = staff_account()

    scim.post("Users", {"userName": "boss@example.com"})

    event = refusals_of(boss).get()
    assert event.connection == adopting_connection
    assert event.context == {"reason": "admin_power", "attempt": "adopt", "field": "user_name"}
    alert = alert_of(adopting_connection)
    assert alert is not None and "Okta (okta)" in alert.message and "boss@example.com" in alert.message


def test_post_with_a_staff_account_email_is_409(scim, adopting_connection):
    boss = staff_account(email="boss@example.com", user_name="boss")

    response = scim.post(
        "Users", {"userName": "new@example.com", "emails": [{"value": "Boss@Example.com", "primary": True}]}
    )

    assert_refused_as_taken(response, "emails")
    assert User.objects.get(pk=boss.pk).connection is None
    assert refusals_of(boss).count() == 1


@pytest.mark.parametrize(
    "power",
    [
        {"is_superuser": True, "is_staff": False},
        {"is_staff": False, "permission": "view_user"},
        {"is_staff": False, "auth_group": "Helpdesk"},
        {"is_staff": False, "role": "ld-admin"},
    ],
    ids=["superuser", "permission", "admin-group", "ld-admin-role"],
)
def test_no_kind_of_admin_power_is_adopted(scim, adopting_connection, power):
    power = dict(power)
    permission, group, role = power.pop("permission", ""), power.pop("auth_group", ""), power.pop("role", "")
    admin = staff_account(**power)
    if permission:
        admin.user_permissions.add(Permission.objects.get(codename=permission))
    if group:
        admin.groups.add(AuthGroup.objects.create(name=group))
    if role:
        ld_admin = RoleTemplate.objects.get(slug=role)
        Grant.objects.create(
            user=admin,
            target_type="role",
            role=ld_admin,
            origin="manual",
            origin_key="manual",
            key=f"role:{ld_admin.pk}",
        )

    response = scim.post("Users", {"userName": "boss@example.com"})

    assert_refused_as_taken(response)
    assert User.objects.get(pk=admin.pk).connection is None
    assert refusals_of(admin).get().context["reason"] == "admin_power"


def test_a_role_without_admin_capabilities_is_no_admin_power(scim, adopting_connection):
    learner = staff_account(is_staff=False)
    role = RoleTemplate.objects.get(slug="learner")
    Grant.objects.create(
        user=learner,
        target_type="role",
        role=role,
        origin="manual",
        origin_key="manual",
        key=f"role:{role.pk}",
    )

    response = scim.post("Users", {"userName": "boss@example.com"})

    assert response.status_code == 201 and response.json()["id"] == str(learner.pk)


@pytest.mark.parametrize(
    "operation",
    [
        {"op": "replace", "path": "userName", "value": "someone-else@example.com"},
        {"op": "replace", "path": 'emails[type eq "work"].value', "value": "attacker@example.com"},
        {"op": "replace", "value": {"emails": [{"value": "attacker@example.com", "primary": True}]}},
        {"op": "replace", "path": "externalId", "value": "attacker-sub"},
    ],
    ids=["userName", "emails-filter", "emails-pathless", "externalId"],
)
def test_patch_never_renames_an_account_with_admin_power(scim, connection, operation):
    created = scim.post(
        "Users", {"userName": "lead@example.com", "emails": [{"value": "lead@example.com"}]}
    ).json()
    User.objects.filter(pk=created["id"]).update(is_staff=True)  # made staff by an admin afterwards

    response = scim.patch(f"Users/{created['id']}", patch_op(operation))

    assert response.status_code == 409 and response.json()["scimType"] == "uniqueness"
    lead = User.objects.get(pk=created["id"])
    assert (lead.user_name, lead.email, lead.external_id) == ("lead@example.com", "lead@example.com", "")
    assert refusals_of(lead).get().context["attempt"] == "rename"
    assert alert_of(connection) is not None


def test_patch_renames_a_person_without_admin_power(scim, connection):
    created = scim.post("Users", {"userName": "lead@example.com"}).json()

    response = scim.patch(
        f"Users/{created['id']}", patch_op({"op": "replace", "path": "userName", "value": "new@example.com"})
    )

    assert response.status_code == 200 and response.json()["userName"] == "new@example.com"
    assert not AuditEvent.objects.filter(action="user.adoption_refused").exists()


def test_patch_of_other_attributes_of_an_admin_still_applies(scim, connection):
    created = scim.post("Users", {"userName": "lead@example.com"}).json()
    User.objects.filter(pk=created["id"]).update(is_staff=True)

    response = scim.patch(
        f"Users/{created['id']}",
        patch_op(
            {"op": "replace", "path": "title", "value": "CTO"},
            {"op": "replace", "path": "active", "value": False},
        ),
    )

    assert response.status_code == 200
    lead = User.objects.get(pk=created["id"])
    assert (lead.title, lead.is_active) == ("CTO", False)  # the IdP still owns attributes and leavers


def test_put_never_renames_an_account_with_admin_power(scim, connection):
    created = scim.post("Users", {"userName": "lead@example.com"}).json()
    User.objects.filter(pk=created["id"]).update(is_superuser=True)

    response = scim.put(f"Users/{created['id']}", {"schemas": [USER], "userName": "attacker@example.com"})

    assert response.status_code == 409 and response.json()["scimType"] == "uniqueness"
    assert User.objects.get(pk=created["id"]).user_name == "lead@example.com"


def test_put_with_the_same_user_name_of_an_admin_still_applies(scim, connection):
    created = scim.post("Users", {"userName": "lead@example.com", "externalId": "e1"}).json()
    User.objects.filter(pk=created["id"]).update(is_staff=True)

    response = scim.put(
        f"Users/{created['id']}", {"schemas": [USER], "userName": "Lead@example.com", "title": "CTO"}
    )

    assert response.status_code == 200 and response.json()["title"] == "CTO"


def test_post_adopts_a_just_in_time_account_of_the_same_connection(scim, connection):
    jit = UserFactory(connection=connection, source=Source.JIT, user_name="ann@example.com")

    response = scim.post("Users", {"userName": "ann@example.com", "externalId": "e1"})

    assert response.status_code == 201 and response.json()["id"] == str(jit.pk)
    assert AuditEvent.objects.filter(action="user.adopted", target_id=str(jit.pk)).count() == 1


def test_post_never_adopts_a_just_in_time_account_with_admin_power(scim, connection):
    jit = UserFactory(connection=connection, source=Source.JIT, user_name="ann@example.com", is_staff=True)

    response = scim.post("Users", {"userName": "ann@example.com", "externalId": "attacker-sub"})

    assert_refused_as_taken(response)
    assert User.objects.get(pk=jit.pk).external_id == ""


def test_post_adopts_an_unowned_account_when_the_connection_allows_it(scim, adopting_connection):
    manual = UserFactory(connection=None, source=Source.MANUAL, user_name="ann@example.com")

    response = scim.post("Users", {"userName": "ann@example.com"})

    assert response.status_code == 201 and response.json()["id"] == str(manual.pk)
    adopted = AuditEvent.objects.get(action="user.adopted", target_id=str(manual.pk))
    assert adopted.changes["connection"] == [None, adopting_connection.pk]


def test_post_refuses_an_unowned_account_when_the_connection_does_not_allow_it(scim, connection):
    manual = UserFactory(connection=None, source=Source.MANUAL, user_name="ann@example.com")

    response = scim.post("Users", {"userName": "ann@example.com"})

    assert_refused_as_taken(response)
    assert User.objects.get(pk=manual.pk).connection is None
    assert refusals_of(manual).get().context["reason"] == "adoption_off"
    assert alert_of(connection) is None  # an ordinary account: audited, no takeover alert


def test_another_connections_account_is_a_plain_clash_without_a_trace(scim, other_connection):
    theirs = UserFactory(connection=other_connection, user_name="ann@example.com", is_staff=True)

    response = scim.post("Users", {"userName": "ann@example.com"})

    assert_refused_as_taken(response)
    assert not refusals_of(theirs).exists()


def test_a_user_name_and_an_email_of_two_accounts_one_an_admin_is_a_refused_takeover(
    scim, adopting_connection
):
    boss = staff_account()
    UserFactory(connection=None, source=Source.MANUAL, user_name="ann", email="ann@example.com")

    response = scim.post(
        "Users", {"userName": "boss@example.com", "emails": [{"value": "ann@example.com", "primary": True}]}
    )

    assert_refused_as_taken(response)
    assert refusals_of(boss).get().context["reason"] == "admin_power"
