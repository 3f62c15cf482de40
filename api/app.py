"""The resolver: routes, the OpenAPI document and reference page, and the one place where errors become
HTTP answers."""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError as RouteNotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)

from api.errors import ApiError, ApiErrorCode, MethodNotAllowedError, NotModifiedError
from api.json_bodies import parse_json_body
from api.json_only import take_json_only
from api.models.errors import ErrorEnvelope
from api.models.service import Health
from api.openapi import DOCS_PATH, OPENAPI_PATH, openapi_document, reference_page
from api.routes import batches, deletions, jobs, library, webhooks
from api.routes.answers import answers
from api.routes.responses import model_response
from imagejobs.errors import DependencyError, TransientError
from imagejobs.observability import logger

TRANSIENT_RETRY_AFTER = 2


def create_app(cors_origin: str = "") -> APIGatewayRestResolver:
    """The API. `cors_origin` is the web app's origin (empty: same-origin only, no CORS headers)."""
    cors = CORSConfig(
        allow_origin=cors_origin,
        allow_headers=["Authorization", "Content-Type", "If-None-Match", "Idempotency-Key"],
        expose_headers=["ETag", "Retry-After", "Location"],
        max_age=600,
    )
    app = APIGatewayRestResolver(
        enable_validation=True, cors=cors if cors_origin else None, json_body_deserializer=parse_json_body
    )
    take_json_only(app)
    app.include_router(batches.router)
    app.include_router(jobs.router)
    app.include_router(library.router)
    app.include_router(deletions.router)
    app.include_router(webhooks.router)
    _service_routes(app)
    _error_handlers(app)
    return app


def _service_routes(app: APIGatewayRestResolver) -> None:
    @app.get(
        "/health",
        summary="Liveness (no token needed)",
        responses=answers(200, Health, "The service answers.", errors=(500, 503)),
        tags=["service"],
    )
    def health() -> Response[str]:
        return model_response(200, Health(status="ok"))

    @app.get(OPENAPI_PATH, include_in_schema=False)
    def openapi() -> Response[str]:
        return Response(status_code=200, content_type=content_types.APPLICATION_JSON, body=openapi_document(app))

    @app.get(DOCS_PATH, include_in_schema=False)
    def docs() -> Response[str]:
        return Response(status_code=200, content_type="text/html; charset=utf-8", body=reference_page(app))


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Response[str]:
    return model_response(status, ErrorEnvelope.of(code, message), headers)


def _describe(errors: Any) -> str:
    parts = []
    for error in list(errors)[:5]:
        where = ".".join(str(p) for p in error.get("loc", ()) if p not in ("body",)) or "request"
        parts.append(f"{where}: {error.get('msg', 'invalid')}")
    return "; ".join(parts) or "the request is not valid"


def _error_handlers(app: APIGatewayRestResolver) -> None:
    @app.exception_handler(ApiError)
    def on_api_error(error: ApiError) -> Response[str]:
        return _error(int(error.status), error.code, error.message, error.headers)

    @app.exception_handler(NotModifiedError)
    def on_not_modified(answer: NotModifiedError) -> Response[str]:
        return Response(status_code=304, body="", headers=answer.headers)

    @app.exception_handler(RequestUnsupportedContentType)
    def on_unsupported_content_type(_: RequestUnsupportedContentType) -> Response[str]:
        return _error(415, ApiErrorCode.UNSUPPORTED_MEDIA_TYPE, "send the body as JSON: Content-Type: application/json")

    @app.exception_handler(RequestValidationError)
    def on_invalid_request(error: RequestValidationError) -> Response[str]:
        return _error(400, ApiErrorCode.VALIDATION_ERROR, _describe(error.errors()))

    @app.exception_handler(TransientError)
    def on_transient(error: TransientError) -> Response[str]:
        logger.warning("dependency busy", error=str(error))
        return _error(
            503,
            ApiErrorCode.SERVICE_UNAVAILABLE,
            "the service is busy, try again shortly",
            {"Retry-After": str(TRANSIENT_RETRY_AFTER)},
        )

    @app.exception_handler(Exception)
    def on_unexpected(error: Exception) -> Response[str]:
        # The last resort: our bug or a misconfiguration (DependencyError). Never a dropped connection.
        request_id = app.current_event.request_context.request_id
        if isinstance(error, DependencyError):
            logger.error("dependency refused a call", error=str(error), request_id=request_id)
        else:
            logger.exception("request failed", request_id=request_id)
        envelope = ErrorEnvelope.of(ApiErrorCode.INTERNAL, "something went wrong on our side", request_id)
        return model_response(500, envelope)

    @app.not_found
    def on_not_found(_: RouteNotFoundError) -> Response[str]:
        event = app.current_event
        allowed = _allowed_methods(app, event.path)
        if allowed:
            refused = MethodNotAllowedError(event.http_method.upper(), allowed)
            return _error(int(refused.status), refused.code, refused.message, refused.headers)
        return _error(404, ApiErrorCode.NOT_FOUND, "no such resource")


def _allowed_methods(app: APIGatewayRestResolver, path: str) -> list[str]:
    """The methods some route has for `path` (the resolver answers 404 for a known path with another method;
    its route table is private, hence the attribute access)."""
    routes = app._static_routes + app._dynamic_routes
    return sorted({route.method for route in routes if route.rule.match(path)})


@cache
def get_app() -> APIGatewayRestResolver:
    from api.settings import get_settings

    return create_app(get_settings().cors_origin)
