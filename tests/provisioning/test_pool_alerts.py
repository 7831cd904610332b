"""License pools raise an Alert at 75 % and at 100 % of their seats (row, banner, webhook) and resolve it
when usage falls again."""

import pytest

from courses.models import LicensePool
from courses.services.pools import update_pool
from provisioning.models import Alert
from provisioning.services.pool_alerts import sync_pool_alerts
from provisioning.tasks import check_alerts

pytestmark = pytest.mark.django_db


def open_keys():
    return set(Alert.objects.filter(resolved_at__isnull=True).values_list("key", flat=True))


def test_a_full_pool_opens_its_75_and_100_percent_alerts_and_shows_a_banner(admin_client, seated_team):
    pool, _ = seated_team(4, seat_count=4, product="Figma")

    check_alerts()

    assert open_keys() == {f"license_pool.{pool.pk}.75", f"license_pool.{pool.pk}.100"}
    assert "License pool Figma is full: 4 of 4 seats held" in admin_client.get("/admin/").content.decode()


def test_a_pool_below_75_percent_raises_nothing(seated_team):
    seated_team(2, seat_count=4, product="Figma")

    sync_pool_alerts()

    assert open_keys() == set()


def test_a_repeat_check_does_not_count_a_new_occurrence(seated_team):
    seated_team(4, seat_count=4)

    sync_pool_alerts()
    sync_pool_alerts()

    assert set(Alert.objects.values_list("occurrences", flat=True)) == {1}


def test_the_alerts_resolve_when_the_pool_grows(seated_team, system_actor):
    pool, _ = seated_team(4, seat_count=4)
    sync_pool_alerts()

    update_pool(LicensePool.objects.get(pk=pool.pk), actor=system_actor, changes={"seat_count": 5})
    sync_pool_alerts()
    assert open_keys() == {f"license_pool.{pool.pk}.75"}

    update_pool(LicensePool.objects.get(pk=pool.pk), actor=system_actor, changes={"seat_count": 10})
    sync_pool_alerts()
    assert open_keys() == set()


def test_an_opened_pool_alert_is_posted_to_the_webhook(
    seated_team, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.ALERT_WEBHOOK_URL = "https://hooks.example.com/alerts"
    posted = []
    monkeypatch.setattr("provisioning.services.alerts._post_webhook", lambda key, message: posted.append(key))
    pool, _ = seated_team(4, seat_count=4)

    with django_capture_on_commit_callbacks(execute=True):
        sync_pool_alerts()

    assert sorted(posted) == [f"license_pool.{pool.pk}.100", f"license_pool.{pool.pk}.75"]
