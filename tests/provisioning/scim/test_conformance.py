"""The public SCIM conformance checker, scim2-tester, run in-process against our endpoint."""

import pytest
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from scim2_client.engines.wsgi import WSGISCIMClient
from scim2_tester import Status, check_server

pytestmark = pytest.mark.django_db

FAILED = {Status.ERROR, Status.CRITICAL}


@pytest.fixture
def wsgi_app():
    """Django's WSGI application, minus what closes the test's database connection between requests
    (Django's own test client disconnects the same signal handlers)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield get_wsgi_application()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def test_scim2_tester_finds_no_failure(scim_token, wsgi_app):
    client = WSGISCIMClient(
        wsgi_app,
        base_url="http://testserver/scim/v2",
        headers={"Authorization": f"Bearer {scim_token}"},
    )

    results = check_server(client, raise_exceptions=False)

    failures = [f"{r.title} [{r.resource_type}]: {r.reason}" for r in results if r.status in FAILED]
    counts = {s.name: sum(1 for r in results if r.status == s) for s in Status}
    print("scim2-tester:", counts)
    assert failures == [], "\n".join(failures)
    assert counts["SKIPPED"] == 0
    assert counts["SUCCESS"] >= 117
