from django.contrib.auth.models import AbstractUser
from django.db import models
from django_scim.models import AbstractSCIMUserMixin


class PeerUser(AbstractSCIMUserMixin, AbstractUser):  # type: ignore[misc]
    """The user model django-scim2's README describes: Django's user plus the SCIM columns."""

    scim_groups = models.ManyToManyField("auth.Group", related_name="scim_users", blank=True)

    class Meta:
        app_label = "peer"


class PeerToken(models.Model):
    """A bearer token, stored as issued (as Django REST framework's authtoken does)."""

    key = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(PeerUser, on_delete=models.CASCADE)

    class Meta:
        app_label = "peer"

    def __str__(self) -> str:
        return self.key[:6]
