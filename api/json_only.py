"""Request validation that takes JSON bodies only.

Powertools' validation middleware would also parse form and multipart bodies for a route with a body
model, and its multipart parser fails on a `Content-Type` without a boundary. This API's bodies are JSON:
anything else is a 415 before any parser runs.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.event_handler.middlewares.openapi_validation import OpenAPIRequestValidationMiddleware
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestUnsupportedContentType


class JsonOnlyRequestValidation(OpenAPIRequestValidationMiddleware):
    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]

    def _get_body(self, app: Any) -> dict[str, Any]:
        content_type = (app.current_event.headers.get("content-type") or "").strip().lower()
        if content_type and not content_type.startswith("application/json"):
            raise RequestUnsupportedContentType(
                "Unsupported content type",
                errors=[{"type": "unsupported_content_type", "loc": ("body",), "msg": content_type[:100]}],
            )
        return self._parse_json_data(app)


def take_json_only(app: APIGatewayRestResolver) -> None:
    # The resolver keeps its validation middleware in a private attribute; Powertools is pinned and the
    # gate's fuzzer sends multipart bodies, so a change there fails loudly.
    app._request_validation_middleware = JsonOnlyRequestValidation()
