"""Filters, pagination and attribute selection on lists."""

from datetime import timedelta
from urllib.parse import quote

import pytest
from django.utils import timezone

from lms_identity.models import User
from tests.factories import ConnectionFactory, UserFactory

pytestmark = pytest.mark.django_db

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


@pytest.fixture
def staff(connection):
    return {
        "ann": UserFactory(
            connection=connection,
            user_name="Ann@Example.com",
            email="ann@example.com",
            title="Engineer",
            department="R&D",
            display_name="Ann Lee",
            external_id="e-ann",
            given_name="Ann",
        ),
        "bob": UserFactory(
            connection=connection,
            user_name="bob@example.com",
            email="bob@corp.example",
            title="",
            department="Sales",
            display_name="Bob Stone",
            external_id="e-bob",
            given_name="Bob",
            is_active=False,
        ),
        "cy": UserFactory(
            connection=connection,
            user_name="cy@example.com",
            email="",
            title="Engineer",
            department="Sales",
            display_name="Cy Twombly",
            given_name="Cy",
        ),
    }


def names(scim, filter_text, resource="Users"):
    response = scim.get(f"{resource}?filter={quote(filter_text)}")
    assert response.status_code == 200, response.content
    return sorted(r.get("userName") or r.get("displayName") for r in response.json()["Resources"])


@pytest.mark.parametrize(
    ("filter_text", "expected"),
    [
        ('userName eq "ann@example.com"', ["Ann@Example.com"]),
        ('USERNAME eq "ANN@EXAMPLE.COM"', ["Ann@Example.com"]),
        ('userName ne "ann@example.com"', ["bob@example.com", "cy@example.com"]),
        ('userName co "EXAMPLE"', ["Ann@Example.com", "bob@example.com", "cy@example.com"]),
        ('userName sw "b"', ["bob@example.com"]),
        ('userName ew "@EXAMPLE.COM"', ["Ann@Example.com", "bob@example.com", "cy@example.com"]),
        ('externalId eq "e-bob"', ["bob@example.com"]),
        ('externalId eq "E-BOB"', []),
        ("title pr", ["Ann@Example.com", "cy@example.com"]),
        ("not (title pr)", ["bob@example.com"]),
        ('title eq "Engineer" and department eq "Sales"', ["cy@example.com"]),
        (
            'title eq "Engineer" or department eq "Sales"',
            ["Ann@Example.com", "bob@example.com", "cy@example.com"],
        ),
        (
            '(department eq "Sales" or department eq "R&D") and not (active eq false)',
            ["Ann@Example.com", "cy@example.com"],
        ),
        ("active eq false", ["bob@example.com"]),
        ("active eq true", ["Ann@Example.com", "cy@example.com"]),
        ('displayName eq "ann lee"', ["Ann@Example.com"]),
        ('name.givenName eq "Cy"', ["cy@example.com"]),
        ('emails.value eq "BOB@corp.example"', ["bob@example.com"]),
        ('emails[type eq "work"].value co "corp"', ["bob@example.com"]),
        ('emails[type eq "work" and value ew "example.com"]', ["Ann@Example.com"]),
        ('emails[type eq "home"]', []),
        ("emails pr", ["Ann@Example.com", "bob@example.com"]),
        (f'{ENTERPRISE}:department eq "Sales"', ["bob@example.com", "cy@example.com"]),
        ('urn:ietf:params:scim:schemas:core:2.0:User:userName eq "cy@example.com"', ["cy@example.com"]),
        ('userName gt "bob@example.com"', ["cy@example.com"]),
        ('userName eq "nobody@example.com"', []),
        ('id eq "not-a-uuid"', []),
    ],
)
def test_user_filters(scim, staff, filter_text, expected):
    assert names(scim, filter_text) == expected


