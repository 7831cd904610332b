"""Text the database cannot store, impossible dates and absurd nesting: each a 400 in SCIM's error
format, and nothing stored."""

import json
from urllib.parse import quote

import pytest

from lms_identity.models import Group, User
from tests.provisioning.scim.conftest import patch_op

pytestmark = pytest.mark.django_db

ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
SEARCH = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
LONE_HIGH, LONE_LOW = "\\ud800", "\\udfff"  # as JSON spells them: json.loads makes lone surrogates


def assert_scim_400(response, scim_type):
    assert response.status_code == 400, response.content
    assert response.json() == {
        "schemas": [ERROR],
        "status": "400",
        "scimType": scim_type,
        "detail": response.json()["detail"],
    }


@pytest.fixture
def ann(scim):
    return scim.post("Users", {"userName": "ann@example.com", "title": "Engineer"}).json()


@pytest.mark.parametrize(
    "body",
    [
        f'{{"userName": "a{LONE_HIGH}b@example.com"}}',
        f'{{"userName": "bob@example.com", "name": {{"givenName": "{LONE_LOW}"}}}}',
        f'{{"userName": "bob", "emails": [{{"value": "b@example.com", "display": "{LONE_HIGH}"}}]}}',
        f'{{"userName": "bob@example.com", "{LONE_HIGH}": "an attribute name"}}',
        '{"userName": "bob@example.com", "title": "a\\u0000b"}',
    ],
    ids=["userName", "name.givenName", "emails.display", "attribute-name", "nul"],
)
def test_a_user_body_with_unstorable_text_is_400_invalid_value_and_creates_nobody(scim, body):
    response = scim.post("Users", body)

    assert_scim_400(response, "invalidValue")
    assert not User.objects.exists()


def test_the_refusal_names_where_the_bad_text_is(scim):
    response = scim.post("Users", f'{{"userName": "bob@example.com", "name": {{"givenName": "{LONE_LOW}"}}}}')

    assert response.json()["detail"] == "name.givenName contains a character that cannot be stored"


def test_a_patch_with_unstorable_text_is_400_and_changes_nothing(scim, ann):
    body = json.dumps(patch_op({"op": "replace", "path": "title", "value": "x"})).replace(
        '"x"', f'"{LONE_HIGH}"'
    )

    response = scim.patch(f"Users/{ann['id']}", body)

    assert_scim_400(response, "invalidValue")
    assert User.objects.get(pk=ann["id"]).title == "Engineer"


def test_a_put_with_unstorable_text_is_400_and_changes_nothing(scim, ann):
    response = scim.put(f"Users/{ann['id']}", f'{{"userName": "ann@example.com", "title": "{LONE_LOW}"}}')

    assert_scim_400(response, "invalidValue")
    assert User.objects.get(pk=ann["id"]).title == "Engineer"


def test_a_group_with_unstorable_text_is_400_and_not_created(scim):
    response = scim.post("Groups", f'{{"displayName": "Sales {LONE_HIGH}"}}')

    assert_scim_400(response, "invalidValue")
    assert not Group.objects.exists()


@pytest.mark.parametrize("path", ["Users/.search", "Groups/.search", ".search"])
def test_a_search_filter_with_unstorable_text_is_400_invalid_filter(scim, ann, path):
    body = f'{{"schemas": ["{SEARCH}"], "filter": "userName eq \\"{LONE_HIGH}\\""}}'

    assert_scim_400(scim.post(path, body), "invalidFilter")


@pytest.mark.parametrize(
    "query, scim_type",
    [
        ("filter=" + quote('userName eq "') + "%ED%A0%80" + quote('"'), "invalidFilter"),  # UTF-8 of U+D800
        ("filter=" + quote('userName eq "') + "%FF" + quote('"'), "invalidFilter"),  # not UTF-8 at all
        ("filter=" + quote('userName eq "a') + "%00" + quote('"'), "invalidFilter"),
        ("attributes=%ED%A0%80", "invalidValue"),
        ("excludedAttributes=title%ED%BF%BF", "invalidValue"),
        ("count=%ED%A0%80", "invalidValue"),
    ],
    ids=[
        "filter-surrogate",
        "filter-invalid-utf8",
        "filter-nul",
        "attributes",
        "excludedAttributes",
        "count",
    ],
)
def test_a_query_string_with_unstorable_text_is_400(scim, ann, query, scim_type):
    """Django would read these bytes as U+FFFD and search for what the IdP never sent."""
    assert_scim_400(scim.get(f"Users?{query}"), scim_type)


def test_a_query_string_with_valid_non_ascii_text_still_searches(scim, ann):
    scim.post("Users", {"userName": "émile@example.com"})

    response = scim.get("Users?filter=" + quote('userName eq "émile@example.com"'))

    assert [r["userName"] for r in response.json()["Resources"]] == ["émile@example.com"]


IMPOSSIBLE_DATES = [
    'meta.created eq "2020-13-45T00:00:00Z"',
    'meta.created gt "2020-02-30T00:00:00Z"',
    'meta.lastModified ge "2020-01-01T25:00:00Z"',
    'meta.lastModified gt "0001-01-01T00:00:00+14:00"',
    'meta.lastModified lt "9999-12-31T23:59:59-14:00"',
    'meta.created eq "10000-01-01T00:00:00Z"',
    'urn:ietf:params:scim:schemas:extension:lms:2.0:User:hireDate gt "0001-01-01T00:00:00+14:00"',
    'urn:ietf:params:scim:schemas:extension:lms:2.0:User:hireDate eq "2021-00-10T00:00:00Z"',
]


@pytest.mark.parametrize("filter_text", IMPOSSIBLE_DATES)
def test_a_filter_with_an_impossible_or_out_of_range_date_is_400_invalid_filter(scim, ann, filter_text):
    assert_scim_400(scim.get("Users?filter=" + quote(filter_text)), "invalidFilter")
    assert_scim_400(scim.post("Users/.search", {"schemas": [SEARCH], "filter": filter_text}), "invalidFilter")


@pytest.mark.parametrize(
    "filter_text",
    ['meta.created gt "0001-01-01T00:00:00Z"', 'meta.lastModified lt "9999-12-31T23:59:59Z"'],
)
def test_the_extreme_dates_that_exist_still_compare(scim, ann, filter_text):
    response = scim.get("Users?filter=" + quote(filter_text))

    assert [r["id"] for r in response.json()["Resources"]] == [ann["id"]]


@pytest.mark.parametrize("depth", [33, 500])
def test_a_body_nested_too_deep_is_400_invalid_syntax(scim, ann, depth):
    deep = "[" * depth + "]" * depth
    body = (
        '{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": '
        f'[{{"op": "replace", "path": "title", "value": {deep}}}]}}'
    )

    response = scim.patch(f"Users/{ann['id']}", body)

    assert_scim_400(response, "invalidSyntax")
    assert response.json()["detail"] == "The body nests deeper than 32 levels"


@pytest.mark.parametrize("hire_date", ["2020-01-01T25:00:00Z", "2020-13-01T00:00:00Z", "2020-02-30"])
def test_an_impossible_hire_date_is_400_invalid_value(scim, hire_date):
    body = {
        "userName": "bob@example.com",
        "urn:ietf:params:scim:schemas:extension:lms:2.0:User": {"hireDate": hire_date},
    }

    assert_scim_400(scim.post("Users", body), "invalidValue")
    assert not User.objects.exists()
