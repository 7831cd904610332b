from django.db import models

from .connections import IdpConnection


class LivePeopleCount(models.Model):
    """How many live (not deleted) people each connection has, for the unfiltered SCIM list's
    totalResults without counting a million rows. Kept by database triggers on the user table (migration
    0004), so every write path, raw SQL included, keeps it right; spread over 16 slot rows per connection so
    parallel creates do not queue on one row. Read with lms_identity.services.people_counts.live_people."""

    # No database constraint: the triggers write here while rows are being deleted in any order (a test
    # database's flush on SQLite deletes connections before their people).
    connection = models.ForeignKey(
        IdpConnection, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    slot = models.PositiveSmallIntegerField()
    live = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["connection", "slot"], name="live_people_count_slot_unique")
        ]

    def __str__(self) -> str:
        return f"connection {self.connection_id} slot {self.slot}: {self.live}"
