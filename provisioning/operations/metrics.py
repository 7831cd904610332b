"""/metrics in Prometheus text format, for a bearer token (METRICS_TOKEN) or an allowed address.

Figures that live in the database (outbox backlog and age, job runs by kind and outcome, open alerts,
deprovisioning latency, the audit chain) are read at scrape time, so every web process reports the same
totals; SCIM request counters come from scim_metrics.py (aggregated across processes in multiprocess mode).
"""

import hmac
import ipaddress
import os
from collections.abc import Iterator
from datetime import timedelta

from django.conf import settings
from django.db.models import Count, F, Min, Q
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

from lms_identity.models import AuditChainHead, AuditEvent, OutboxEvent
from provisioning.models import Alert, DeprovisioningLatency, JobRun

LATENCY_BUCKETS = (1, 5, 15, 60, 300, 900, 3600, 4 * 3600, 24 * 3600)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class DatabaseCollector(Collector):
    """Reads the operational figures from the database at each scrape (about six queries)."""

    def collect(self) -> Iterator[Metric]:
        now = timezone.now()
        pending = OutboxEvent.objects.filter(dispatched_at__isnull=True)
        outbox = pending.aggregate(count=Count("pk"), oldest=Min("created_at"))
        yield GaugeMetricFamily("lms_outbox_backlog", "Outbox events not dispatched yet.", outbox["count"])
        age = (now - outbox["oldest"]).total_seconds() if outbox["oldest"] else 0.0
        yield GaugeMetricFamily("lms_outbox_oldest_age_seconds", "Age of the oldest undispatched event.", age)
        runs = CounterMetricFamily("lms_job_runs", "Job runs by kind and outcome.", labels=["kind", "status"])
        for row in JobRun.objects.values("kind", "status").annotate(n=Count("pk")).order_by():
            runs.add_metric([row["kind"], row["status"]], row["n"])
        yield runs
        open_alerts = Alert.objects.filter(resolved_at__isnull=True).count()
        yield GaugeMetricFamily("lms_alerts_open", "Alerts not resolved.", open_alerts)
        yield _latency_histogram()
        head = AuditChainHead.objects.first()
        yield GaugeMetricFamily("lms_audit_chain_length", "Sealed audit events.", head.seq if head else 0)
        yield GaugeMetricFamily(
            "lms_audit_unsealed", "Audit events not sealed yet.", AuditEvent.objects.pending().count()
        )


def _latency_histogram() -> Metric:
    """From an IdP's leaver request to the person's sessions gone, and to their seats reclaimed."""
    family = HistogramMetricFamily(
        "lms_deprovisioning_seconds", "Leaver request to sessions gone / seats reclaimed.", labels=["stage"]
    )
    for stage, done in (("sessions_gone", "sessions_gone_at"), ("seats_reclaimed", "seats_reclaimed_at")):
        within = {
            f"le{b}": Count("pk", filter=Q(**{f"{done}__lte": F("requested_at") + timedelta(seconds=b)}))
            for b in LATENCY_BUCKETS
        }
        row = DeprovisioningLatency.objects.filter(**{f"{done}__isnull": False}).aggregate(
            total=Count("pk"), **within
        )
        buckets = [(str(float(b)), row[f"le{b}"]) for b in LATENCY_BUCKETS] + [("+Inf", row["total"])]
        # The sum is not kept; Prometheus histograms need one, and averages come from the buckets here.
        family.add_metric([stage], buckets, sum_value=0.0)
    return family


def _registry() -> CollectorRegistry:
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_ProcessCollector())
    registry.register(DatabaseCollector())
    return registry


class _ProcessCollector(Collector):
    """This process's own counters (the SCIM histogram), when not in multiprocess mode."""

    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()


def can_scrape(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    if token and header.startswith("Bearer ") and hmac.compare_digest(header[7:].encode(), token.encode()):
        return True
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(net, strict=False) for net in settings.METRICS_ALLOWED_IPS)


def metrics(request: HttpRequest) -> HttpResponse:
    if not can_scrape(request):
        return HttpResponse("Forbidden\n", status=403, content_type="text/plain")
    return HttpResponse(generate_latest(_registry()), content_type=CONTENT_TYPE)
