"""The admin dashboard: the figures an L&D admin reads, and who may read them."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from lms_identity.models import User
from lms_identity.models.oidc import LoginRecord
from lms_identity.models.users import Source
from lms_identity.services.users import deactivate_user
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LONG_AGO = timezone.now() - timedelta(days=200)


def test_dashboard_shows_mfa_adoption_per_connection(admin_client, connection):
    for mfa in (True, True, True, False):
        LoginRecord.objects.create(
            connection=connection, user=UserFactory(connection=connection), mfa_evidenced=mfa
        )

    page = admin_client.get("/admin/dashboard/").content.decode()

    assert "<td>okta</td><td>4</td><td>3</td><td>75 %</td>" in page


def test_dashboard_counts_orphaned_accounts_but_not_backed_or_recent_ones(admin_client, connection):
    for _ in range(2):
        orphan = UserFactory(connection=None, source=Source.JIT)
        User.objects.filter(pk=orphan.pk).update(last_login=LONG_AGO, created_at=LONG_AGO)
    recent = UserFactory(connection=None, source=Source.JIT)
    User.objects.filter(pk=recent.pk).update(last_login=timezone.now(), created_at=LONG_AGO)
    UserFactory(connection=connection)

    page = admin_client.get("/admin/dashboard/").content.decode()

    assert '<strong id="orphaned-accounts">2</strong>' in page


def test_dashboard_shows_seats_still_held_by_leavers(admin_client, seated_team, system_actor):
    pool, (leaver, stayer) = seated_team(2, seat_count=5, product="Figma")
    User.objects.filter(pk=stayer.pk).update(last_login=timezone.now())
    deactivate_user(leaver, actor=system_actor)  # no worker ran: the seat is still held

    page = admin_client.get("/admin/dashboard/").content.decode()

    assert "<td>Figma</td><td>5</td><td>2</td><td>3</td><td>1</td><td>0</td>" in page


def test_dashboard_is_for_staff_only(connection):
    learner = UserFactory(connection=connection)
    client = Client()
    client.force_login(learner)

    response = client.get("/admin/dashboard/")

    assert response.status_code == 302 and "/admin/login/" in response["Location"]
