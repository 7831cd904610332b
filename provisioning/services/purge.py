"""Removing a soft-deleted person's personal data once the retention period is over."""

from django.db import transaction

from lms_identity.models import User
from lms_identity.models.oidc import LoginRecord, SubjectLink
from lms_identity.services.audit import Actor, record_event
from lms_identity.services.audit_redaction import redact_person
from provisioning.models import PurgedPerson

PERSONAL_FIELDS = {
    "email": "",
    "external_id": "",
    "given_name": "",
    "family_name": "",
    "middle_name": "",
    "display_name": "",
    "nick_name": "",
    "title": "",
    "employee_number": "",
    "cost_center": "",
    "organization": "",
    "division": "",
    "department": "",
    "pending_manager_ref": "",
    "preferred_language": "",
    "locale": "",
    "timezone": "",
    "user_type": "",
}
PURGED = "[purged]"


def purge_personal_data(user: User, *, actor: Actor) -> bool:
    """Blank a soft-deleted person's personal attributes, rename them to a random pseudonym, and rewrite
    their audit trail under that pseudonym (labels, and the values of personal fields in `changes`)
    through the audit trail's one redaction path, which keeps the hash chain verifiable; the events
    themselves stay. Locks the person. Idempotent: False when already purged or not deleted. Writes one
    audit event, labelled with the pseudonym only, that explains the redaction."""
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        if user.deleted_at is None or PurgedPerson.objects.filter(user_id=user.pk).exists():
            return False
        pseudonym = PurgedPerson.new_pseudonym()
        for name, blank in PERSONAL_FIELDS.items():
            setattr(user, name, blank)
        user.user_name = pseudonym
        user.custom_attributes = {}
        user.hire_date = None
        user.manager = None
        user.set_unusable_password()
        user.save()
        # The IdP's subject identifier and sign-in history identify the person as much as their name.
        SubjectLink.objects.filter(user_id=user.pk).delete()
        LoginRecord.objects.filter(user_id=user.pk).delete()
        personal = set(PERSONAL_FIELDS) | {"user_name", "custom_attributes", "hire_date", "manager"}
        redacted = redact_person(str(user.pk), pseudonym, personal=personal, placeholder=PURGED)
        PurgedPerson.objects.create(user_id=user.pk, pseudonym=pseudonym)
        record_event(
            actor, "user.purged", user, context={"pseudonym": pseudonym, "events_redacted": redacted}
        )
    return True
