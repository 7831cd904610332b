"""End to end: a real oidc-provider on loopback, a Django live server, and a headless Chromium."""

import pytest

from lms_identity.models import (
    AuditEvent,
    Group,
    GroupClaimMapping,
    LoginRecord,
    SubjectLink,
    User,
    UserSession,
)
from lms_identity.models.groups import GroupSource
from lms_identity.services.audit import Actor
from lms_identity.services.users import create_user, deactivate_user

from .conftest import sign_in_at_idp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_learner_signs_in_from_our_login_page_and_lands_on_my_learning(site, page):
    connection = site.connect("acme")
    engineering = Group.objects.create(connection=connection, display_name="Engineering", source="scim")
    GroupClaimMapping.objects.create(connection=connection, claim_value="Engineering", group=engineering)

    page.goto(f"{site.url}/login/")
    page.click("text=Sign in with Acme")
    sign_in_at_idp(page, "ada", "pw-ada")

    page.wait_for_url(f"{site.url}/learn/")
    assert "Welcome, Ada" in page.content()
    ada = User.objects.get(email="ada@acme.test")
    assert (ada.source, ada.connection_id, ada.family_name) == ("jit", connection.pk, "Lovelace")
    assert SubjectLink.objects.get(connection=connection, sub="acme-ada").user == ada
    assert list(ada.memberships.values_list("group__display_name", "source")) == [
        ("Engineering", GroupSource.CLAIMS)
    ]
    session = UserSession.objects.get(user=ada)
    assert (session.connection_id, session.mfa_evidenced) == (connection.pk, True)
    assert LoginRecord.objects.get(user=ada).mfa_evidenced is True
    assert AuditEvent.objects.filter(
        action="sso.login", context__outcome="success", target_id=str(ada.pk)
    ).exists()
