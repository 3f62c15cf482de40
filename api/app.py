"""The resolver: routes, the OpenAPI document, and the one place where errors become HTTP answers."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError as RouteNotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from pydantic import ValidationError

from api.errors import ApiError
from api.routes import batches, jobs
from api.routes.responses import error_body, json_response
from imagejobs.errors import TransientError
from imagejobs.observability import logger

app = APIGatewayRestResolver(
    enable_validation=True,
    # The web app may be served from another origin (S3 static hosting); identity is a bearer token.
    cors=CORSConfig(
        allow_origin="*",
        allow_headers=["Authorization", "Content-Type", "If-None-Match"],
        expose_headers=["ETag", "Retry-After", "Location"],
        max_age=600,
    ),
)
app.include_router(batches.router)
app.include_router(jobs.router)


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/openapi.json")
def openapi() -> Response[str]:
    return Response(
        status_code=200,
        content_type="application/json",
        body=app.get_openapi_json_schema(title="imgrec API", version="1.0.0"),
    )


def _describe(errors: Any) -> str:
    parts = []
    for error in list(errors)[:5]:
        where = ".".join(str(p) for p in error.get("loc", ()) if p not in ("body",)) or "request"
        parts.append(f"{where}: {error.get('msg', 'invalid')}")
    return "; ".join(parts) or "the request is not valid"


@app.exception_handler(ApiError)
def on_api_error(error: ApiError) -> Response[str]:
    return json_response(int(error.status), error_body(error.code, error.message))


@app.exception_handler(RequestValidationError)
def on_invalid_request(error: RequestValidationError) -> Response[str]:
    return json_response(400, error_body("VALIDATION_ERROR", _describe(error.errors())))


@app.exception_handler(ValidationError)
def on_invalid_body(error: ValidationError) -> Response[str]:
    return json_response(400, error_body("VALIDATION_ERROR", _describe(error.errors())))


@app.exception_handler(TransientError)
def on_transient(error: TransientError) -> Response[str]:
    logger.warning("dependency busy", error=str(error))
    return json_response(
        503, error_body("SERVICE_UNAVAILABLE", "the service is busy, try again shortly"), {"Retry-After": "2"}
    )


@app.not_found
def on_not_found(_: RouteNotFoundError) -> Response[str]:
    return json_response(404, error_body("NOT_FOUND", "no such resource"))
