"""The dashboard's charts: each series drawn from our own rows, the demo gives every chart points, and
the page's queries do not grow with the number of people."""

import json
import re
import uuid
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection as db
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from lms_identity.models.oidc import LoginRecord
from lms_identity.services.audit import Actor, record_event
from lms_identity.services.users import create_user
from provisioning.dashboard_series import latency_per_week, scim_changes_per_day, seat_use_over_time
from provisioning.models import DeprovisioningLatency
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

# session, user, the figures (latency, MFA, orphans, seats: 2), the four series, open alerts (panel and
# banner), and the admin's own machinery.
DASHBOARD_QUERIES = 15


def charts_of(page):
    return json.loads(re.search(r'id="dashboard-charts"[^>]*>(.*?)</script>', page, re.S).group(1))


def test_scim_changes_are_counted_per_day_and_connection(connection, other_connection):
    for n in range(3):
        create_user(
            connection=connection, actor=Actor.of_connection(connection), attrs={"user_name": f"a{n}@x"}
        )
    # The audit trail is append-only: a change two days ago is written as history dated then.
    two_days_ago = timezone.now() - timedelta(days=2)
    record_event(Actor.of_connection(other_connection), "user.created", at=two_days_ago)

    series = scim_changes_per_day(timezone.now(), days=7)

    by_label = {d["label"]: d["data"] for d in series["datasets"]}
    assert by_label["Okta"][-1] == 3 and sum(by_label["Okta"]) == 3
    assert by_label["Entra ID"][-3] == 1 and sum(by_label["Entra ID"]) == 1


def test_an_admins_change_is_not_a_provisioning_change(connection):
    create_user(connection=connection, actor=Actor.system("tests"), attrs={"user_name": "a@x"})

    assert scim_changes_per_day(timezone.now(), days=7)["datasets"] == []


def test_latency_per_week_gives_p50_and_p95_of_each_week():
    now = timezone.now()
    for n, seconds in enumerate([1.0, 2.0, 3.0, 4.0]):
        DeprovisioningLatency.objects.create(
            user_id=uuid.UUID(int=n),
            event_kind="user.deactivated",
            outbox_event_id=n,
            requested_at=now,
            sessions_gone_at=now + timedelta(seconds=seconds),
        )

    series = latency_per_week(now, weeks=2)

    sessions_p50, sessions_p95 = series["datasets"][0]["data"], series["datasets"][1]["data"]
    assert sessions_p50 == [None, 3.0] and sessions_p95 == [None, 4.0]


def test_seat_use_follows_seats_taken_and_released(seated_team, system_actor):
    from courses.models import Grant

    pool, people = seated_team(2, seat_count=4, product="Figma")
    grants = list(Grant.objects.filter(pool=pool).order_by("pk"))
    now = timezone.now()
    Grant.objects.filter(pk=grants[0].pk).update(created_at=now - timedelta(days=5))
    Grant.objects.filter(pk=grants[1].pk).update(created_at=now - timedelta(days=2))

    data = seat_use_over_time(now, days=7)["datasets"][0]["data"]

    assert data == [0, 25, 25, 25, 50, 50, 50]


def test_after_the_demo_seed_every_chart_has_points(admin_client):
    call_command("seed_demo")

    charts = charts_of(admin_client.get("/admin/dashboard/").content.decode())

    for name, chart in charts.items():
        assert any(value for dataset in chart["datasets"] for value in dataset["data"]), name


def _queries(client):
    with CaptureQueriesContext(db) as ctx:
        assert client.get("/admin/dashboard/").status_code == 200
    return len(ctx.captured_queries)


def test_the_dashboard_queries_do_not_grow_with_people(admin_client, connection, seated_team):
    seated_team(2, product="Figma")
    for _ in range(2):
        LoginRecord.objects.create(connection=connection, user=UserFactory(connection=connection))
    _queries(admin_client)
    few = _queries(admin_client)

    seated_team(6, product="Miro")
    for _ in range(6):
        LoginRecord.objects.create(connection=connection, user=UserFactory(connection=connection))

    assert _queries(admin_client) == few


def test_dashboard_query_count_is_pinned(admin_client, seated_team, django_assert_num_queries):
    seated_team(3, product="Figma")
    admin_client.get("/admin/dashboard/")

    with django_assert_num_queries(DASHBOARD_QUERIES):
        admin_client.get("/admin/dashboard/")
