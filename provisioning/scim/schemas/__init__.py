"""The discovery documents (RFC 7643 §5-7): what /Schemas, /ResourceTypes and /ServiceProviderConfig say.

The schema JSON files list only attributes we store, return and patch; adding an attribute to the adapters
means adding it here, and the conformance test (scim2-tester) checks the two agree."""

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE_SCHEMA = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
LMS_SCHEMA = "urn:ietf:params:scim:schemas:extension:lms:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
USER_EXTENSIONS = (ENTERPRISE_SCHEMA, LMS_SCHEMA)

LIST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
SEARCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
SCHEMA_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Schema"
RESOURCE_TYPE_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
SPC_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"

_FILES = {
    USER_SCHEMA: "user.json",
    ENTERPRISE_SCHEMA: "enterprise_user.json",
    LMS_SCHEMA: "lms_user.json",
    GROUP_SCHEMA: "group.json",
}


@cache
def _load(schema_id: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((Path(__file__).parent / _FILES[schema_id]).read_text())
    return data


def schema_ids() -> list[str]:
    return list(_FILES)


def custom_attribute_names() -> list[str]:
    """The customAttributes sub-attributes IdPs may set (settings.SCIM_CUSTOM_ATTRIBUTES)."""
    return [n for n in settings.SCIM_CUSTOM_ATTRIBUTES if n and n.replace("_", "").isalnum()]


def schema_document(schema_id: str, base_url: str) -> dict[str, Any] | None:
    if schema_id not in _FILES:
        return None
    document = copy.deepcopy(_load(schema_id))
    if schema_id == LMS_SCHEMA:
        _describe_custom_attributes(document)
    return {
        "schemas": [SCHEMA_SCHEMA],
        **document,
        "meta": {"resourceType": "Schema", "location": f"{base_url}Schemas/{schema_id}"},
    }


def _describe_custom_attributes(document: dict[str, Any]) -> None:
    names = custom_attribute_names()
    attributes = document["attributes"]
    custom = next(a for a in attributes if a["name"] == "customAttributes")
    if not names:
        attributes.remove(custom)
        return
    custom["subAttributes"] = [
        {
            "name": name,
            "type": "string",
            "multiValued": False,
            "description": f"Custom attribute {name}.",
            "required": False,
            "caseExact": False,
            "mutability": "readWrite",
            "returned": "default",
            "uniqueness": "none",
        }
        for name in names
    ]


def resource_type_documents(base_url: str) -> dict[str, dict[str, Any]]:
    return {
        "User": {
            "schemas": [RESOURCE_TYPE_SCHEMA],
            "id": "User",
            "name": "User",
            "endpoint": "/Users",
            "description": "People",
            "schema": USER_SCHEMA,
            "schemaExtensions": [{"schema": s, "required": False} for s in USER_EXTENSIONS],
            "meta": {"resourceType": "ResourceType", "location": f"{base_url}ResourceTypes/User"},
        },
        "Group": {
            "schemas": [RESOURCE_TYPE_SCHEMA],
            "id": "Group",
            "name": "Group",
            "endpoint": "/Groups",
            "description": "Teams",
            "schema": GROUP_SCHEMA,
            "meta": {"resourceType": "ResourceType", "location": f"{base_url}ResourceTypes/Group"},
        },
    }


def service_provider_config(base_url: str) -> dict[str, Any]:
    return {
        "schemas": [SPC_SCHEMA],
        "documentationUri": f"{settings.PUBLIC_URL}/docs/scim",
        "patch": {"supported": True},
        # Bulk is not offered; RFC 7643 §5 has no other place for limits, so its fields advertise the
        # body size (413 above it) and the PATCH operation count (tooMany above it) every request honours.
        "bulk": {
            "supported": False,
            "maxOperations": settings.SCIM_MAX_OPERATIONS,
            "maxPayloadSize": settings.SCIM_MAX_PAYLOAD_BYTES,
        },
        "filter": {"supported": True, "maxResults": settings.SCIM_MAX_RESULTS},
        "changePassword": {"supported": False},
        "sort": {"supported": False},
        "etag": {"supported": True},
        "authenticationSchemes": [
            {
                "type": "oauthbearertoken",
                "name": "Bearer token",
                "description": "A per-connection token issued with `manage.py scim_token SLUG` or the admin.",
                "primary": True,
            }
        ],
        "meta": {"resourceType": "ServiceProviderConfig", "location": f"{base_url}ServiceProviderConfig"},
    }
