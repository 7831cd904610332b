"""The jobs side of the L&D admin console: sweeps and job runs, alerts, leaver latency."""

from . import alerts, jobs, latency

__all__ = ["alerts", "jobs", "latency"]
