"""/metrics: Prometheus text for a bearer token or an allowed address; figures read from the database."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from lms_identity.models import OutboxEvent
from provisioning.models import DeprovisioningLatency, JobKind, JobRun, RunStatus
from provisioning.services.alerts import raise_alert

pytestmark = pytest.mark.django_db


@pytest.fixture
def token(settings):
    settings.METRICS_TOKEN = "scrape-me-7f3c"
    settings.METRICS_ALLOWED_IPS = []
    return settings.METRICS_TOKEN


def _scrape(client, token):
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    return response.content.decode()


def test_metrics_refuse_a_caller_with_no_token(client, token):
    assert client.get("/metrics").status_code == 403


def test_metrics_refuse_a_wrong_token(client, token):
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-me-7f3d").status_code == 403


def test_metrics_answer_an_allowed_address_without_a_token(client, settings):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_IPS = ["10.0.0.0/8"]

    allowed = client.get("/metrics", REMOTE_ADDR="10.1.2.3")
    refused = client.get("/metrics", REMOTE_ADDR="192.168.1.9")

    assert (allowed.status_code, refused.status_code) == (200, 403)


def test_metrics_show_the_outbox_backlog_job_runs_and_open_alerts(client, token):
    OutboxEvent.objects.create(kind="user.changed")
    JobRun.objects.create(kind=JobKind.INACTIVE_ACCESS, status=RunStatus.DONE)
    JobRun.objects.create(kind=JobKind.INACTIVE_ACCESS, status=RunStatus.FAILED)
    raise_alert("brake.inactive_access", "Safety brake")

    text = _scrape(client, token)

    assert "lms_outbox_backlog 1.0" in text
    assert 'lms_job_runs_total{kind="inactive_access",status="done"} 1.0' in text
    assert 'lms_job_runs_total{kind="inactive_access",status="failed"} 1.0' in text
    assert "lms_alerts_open 1.0" in text


def test_metrics_show_deprovisioning_latency_as_a_histogram(client, token):
    asked = timezone.now() - timedelta(hours=1)
    for seconds in (2, 30):
        DeprovisioningLatency.objects.create(
            user_id=uuid.uuid4(),
            event_kind="deactivated",
            outbox_event_id=seconds,
            requested_at=asked,
            sessions_gone_at=asked + timedelta(seconds=seconds),
        )

    text = _scrape(client, token)

    assert 'lms_deprovisioning_seconds_bucket{le="1.0",stage="sessions_gone"} 0.0' in text
    assert 'lms_deprovisioning_seconds_bucket{le="5.0",stage="sessions_gone"} 1.0' in text
    assert 'lms_deprovisioning_seconds_bucket{le="60.0",stage="sessions_gone"} 2.0' in text
    assert 'lms_deprovisioning_seconds_count{stage="seats_reclaimed"} 0.0' in text


def test_metrics_count_scim_requests_by_route_method_and_status(client, token, scim_token):
    before = _scim_count(_scrape(client, token))

    client.get("/scim/v2/Users", HTTP_AUTHORIZATION=f"Bearer {scim_token}")
    client.get(f"/scim/v2/Users/{uuid.uuid4()}", HTTP_AUTHORIZATION=f"Bearer {scim_token}")

    after = _scim_count(_scrape(client, token))
    listed, missing = ("scim:users", "GET", "200"), ("scim:users/{id}", "GET", "404")
    assert after[listed] == before.get(listed, 0) + 1
    assert after[missing] == before.get(missing, 0) + 1


def _scim_count(text):
    counts = {}
    for line in text.splitlines():
        if line.startswith("lms_scim_request_duration_seconds_count{"):
            labels, value = line[len("lms_scim_request_duration_seconds_count{") :].split("} ")
            parts = dict(item.split("=", 1) for item in labels.split('",'))
            clean = {k: v.strip('"') for k, v in parts.items()}
            counts[(clean["endpoint"], clean["method"], clean["status"])] = float(value)
    return counts
