"""How many live people a connection has, from the trigger-kept LivePeopleCount (constant cost)."""

from django.db.models import Sum

from lms_identity.models import LivePeopleCount


def live_people(connection_id: int) -> int:
    """People of this connection who are not deleted (active or not): the IdP's view of its users."""
    total = LivePeopleCount.objects.filter(connection_id=connection_id).aggregate(total=Sum("live"))["total"]
    return int(total or 0)
