"""What operators read: /healthz and /readyz (health.py), /metrics (metrics.py, scim_metrics.py)."""
