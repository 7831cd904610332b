"""The demo identities `make run` seeds: one demo connection, a few people and teams. Grace is in "LMS
Admins", which a demo rule maps to the L&D admin role: she signs in to /admin/ through the demo IdP."""

from django.db import transaction

from lms_identity.models import Group, IdpConnection, User
from lms_identity.models.users import user_name_is
from lms_identity.services.audit import Actor
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
