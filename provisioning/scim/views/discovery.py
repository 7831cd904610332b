"""/ServiceProviderConfig, /ResourceTypes and /Schemas (RFC 7644 §4)."""

from django.http import HttpRequest, HttpResponse

from .. import schemas
from ..errors import not_found
from .base import ScimView, json_response


def _list(resources: list[dict]) -> dict:
    return {
        "schemas": [schemas.LIST_SCHEMA],
        "totalResults": len(resources),
        "startIndex": 1,
        "itemsPerPage": len(resources),
        "Resources": resources,
    }


class ServiceProviderConfigView(ScimView):
    http_method_names = ["get", "options"]

    def get(self, request: HttpRequest) -> HttpResponse:
        return json_response(schemas.service_provider_config(self.base_url()))


class ResourceTypesView(ScimView):
    http_method_names = ["get", "options"]

    def get(self, request: HttpRequest, uuid: str | None = None) -> HttpResponse:
        documents = schemas.resource_type_documents(self.base_url())
        if uuid is None:
            return json_response(_list(list(documents.values())))
        if uuid not in documents:
            raise not_found("No such resource type")
        return json_response(documents[uuid])


class SchemasView(ScimView):
    http_method_names = ["get", "options"]

    def get(self, request: HttpRequest, uuid: str | None = None) -> HttpResponse:
        base = self.base_url()
        if uuid is None:
            return json_response(
                _list([schemas.schema_document(s, base) or {} for s in schemas.schema_ids()])
            )
        document = schemas.schema_document(uuid, base)
        if document is None:
            raise not_found("No such schema")
        return json_response(document)
