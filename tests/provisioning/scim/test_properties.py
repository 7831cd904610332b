"""Property-based tests: whatever an IdP (or an attacker) sends, the answer is never a 5xx."""

import json
import os
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lms_identity.models import User

pytestmark = pytest.mark.django_db

ATTRIBUTES = [
    "userName", "externalId", "displayName", "name.givenName", "name.familyName", "title", "active",
    "emails", "emails.value", "emails.type", "emails.primary", "department", "meta.lastModified", "id",
    "nickName", "locale", "members", "members.value", "phoneNumbers", "name", "password", "groups",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
    "urn:ietf:params:scim:schemas:extension:lms:2.0:User:hireDate",
    "urn:ietf:params:scim:schemas:extension:lms:2.0:User:customAttributes",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
    "urn:ietf:params:scim:schemas:core:2.0:User:userName",
]  # fmt: skip
OPERATORS = ["eq", "ne", "co", "sw", "ew", "pr", "gt", "ge", "lt", "le", "EQ", "xx"]
VALUES = st.one_of(
    st.text(max_size=20).map(json.dumps),
    st.sampled_from(["true", "false", "null", "12", "-1.5", '"2024-01-01T00:00:00Z"', '"work"']),
)
NOISE = st.text(alphabet=st.characters(codec="utf-8"), max_size=40)

comparison = st.builds(
    lambda a, o, v: f"{a} {o}" if o == "pr" else f"{a} {o} {v}",
    st.sampled_from(ATTRIBUTES),
    st.sampled_from(OPERATORS),
    VALUES,
)
value_path = st.builds(
    lambda inner, sub: f"emails[{inner}]{sub}", comparison, st.sampled_from(["", ".value", ".type"])
)
filters = st.recursive(
    st.one_of(comparison, value_path, NOISE),
    lambda inner: st.one_of(
        st.builds(
            lambda a, b, op: f"{a} {op} {b}", inner, inner, st.sampled_from(["and", "or", "AND", "nor"])
        ),
        st.builds(lambda a: f"not ({a})", inner),
        st.builds(lambda a: f"({a}", inner),
    ),
    max_leaves=6,
)
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=30)),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=10), inner, max_size=3)
    ),
    max_leaves=8,
)
paths = st.one_of(
    st.sampled_from(ATTRIBUTES),
    value_path,
    st.builds(lambda v: f"members[value eq {v}]", VALUES),
    st.builds(
        lambda v: f"urn:ietf:params:scim:schemas:extension:lms:2.0:User:customAttributes[name eq {v}].value",
        VALUES,
    ),
    NOISE,
    st.none(),
)
operation = st.fixed_dictionaries(
    {"op": st.sampled_from(["add", "remove", "replace", "Add", "REPLACE", "move", 7])},
    optional={
        "path": paths,
        "value": st.one_of(
            json_values, st.dictionaries(st.sampled_from(ATTRIBUTES), json_values, max_size=4)
        ),
    },
)
patch_bodies = st.one_of(
    st.fixed_dictionaries(
        {
            "schemas": st.just(["urn:ietf:params:scim:api:messages:2.0:PatchOp"]),
            "Operations": st.lists(operation, max_size=4),
        }
    ),
    json_values,
)
user_bodies = st.dictionaries(st.sampled_from(ATTRIBUTES), json_values, max_size=6)

# SCIM_HYPOTHESIS_EXAMPLES raises the number of examples for a longer hunt than the suite's default.
SETTINGS = settings(
    max_examples=int(os.environ.get("SCIM_HYPOTHESIS_EXAMPLES", "120")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


def assert_scim_answer(response):
    assert response.status_code < 500, response.content
    if response.status_code >= 400:
        body = response.json()
        assert body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
        assert body["status"] == str(response.status_code)


@pytest.fixture
def target(scim):
    user = scim.post(
        "Users", {"userName": "target@example.com", "emails": [{"value": "target@example.com"}]}
    ).json()
    group = scim.post("Groups", {"displayName": "Target group", "members": [{"value": user["id"]}]}).json()
    return user, group


@SETTINGS
@given(filter_text=filters, resource=st.sampled_from(["Users", "Groups"]))
def test_random_filters_never_fail_the_server(scim, target, filter_text, resource):
    response = scim.get(f"{resource}?filter={quote(filter_text)}")

    assert_scim_answer(response)
    assert response.status_code in (200, 400)


@SETTINGS
@given(body=patch_bodies)
def test_random_user_patches_never_fail_the_server(scim, target, body):
    user, _ = target
    before = User.objects.get(pk=user["id"])

    response = scim.patch(f"Users/{user['id']}", body)

    assert_scim_answer(response)
    if response.status_code >= 400:
        after = User.objects.get(pk=user["id"])
        assert after.version == before.version  # a refused PATCH changed nothing


@SETTINGS
@given(body=patch_bodies)
def test_random_group_patches_never_fail_the_server(scim, target, body):
    _, group = target

    assert_scim_answer(scim.patch(f"Groups/{group['id']}", body))


@SETTINGS
@given(body=user_bodies, user_name=st.one_of(st.text(max_size=300), json_values))
def test_random_user_bodies_never_fail_the_server(scim, target, body, user_name):
    user, _ = target
    body = {**body, "userName": user_name}

    assert_scim_answer(scim.post("Users", body))
    assert_scim_answer(scim.put(f"Users/{user['id']}", body))


@SETTINGS
@given(
    attributes=st.lists(st.one_of(st.sampled_from(ATTRIBUTES), NOISE), max_size=4).map(",".join),
    start=st.one_of(st.integers(), NOISE),
    count=st.one_of(st.integers(), NOISE),
)
def test_random_paging_and_attribute_lists_never_fail_the_server(scim, target, attributes, start, count):
    query = f"attributes={quote(attributes)}&startIndex={quote(str(start))}&count={quote(str(count))}"

    assert_scim_answer(scim.get(f"Users?{query}"))
    assert_scim_answer(scim.get(f"Groups?excludedAttributes={quote(attributes)}"))
