"""SCIM request rate and latency per endpoint, method and status, for /metrics.

Counted in each web process. With PROMETHEUS_MULTIPROC_DIR set (before the process starts), prometheus-
client writes the samples to files there and /metrics adds up every process's (see README, "Several
machines"); without it, each process reports its own.
"""

from collections.abc import Callable
from time import perf_counter

from django.http import HttpRequest, HttpResponse
from prometheus_client import Histogram

SCIM_PREFIX = "/scim/v2/"
SCIM_REQUESTS = Histogram(
    "lms_scim_request_duration_seconds",
    "SCIM requests by endpoint (URL route), method and status, and how long they took.",
    ["endpoint", "method", "status"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


def endpoint_of(request: HttpRequest) -> str:
    """The URL pattern's name, plus "/{id}" when the path named one: "scim:users", "scim:users/{id}",
    "scim:not-found". Ids never become labels."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "unmatched"
    return match.view_name + ("/{id}" if match.kwargs.get("uuid") else "")


class ScimMetricsMiddleware:
    """Times every request under /scim/v2/ by endpoint, method and status."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(SCIM_PREFIX):
            return self.get_response(request)
        started = perf_counter()
        response = self.get_response(request)
        SCIM_REQUESTS.labels(endpoint_of(request), request.method or "", str(response.status_code)).observe(
            perf_counter() - started
        )
        return response
