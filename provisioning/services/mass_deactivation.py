"""The safety brake on the event path: an IdP that suddenly deactivates a large share of a connection.

The deactivations themselves already happened (the IdP is the authority on who may sign in, and locking
people out is the safe direction). What the brake holds back is the follow-up that is hard to undo: their
seats going back to the pool and on to other people. Those leavers are left out of the reconcile and an
alert is raised; if the IdP reactivates them nothing was lost, and if the change was real an admin runs
the "inactive people holding access" sweep (confirming the share, or with its brake share raised) to
reclaim the seats.
"""

from datetime import timedelta

from django.utils import timezone

from lms_identity.models import IdpConnection, User
from lms_identity.services.people_counts import live_people
from provisioning.models import JobKind

from .alerts import raise_alert
from .job_runs import get_sweep_settings

WINDOW = timedelta(hours=1)


def hold_mass_deactivations(user_ids: set[str]) -> set[str]:
    """Of these people, the inactive ones whose connection deactivated more than the brake share of its
    people in the last hour; raises one alert per such connection. Uses the brake settings of the
    inactive-access sweep. One query, plus a count of recent leavers per connection with leavers in the
    batch (the connection's size comes from the trigger-kept LivePeopleCount)."""
    if not user_ids:
        return set()
    config = get_sweep_settings(JobKind.INACTIVE_ACCESS)
    if config.brake_share >= 1:
        return set()
    by_connection: dict[int, set[str]] = {}
    inactive = User.objects.filter(pk__in=user_ids, connection__isnull=False, is_active=False)
    rows = inactive.values_list("pk", "connection_id")
    for pk, connection_id in rows:
        by_connection.setdefault(connection_id, set()).add(str(pk))
    held: set[str] = set()
    since = timezone.now() - WINDOW
    for connection_id, ids in by_connection.items():
        people = live_people(connection_id)
        recent = User.objects.filter(
            connection_id=connection_id, is_active=False, deactivated_at__gte=since
        ).count()
        if recent >= config.brake_min_people and recent > config.brake_share * max(people, 1):
            held |= ids
            slug = IdpConnection.objects.filter(pk=connection_id).values_list("slug", flat=True).first()
            raise_alert(
                f"brake.mass_deactivation.{connection_id}",
                f"Safety brake: {slug} deactivated {recent} of its {people} people in the last hour. They "
                "are locked out, but their seats are kept until you confirm: if this is right, run "
                '"Inactive people holding access" with a confirmed share (`run_sweep inactive_access '
                "--confirm-share S`, or the admin API's confirm_share) or a higher brake share.",
            )
    return held
