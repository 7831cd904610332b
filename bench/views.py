"""The ceiling: the least a Django view on this stack can do with one row.

Same gunicorn, middleware, database and connection settings as the SCIM endpoint, so the ratio of a SCIM
figure to these says how much our code adds on top of Django and PostgreSQL themselves.
"""

import json

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from bench.models import CeilingRow


@require_GET
def read_one_row(request: HttpRequest, pk: int) -> HttpResponse:
    row = CeilingRow.objects.filter(pk=pk).first()
    if row is None:
        return JsonResponse({"detail": "not found"}, status=404)
    return JsonResponse({"id": row.pk, "key": row.key, "payload": row.payload})


@csrf_exempt
@require_POST
def insert_one_row(request: HttpRequest) -> HttpResponse:
    try:
        body = json.loads(request.body)
        key = str(body["key"])
    except (ValueError, KeyError, TypeError):
        return JsonResponse({"detail": "a JSON body with a key is required"}, status=400)
    row = CeilingRow.objects.create(key=key, payload=body)
    return JsonResponse({"id": row.pk, "key": row.key}, status=201)


@csrf_exempt
@require_http_methods(["PATCH"])
def update_one_row(request: HttpRequest, pk: int) -> HttpResponse:
    """The ceiling of a PATCH: parse the JSON body and update one row by primary key in one statement."""
    try:
        body = json.loads(request.body)
    except ValueError:
        return JsonResponse({"detail": "a JSON body is required"}, status=400)
    if not CeilingRow.objects.filter(pk=pk).update(payload=body):
        return JsonResponse({"detail": "not found"}, status=404)
    return JsonResponse({"id": pk})
