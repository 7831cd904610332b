"""The demo identities `make run` seeds: one demo connection, a few people and teams. Grace is in "LMS
Admins", which a demo rule maps to the L&D admin role: she signs in to /admin/ through the demo IdP."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from lms_identity.models import Group, IdpConnection, LoginRecord, User
from lms_identity.models.users import user_name_is
from lms_identity.services.audit import Actor, record_event
from lms_identity.services.groups import add_group_members, create_group
from lms_identity.services.users import create_user

DEMO_SLUG = "demo"
DEMO_PEOPLE = [
    # user_name, given, family, department, title, teams
    ("ada@demo.example", "Ada", "Lovelace", "Engineering", "Staff engineer", ["Engineering"]),
    (
        "grace@demo.example",
        "Grace",
        "Hopper",
        "Engineering",
        "Engineering manager",
        ["Engineering", "Managers", "LMS Admins"],
    ),
    ("alan@demo.example", "Alan", "Turing", "Research", "Researcher", ["Research"]),
    ("mary@demo.example", "Mary", "Jackson", "Sales", "Account executive", ["Sales"]),
]


def seed_identities() -> IdpConnection:
    """Create the demo connection, people and teams if missing. Idempotent."""
    actor = Actor.system("seed_demo")
    with transaction.atomic():
        connection, _ = IdpConnection.objects.get_or_create(
            slug=DEMO_SLUG, defaults={"name": "Demo IdP", "is_demo": True}
        )
        people = {}
        for user_name, given, family, department, title, _ in DEMO_PEOPLE:
            user = User.objects.filter(user_name_is(user_name)).first()
            if user is None:
                user, _ = create_user(
                    connection=connection,
                    actor=actor,
                    attrs={
                        "user_name": user_name,
                        "email": user_name,
                        "external_id": user_name.split("@")[0],
                        "given_name": given,
                        "family_name": family,
                        "display_name": f"{given} {family}",
                        "department": department,
                        "title": title,
                    },
                )
            people[user_name] = user
        grace = people["grace@demo.example"]
        for user in people.values():
            if user != grace and user.manager_id is None:
                User.objects.filter(pk=user.pk).update(manager=grace)
        for user_name, *_, teams in DEMO_PEOPLE:
            for team in teams:
                group = Group.objects.filter(connection=connection, display_name=team).first()
                if group is None:
                    group = create_group(connection=connection, actor=actor, display_name=team)
                add_group_members(group, [people[user_name].pk], actor=actor)
    return connection


HISTORY_DAYS = 28
MFA_PEOPLE = {"ada@demo.example", "grace@demo.example"}


def seed_history(connection: IdpConnection, *, days: int = HISTORY_DAYS) -> int:
    """A few weeks of past activity so the dashboard's charts have points after `make run`: SSO sign-ins
    (Ada and Grace with MFA) and the changes the demo IdP made over SCIM. Rows are written as they
    happen, then dated back. Idempotent: does nothing once the connection has sign-ins. Returns the
    number of sign-ins written."""
    if LoginRecord.objects.filter(connection=connection).exists():
        return 0
    people = list(User.objects.filter(connection=connection).order_by("user_name"))
    now = timezone.now()
    actor = Actor.of_connection(connection)
    written = 0
    with transaction.atomic():
        for offset in range(days, 0, -1):
            day = now - timedelta(days=offset)
            for n, person in enumerate(people):
                if (offset + n) % 3 == 0:
                    continue  # not everyone signs in every day
                record = LoginRecord.objects.create(
                    connection=connection, user=person, mfa_evidenced=person.user_name in MFA_PEOPLE
                )
                LoginRecord.objects.filter(pk=record.pk).update(at=day + timedelta(hours=8 + n))
                written += 1
            for n in range(1 + (offset * 7) % 5):  # the IdP's daily attribute syncs
                person = people[(offset + n) % len(people)]
                at = day + timedelta(hours=2, minutes=n)
                record_event(actor, "user.synced", person, context={"demo_history": True}, at=at)
    return written
