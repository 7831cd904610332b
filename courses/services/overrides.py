"""Per-person overrides: an admin's allow or deny for one target, respected by every recompute."""

from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from lms_identity.models import User
from lms_identity.services.audit import Actor, record_event

from ..errors import InvalidInput
from ..models import Override, OverrideEffect
from ..reconcile import reconcile_people
from ..targets import check_target, set_target, target_key


def set_override(
    user: User,
    *,
    actor: Actor,
    target_type: str,
    target: Any,
    effect: str,
    expires_at: datetime | None = None,
    reason: str = "",
) -> tuple[Override, dict[str, int]]:
    """Allow or deny one target for one person until `expires_at` (or for good), then reconcile them. An
    override of the opposite effect for the same target is refused: remove it first. Setting the same
    override again only updates its expiry and reason. Locks the person. Audited."""
    _check(target_type, target, effect, expires_at, reason)
    key = target_key(target_type, target.pk)
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()
        existing = Override.objects.filter(user=user, key=key).first()
        if existing is not None and existing.effect != effect:
            raise InvalidInput(
                "effect",
                f"{user} already has {with_article(existing.effect)} override for {target}; "
                f"remove it before adding {with_article(effect)}",
            )
        if existing is not None:
            diff = {
                f: (getattr(existing, f), v)
                for f, v in (("expires_at", expires_at), ("reason", reason))
                if getattr(existing, f) != v
            }
            if diff:
                for name, (_, value) in diff.items():
                    setattr(existing, name, value)
                existing.save(update_fields=list(diff))
                record_event(actor, "override.updated", user, changes=diff, context={"grant": key})
            override = existing
        else:
            override = Override(
                user=user,
                key=key,
                effect=effect,
                expires_at=expires_at,
                reason=reason,
                created_by=actor.label[:255],
            )
            set_target(override, target_type, target)
            try:
                with transaction.atomic():
                    override.save(force_insert=True)
            except IntegrityError:
                raise InvalidInput("effect", f"{user} already has an override for {target}") from None
            record_event(
                actor,
                "override.created",
                user,
                changes={"override": (None, effect)},
                context={"grant": key, "expires_at": expires_at, "reason": reason},
            )
    return override, reconcile_people([user.pk], actor=actor)


def remove_override(override: Override, *, actor: Actor) -> dict[str, int]:
    """Remove an override; the person's grants go back to what the rules say. Idempotent. Audited."""
    with transaction.atomic():
        deleted, _ = Override.objects.filter(pk=override.pk).delete()
        if deleted:
            record_event(
                actor,
                "override.removed",
                override.user,
                changes={"override": (override.effect, None)},
                context={"grant": override.key},
            )
    return reconcile_people([override.user_id], actor=actor)


def _check(target_type: str, target: Any, effect: str, expires_at: datetime | None, reason: str) -> None:
    check_target(target_type, target)
    if effect not in OverrideEffect.values:
        raise InvalidInput("effect", "the effect must be allow or deny")
    if expires_at is not None and expires_at <= timezone.now():
        raise InvalidInput("expires_at", "the expiry must be in the future")
    if not isinstance(reason, str) or len(reason) > 255:
        raise InvalidInput("reason", "the reason must be at most 255 characters")


def with_article(effect: str) -> str:
    return f"an {effect}" if effect == OverrideEffect.ALLOW else f"a {effect}"
