"""Refusals of the provisioning services, turned into each edge's format (a DRF 409, an admin message,
a command's exit code)."""

from provisioning.models import JobRun


class JobAlreadyRunning(Exception):
    """A run of this kind is queued or running; only one at a time."""

    def __init__(self, run: JobRun) -> None:
        super().__init__(f"{run.get_kind_display()} is already {run.status} (run #{run.pk})")
        self.run = run


class PreviewAlreadyApplied(Exception):
    """An account-import preview gives its rows to one import only; this one was applied already."""
