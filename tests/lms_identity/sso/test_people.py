"""Who a sign-in lands on: subject links, the SCIM join within one connection, JIT, attributes, groups."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from lms_identity.models import (
    AuditEvent,
    Group,
    GroupClaimMapping,
    LoginRecord,
    Membership,
    SubjectLink,
    User,
    UserSession,
)
from lms_identity.models.groups import GroupSource
from lms_identity.services.audit import Actor
from lms_identity.services.users import create_user
from tests.factories import ConnectionFactory, UserFactory

from .conftest import start_login
from .test_id_tokens import assert_refused, callback

pytestmark = pytest.mark.django_db


def test_an_email_of_another_connection_is_never_linked(client, fake_idp, fake_connection):
    stranger = UserFactory(
        connection=ConnectionFactory(slug="other"), email="ada@acme.test", user_name="ada@acme.test"
    )

    response = callback(client, fake_idp)

    assert_refused(response, "account_conflict")
    assert User.objects.get() == stranger and not SubjectLink.objects.exists()


def test_email_join_matches_only_people_of_the_same_connection(client, fake_idp, make_oidc_connection):
    make_oidc_connection("acme", fake_idp.issuer, user_join="email")
    UserFactory(connection=ConnectionFactory(slug="other"), email="ada@acme.test")

    response = callback(client, fake_idp)

    assert_refused(response, "jit_not_allowed")


def test_email_join_matches_a_verified_email_within_the_connection(client, fake_idp, make_oidc_connection):
    acme = make_oidc_connection("acme", fake_idp.issuer, user_join="email")
    ada = UserFactory(connection=acme, email="ADA@acme.test", external_id="00u-okta-id")

    response = callback(client, fake_idp)

    assert response.status_code == 302
    assert SubjectLink.objects.get(sub="sub-ada").user == ada


def test_email_join_ignores_an_unverified_email(client, fake_idp, make_oidc_connection):
    acme = make_oidc_connection("acme", fake_idp.issuer, user_join="email")
    UserFactory(connection=acme, email="ada@acme.test")

    response = callback(client, fake_idp, email_verified=False)

    assert_refused(response, "jit_not_allowed")


def test_oid_join_matches_the_entra_object_id(client, fake_idp, make_oidc_connection):
    acme = make_oidc_connection("acme", fake_idp.issuer, user_join="oid")
    ada = UserFactory(connection=acme, external_id="6f1c1a52-0000-4000-8000-000000000001")

    response = callback(client, fake_idp, oid="6f1c1a52-0000-4000-8000-000000000001")

    assert response.status_code == 302 and client.session["_auth_user_id"] == str(ada.pk)


def test_a_returning_person_is_found_by_subject_even_after_an_email_change(client, fake_idp, fake_connection):
    callback(Client(), fake_idp)

    callback(client, fake_idp, email="ada.lovelace@acme.test", family_name="King")

    ada = User.objects.get()
    assert (ada.email, ada.family_name) == ("ada.lovelace@acme.test", "King")  # JIT: refreshed from claims


def test_a_jit_person_later_pushed_by_scim_is_adopted_and_scim_then_wins(client, fake_idp, fake_connection):
    callback(Client(), fake_idp)
    jit = User.objects.get()

    scim, adopted = create_user(
        connection=fake_connection,
        actor=Actor.of_connection(fake_connection),
        source="scim",
        attrs={"user_name": "ada@acme.test", "email": "ada@acme.test", "family_name": "Lovelace-SCIM"},
    )
    callback(client, fake_idp, family_name="FromClaims")

    assert adopted and scim.pk == jit.pk and User.objects.count() == 1
    scim.refresh_from_db()
    assert (scim.source, scim.family_name) == ("scim", "Lovelace-SCIM")
    assert client.session["_auth_user_id"] == str(jit.pk)


def test_jit_restricted_by_group_needs_the_group_in_the_claim(client, fake_idp, make_oidc_connection):
    make_oidc_connection("acme", fake_idp.issuer, jit_policy="restricted", jit_required_group="lms-learners")

    refused = callback(Client(), fake_idp, groups=["other"])
    assert_refused(refused, "jit_not_allowed", "group")
    accepted = callback(client, fake_idp, groups=["lms-learners"])

    assert accepted.status_code == 302 and User.objects.count() == 1


def test_groups_claim_maps_names_and_entra_guids_and_leaves_scim_memberships_alone(
    client, fake_idp, fake_connection
):
    eng = Group.objects.create(connection=fake_connection, display_name="Engineering")
    sales = Group.objects.create(connection=fake_connection, display_name="Sales")
    GroupClaimMapping.objects.create(connection=fake_connection, claim_value="Engineering", group=eng)
    GroupClaimMapping.objects.create(
        connection=fake_connection, claim_value="0b7e-guid-of-sales", group=sales
    )
    callback(Client(), fake_idp, groups=["Engineering", "0b7e-guid-of-sales", "unmapped"])
    ada = User.objects.get()
    Membership.objects.create(group=eng, user=ada, source=GroupSource.SCIM)

    callback(client, fake_idp, groups=["0b7e-guid-of-sales"])

    assert sorted(ada.memberships.values_list("group__display_name", "source")) == [
        ("Engineering", "scim"),
        ("Sales", "claims"),
    ]


def test_a_token_without_the_groups_claim_keeps_claim_memberships(client, fake_idp, fake_connection):
    eng = Group.objects.create(connection=fake_connection, display_name="Engineering")
    GroupClaimMapping.objects.create(connection=fake_connection, claim_value="Engineering", group=eng)
    callback(Client(), fake_idp, groups=["Engineering"])

    callback(client, fake_idp, groups=None)

    assert User.objects.get().memberships.filter(source="claims").count() == 1


def test_claims_missing_from_the_id_token_are_completed_from_userinfo(client, fake_idp, fake_connection):
    info = {"sub": "sub-ada", "email": "ada@acme.test", "given_name": "Ada", "family_name": "FromUserinfo"}

    callback(client, fake_idp, email=None, family_name=None, userinfo=info)

    assert User.objects.get().family_name == "FromUserinfo"


def test_userinfo_about_another_subject_is_ignored(client, fake_idp, fake_connection):
    info = {"sub": "someone-else", "email": "mallory@acme.test", "family_name": "Mallory"}

    callback(client, fake_idp, family_name=None, userinfo=info)

    assert User.objects.get().email == "ada@acme.test"


def test_every_refused_and_accepted_attempt_is_audited(client, fake_idp, fake_connection):
    callback(Client(), fake_idp, aud="other")
    callback(client, fake_idp)

    outcomes = list(
        AuditEvent.objects.filter(action="sso.login")
        .order_by("id")
        .values_list("context__outcome", flat=True)
    )
    assert outcomes == ["refused", "success"]


def test_jit_restricted_by_domain_refuses_an_unverified_email(client, fake_idp, make_oidc_connection):
    make_oidc_connection("acme", fake_idp.issuer, jit_policy="restricted", allowed_domains="acme.test")

    response = callback(client, fake_idp, email_verified=False)

    assert_refused(response, "jit_not_allowed", "not verified")
    assert not User.objects.exists()


def returning_sign_in_queries(fake_idp, groups):
    callback(Client(), fake_idp, groups=groups)
    client = Client()
    start = start_login(client, "acme")
    with CaptureQueriesContext(connection) as queries:
        assert callback(client, fake_idp, groups=groups, start=start).status_code == 302
    return len(queries)


def test_a_returning_sign_in_costs_the_same_queries_with_ten_mapped_groups_as_with_one(
    fake_idp, fake_connection
):
    names = [f"team-{i}" for i in range(10)]
    for name in names:
        group = Group.objects.create(connection=fake_connection, display_name=name)
        GroupClaimMapping.objects.create(connection=fake_connection, claim_value=name, group=group)

    with_one = returning_sign_in_queries(fake_idp, names[:1])
    Membership.objects.all().delete()
    with_ten = returning_sign_in_queries(fake_idp, names)

    # The admin-access check every sign-in makes is one read on PostgreSQL (courses.services.admin_access):
    # nothing is locked or written for a person already as their roles say (it was six statements, and
    # still is on SQLite); django-axes, which throttles only the admin's password form, reads nothing.
    assert with_ten == with_one <= (36 if connection.vendor == "postgresql" else 41)
    assert Membership.objects.filter(source="claims").count() == 10


def test_trust_idp_records_whether_mfa_was_evidenced(fake_idp, fake_connection):
    callback(Client(), fake_idp, amr=["pwd", "otp"])
    callback(Client(), fake_idp, amr=["pwd"])

    assert list(LoginRecord.objects.order_by("at", "id").values_list("mfa_evidenced", flat=True)) == [
        True,
        False,
    ]
    assert list(UserSession.objects.order_by("created_at", "id").values_list("mfa_evidenced", flat=True)) == [
        True,
        False,
    ]


def test_require_acr_refuses_a_login_without_the_acr(client, fake_idp, make_oidc_connection):
    make_oidc_connection(
        "acme", fake_idp.issuer, jit_policy="create", mfa_policy="require_acr", mfa_acr_values="urn:acr:mfa"
    )

    refused = callback(Client(), fake_idp, acr="urn:acr:pwd")
    assert_refused(refused, "mfa_missing", "acr")
    accepted = callback(client, fake_idp, acr="urn:acr:mfa")

    assert accepted.status_code == 302


def test_a_subject_already_linked_to_someone_else_is_refused_and_nothing_is_recorded(fake_connection):
    """Two people can never share one IdP subject: the sign-in that would link a second person stops with
    account_conflict and leaves the first link, the login records and the audit trail as they were."""
    from lms_identity.models import OidcConfig
    from lms_identity.services.sso_logins import Evidence, SignInRefused, sign_in_person

    config = OidcConfig.objects.get(connection=fake_connection)
    ada = UserFactory(connection=fake_connection)
    eve = UserFactory(connection=fake_connection)
    SubjectLink.objects.create(connection=fake_connection, sub="sub-ada", user=ada)

    with pytest.raises(SignInRefused) as refused:
        sign_in_person(config, eve, {"sub": "sub-ada"}, Evidence())

    assert refused.value.reason == "account_conflict"
    assert SubjectLink.objects.get(sub="sub-ada").user == ada
    assert not LoginRecord.objects.exists()
    assert not AuditEvent.objects.filter(action="sso.login").exists()


def test_a_returning_sign_in_moves_the_links_last_login(fake_connection):
    from lms_identity.models import OidcConfig
    from lms_identity.services.sso_logins import Evidence, sign_in_person

    config = OidcConfig.objects.get(connection=fake_connection)
    ada = UserFactory(connection=fake_connection)
    sign_in_person(config, ada, {"sub": "sub-ada"}, Evidence())
    first = SubjectLink.objects.get(sub="sub-ada").last_login_at

    sign_in_person(config, ada, {"sub": "sub-ada"}, Evidence())

    assert SubjectLink.objects.get(sub="sub-ada").last_login_at > first
    assert AuditEvent.objects.filter(action="sso.subject_linked").count() == 1
    assert LoginRecord.objects.filter(user=ada).count() == 2
