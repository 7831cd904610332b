"""The admin API's JSON parser: DRF's, plus the checks every JSON edge makes (lms_identity.json_input).

DRF's JSONParser turns a ValueError into a 400 but lets a RecursionError (an array nested a few
thousand deep) through as a 500, and passes lone surrogates on to JSONField columns (rule conditions),
where PostgreSQL refuses them with another 500."""

from typing import Any

from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.parsers import JSONParser

from lms_identity.errors import NestedTooDeep, UnstorableText
from lms_identity.json_input import MAX_DEPTH, check_json_input


class CheckedJSONParser(JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(f"JSON parse error - the body nests deeper than {MAX_DEPTH} levels") from None
        try:
            check_json_input(data)
        except NestedTooDeep:
            raise ParseError(f"JSON parse error - the body nests deeper than {MAX_DEPTH} levels") from None
        except UnstorableText as exc:
            raise ValidationError({exc.field: [str(exc)]}) from None
        return data
