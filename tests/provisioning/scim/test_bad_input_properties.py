"""Property tests: lone surrogates and impossible dates, anywhere in a body (POST, PUT, PATCH) or a filter
(GET ?filter= and POST /.search), get a SCIM 400, never a 5xx, and change nothing."""

from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lms_identity.models import Group, User

from .test_properties import ATTRIBUTES, SETTINGS, assert_scim_answer, json_values

pytestmark = pytest.mark.django_db

SEARCH = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
LMS = "urn:ietf:params:scim:schemas:extension:lms:2.0:User"

lone_surrogates = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)
bad_text = st.builds(lambda a, s, b: a + s + b, st.text(max_size=6), lone_surrogates, st.text(max_size=6))
dates = st.builds(
    lambda y, mo, d, h, mi, tz: f"{y:04d}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:00{tz}",
    st.sampled_from([0, 1, 2020, 9999, 10000]),
    st.integers(0, 13),
    st.integers(0, 45),
    st.integers(0, 25),
    st.integers(0, 61),
    st.sampled_from(["Z", "+14:00", "-14:00", "+00:00", ""]),
)
# A bad string as a value, inside a list, inside an object, or as an object's member name.
placements = st.sampled_from([lambda s: s, lambda s: [s], lambda s: {"value": s}, lambda s: {s: "x"}])
bodies_with_bad_text = st.builds(
    lambda body, attr, bad, place: {**body, attr: place(bad)},
    st.dictionaries(st.sampled_from(ATTRIBUTES), json_values, max_size=4),
    st.sampled_from(ATTRIBUTES),
    bad_text,
    placements,
)
FILTER_ATTRIBUTES = ["userName", "displayName", "emails", "externalId", "title", "meta.created",
                     "meta.lastModified", f"{LMS}:hireDate", "emails[type eq \"work\"].value"]  # fmt: skip
comparisons = st.builds(
    lambda attr, op, value: f'{attr} {op} "{value}"',
    st.sampled_from(FILTER_ATTRIBUTES),
    st.sampled_from(["eq", "ne", "gt", "ge", "lt", "le", "co", "sw"]),
    st.one_of(bad_text, dates),
)
filters = st.one_of(
    comparisons,
    st.builds(lambda a, b, op: f"{a} {op} ({b})", comparisons, comparisons, st.sampled_from(["and", "or"])),
    st.builds(lambda a: f"not ({a})", comparisons),
)


@pytest.fixture
def target(scim):
    user = scim.post("Users", {"userName": "target@example.com"}).json()
    group = scim.post("Groups", {"displayName": "Target group", "members": [{"value": user["id"]}]}).json()
    return user, group


def assert_refused(response, scim_type):
    assert_scim_answer(response)
    assert (response.status_code, response.json().get("scimType")) == (400, scim_type), response.content


def has_lone_surrogate(text):
    return any(0xD800 <= ord(c) <= 0xDFFF for c in text)


@SETTINGS
@given(body=bodies_with_bad_text)
def test_bad_text_anywhere_in_a_user_body_is_refused_and_stores_nothing(scim, target, body):
    user, _ = target
    people, version = User.objects.count(), User.objects.get(pk=user["id"]).version

    assert_refused(scim.post("Users", body), "invalidValue")
    assert_refused(scim.put(f"Users/{user['id']}", body), "invalidValue")
    assert (User.objects.count(), User.objects.get(pk=user["id"]).version) == (people, version)


@SETTINGS
@given(path=st.sampled_from(ATTRIBUTES), value=bodies_with_bad_text, op=st.sampled_from(["add", "replace"]))
def test_bad_text_anywhere_in_a_patch_is_refused_and_changes_nothing(scim, target, path, value, op):
    user, group = target
    version = User.objects.get(pk=user["id"]).version
    body = {"schemas": [PATCH], "Operations": [{"op": op, "path": path, "value": value}]}

    assert_refused(scim.patch(f"Users/{user['id']}", body), "invalidValue")
    assert_refused(scim.patch(f"Groups/{group['id']}", body), "invalidValue")
    assert User.objects.get(pk=user["id"]).version == version


@SETTINGS
@given(body=bodies_with_bad_text)
def test_bad_text_anywhere_in_a_group_body_is_refused(scim, target, body):
    groups = Group.objects.count()

    assert_refused(scim.post("Groups", {"displayName": "Sales", **body}), "invalidValue")
    assert Group.objects.count() == groups


@SETTINGS
@given(hire_date=dates, created=dates)
def test_impossible_dates_in_a_user_body_never_fail_the_server(scim, target, hire_date, created):
    body = {"userName": "dates@example.com", LMS: {"hireDate": hire_date}, "meta": {"created": created}}

    response = scim.post("Users", body)

    assert_scim_answer(response)
    assert response.status_code in (201, 400)
    if response.status_code == 400:
        assert response.json()["scimType"] == "invalidValue"
    User.objects.filter(user_name="dates@example.com").delete()


@SETTINGS
@given(filter_text=filters, resource=st.sampled_from(["Users", "Groups"]))
def test_bad_text_and_impossible_dates_in_filters_get_200_or_400_invalid_filter(
    scim, target, filter_text, resource
):
    by_get = scim.get(f"{resource}?filter={quote(filter_text, errors='surrogatepass')}")
    by_search = scim.post(f"{resource}/.search", {"schemas": [SEARCH], "filter": filter_text})
    by_root_search = scim.post(".search", {"schemas": [SEARCH], "filter": filter_text})

    for response in (by_get, by_search, by_root_search):
        assert_scim_answer(response)
        if has_lone_surrogate(filter_text):
            assert_refused(response, "invalidFilter")
        else:
            assert response.status_code in (200, 400)
            if response.status_code == 400:
                assert response.json()["scimType"] == "invalidFilter"