def test_filter_on_last_modified(scim, staff):
    User.objects.filter(pk=staff["bob"].pk).update(updated_at=timezone.now() - timedelta(days=3))
    since = (timezone.now() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")

    assert names(scim, f'meta.lastModified gt "{since}"') == ["Ann@Example.com", "cy@example.com"]
    assert names(scim, f'meta.lastModified le "{since}"') == ["bob@example.com"]


def test_filter_on_a_custom_attribute(scim, staff):
    User.objects.filter(pk=staff["bob"].pk).update(custom_attributes={"region": "EU"})
    lms = "urn:ietf:params:scim:schemas:extension:lms:2.0:User"

    assert names(scim, f'{lms}:customAttributes.region eq "EU"') == ["bob@example.com"]
    assert names(scim, f"{lms}:customAttributes.region pr") == ["bob@example.com"]
    assert names(scim, f'not ({lms}:customAttributes.region eq "EU")') == [
        "Ann@Example.com",
        "cy@example.com",
    ]
    assert scim.get("Users?filter=" + quote(f'{lms}:customAttributes.shoeSize eq "1"')).status_code == 400


def test_filter_by_id(scim, staff):
    assert names(scim, f'id eq "{staff["cy"].pk}"') == ["cy@example.com"]


@pytest.mark.parametrize(
    "filter_text",
    [
        'favouriteColour eq "red"',
        'userName eq "ann@example.com" and favouriteColour eq "red"',
        'userName eq "ann@example.com" or password eq "x"',
        "userName eq",
        'userName xx "a"',
        '(userName eq "a"',
        'userName eq "a" and',
        "active gt true",
        'active eq "maybe"',
        'meta.lastModified gt "yesterday"',
        'emails[type eq "work"',
        'userName eq "a\x00b"',
        "",
    ],
)
def test_bad_filters_are_400_invalid_filter_never_a_wider_result(scim, staff, filter_text):
    response = scim.get(f"Users?filter={quote(filter_text)}")

    assert response.status_code == 400
    assert response.json()["scimType"] == "invalidFilter"
    assert response.json()["status"] == "400"


def test_group_filters(scim, connection):
    scim.post("Groups", {"displayName": "Sales EMEA", "externalId": "g-1"})
    scim.post("Groups", {"displayName": "Engineering"})

    assert names(scim, 'displayName eq "sales emea"', "Groups") == ["Sales EMEA"]
    assert names(scim, 'externalId eq "g-1"', "Groups") == ["Sales EMEA"]
    assert names(scim, 'displayName sw "Eng"', "Groups") == ["Engineering"]
    assert scim.get("Groups?filter=" + quote('userName eq "x"')).status_code == 400


def test_pagination_is_stable_by_id_and_reports_integers(scim, connection, settings):
    settings.SCIM_MAX_RESULTS = 2
    people = sorted((UserFactory(connection=connection) for _ in range(5)), key=lambda u: u.pk)

    first = scim.get("Users?startIndex=0&count=10").json()
    third = scim.get("Users?startIndex=5&count=2").json()
    beyond = scim.get("Users?startIndex=9").json()

    assert (first["totalResults"], first["startIndex"], first["itemsPerPage"]) == (5, 1, 2)
    assert [r["id"] for r in first["Resources"]] == [str(p.pk) for p in people[:2]]
    assert [r["id"] for r in third["Resources"]] == [str(people[4].pk)]
    assert (beyond["totalResults"], beyond["itemsPerPage"], beyond["Resources"]) == (5, 0, [])


def test_paging_a_filtered_list_visits_each_match_once_in_id_order(scim, connection):
    """An IdP importing page by page (startIndex 1, 4, 7, ...) sees every matching person exactly once, and
    no deleted or non-matching one, on the deep pages as on the first."""
    people = [UserFactory(connection=connection, department="Sales") for _ in range(8)]
    UserFactory(connection=connection, department="Legal")
    UserFactory(connection=connection, department="Sales", deleted_at=timezone.now(), is_active=False)
    query = "filter=" + quote('department eq "Sales"')

    seen = []
    for start in (1, 4, 7, 10):
        body = scim.get(f"Users?{query}&startIndex={start}&count=3").json()
        assert body["totalResults"] == 8
        seen += [r["id"] for r in body["Resources"]]

    assert seen == sorted(str(p.pk) for p in people)


def test_count_zero_returns_only_the_total(scim, staff):
    body = scim.get("Users?count=0").json()

    assert (body["totalResults"], body["itemsPerPage"], body["Resources"]) == (3, 0, [])


def test_non_integer_paging_is_400(scim, staff):
    response = scim.get("Users?count=ten")

    assert response.status_code == 400
    assert response.json()["scimType"] == "invalidValue"


def test_attributes_and_excluded_attributes_on_lists(scim, staff):
    cy = "filter=" + quote('userName eq "cy@example.com"')
    only = scim.get(f"Users?{cy}&attributes=userName,name.givenName").json()
    without = scim.get(f"Users?{cy}&excludedAttributes=name,meta,title").json()

    assert only["Resources"] == [
        {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "id": str(staff["cy"].pk),
            "userName": "cy@example.com",
            "name": {"givenName": "Cy"},
        }
    ]
    resource = without["Resources"][0]
    assert "name" not in resource and "meta" not in resource and "title" not in resource
    assert resource["userName"] == "cy@example.com"


def test_search_endpoint_takes_a_search_request(scim, staff):
    body = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
        "attributes": ["userName"],
        "filter": 'department eq "Sales"',
        "startIndex": 1,
        "count": 10,
    }

    response = scim.post("Users/.search", body)

    assert response.status_code == 200
    assert sorted(r["userName"] for r in response.json()["Resources"]) == [
        "bob@example.com",
        "cy@example.com",
    ]


def test_root_search_covers_users_and_groups(scim, staff):
    scim.post("Groups", {"displayName": "Sales"})

    response = scim.post(
        ".search",
        {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "filter": 'displayName sw "S"'},
    )

    assert response.status_code == 200
    found = sorted(r.get("userName", r.get("displayName")) for r in response.json()["Resources"])
    assert found == ["Sales"]


def test_huge_start_index_finds_nothing_and_still_counts(scim, staff):
    body = scim.get("Users?startIndex=99999999999999999999999").json()

    assert (body["totalResults"], body["itemsPerPage"], body["Resources"]) == (3, 0, [])


def test_the_unfiltered_scim_list_reports_the_count(scim, connection):
    for _ in range(3):
        UserFactory(connection=connection)
    UserFactory(connection=ConnectionFactory(slug="other"))

    body = scim.get("Users?count=1").json()

    assert (body["totalResults"], body["itemsPerPage"]) == (3, 1)
