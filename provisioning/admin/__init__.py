"""The jobs side of the L&D admin console: sweeps, job runs, alerts, leaver latency."""

from . import alerts, jobs, latency, request_log, sweeps

__all__ = ["alerts", "jobs", "latency", "request_log", "sweeps"]
