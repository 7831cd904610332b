"""The dashboard's figures are kept for DASHBOARD_MAX_AGE_SECONDS: page views read the kept copy (a few
queries, whatever the number of people), beat's refresh replaces it, and an old copy is recomputed."""

from datetime import timedelta
from unittest import mock

import pytest
from django.core.cache import cache
from django.db import connection as db
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from provisioning.dashboard_snapshot import CACHE_KEY
from provisioning.tasks import refresh_dashboard

pytestmark = pytest.mark.django_db


@pytest.fixture
def kept(settings):
    settings.DASHBOARD_MAX_AGE_SECONDS = 120
    cache.delete(CACHE_KEY)
    yield
    cache.delete(CACHE_KEY)


def view(client):
    with CaptureQueriesContext(db) as queries:
        page = client.get("/admin/dashboard/").content.decode()
    return page, len(queries)


def test_a_second_view_reads_the_kept_figures_with_fewer_queries(kept, admin_client, seated_team):
    seated_team(2, product="Figma")
    _, first = view(admin_client)

    seated_team(3, product="Miro")
    page, second = view(admin_client)

    assert second < first
    assert "<td>Miro</td>" not in page  # the kept copy predates the new pool


def test_the_refresh_task_replaces_the_kept_figures(kept, admin_client, seated_team):
    seated_team(2, product="Figma")
    view(admin_client)
    seated_team(3, product="Miro")

    refresh_dashboard()
    page, _ = view(admin_client)

    assert "<td>Miro</td>" in page


def test_figures_older_than_the_max_age_are_computed_again(kept, admin_client, seated_team):
    seated_team(2, product="Figma")
    view(admin_client)
    seated_team(3, product="Miro")

    with mock.patch("django.utils.timezone.now", return_value=timezone.now() + timedelta(seconds=121)):
        page, _ = view(admin_client)

    assert "<td>Miro</td>" in page


def test_with_a_max_age_of_zero_every_view_computes_them(settings, admin_client, seated_team):
    settings.DASHBOARD_MAX_AGE_SECONDS = 0
    seated_team(2, product="Figma")
    view(admin_client)
    seated_team(3, product="Miro")

    page, _ = view(admin_client)

    assert "<td>Miro</td>" in page
