"""What each route answers, declared for the OpenAPI document: its success status and model, the headers
it sets, and every error status it can end with (each in the one error envelope)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from api.models.errors import ErrorEnvelope

JSON = "application/json"

ERRORS = {
    400: "The request is not valid (`VALIDATION_ERROR`): a field, parameter, header or token is malformed.",
    401: "No bearer token, or one that is not valid (`UNAUTHORIZED`).",
    404: "No such resource among the caller's own (`NOT_FOUND`); another caller's id answers the same.",
    409: (
        "The `Idempotency-Key` was used for a different request (`IDEMPOTENCY_KEY_REUSED`), or the resource is "
        "busy (`RESOURCE_BUSY`: a job being analysed is deleted once it has finished; see `Retry-After`)."
    ),
    413: "Too large (`FILE_TOO_LARGE`): an image over the upload limit, or a body over the API's limit.",
    415: "The body's `Content-Type` is not one this operation takes (`UNSUPPORTED_MEDIA_TYPE`).",
    429: (
        "Over a per-caller limit: `QUOTA_EXCEEDED` (images per day, jobs per batch) or `RATE_LIMITED` "
        "(requests per minute). `Retry-After` says when to try again."
    ),
    500: "An error of the service itself (`INTERNAL`); `requestId` identifies it in the logs.",
    503: "A dependency is busy or unreachable (`SERVICE_UNAVAILABLE`); retry after `Retry-After` seconds.",
}

HEADERS: dict[str, dict[str, Any]] = {
    "ETag": {
        "description": "Changes whenever the job does; send it back as `If-None-Match`.",
        "schema": {"type": "string"},
    },
    "Retry-After": {"description": "Seconds to wait before asking again.", "schema": {"type": "integer"}},
    "Location": {
        "description": "The new job, relative to the API base URL the request used.",
        "schema": {"type": "string"},
    },
}
_ERROR_HEADERS = {409: ["Retry-After"], 429: ["Retry-After"], 503: ["Retry-After"]}

# Every authenticated route can meet these, whatever it does.
AUTHENTICATED = (400, 401, 429, 500, 503)
# Routes that take a JSON body can also meet these.
WITH_BODY = (413, 415)


def _headers(names: list[str]) -> dict[str, dict[str, Any]]:
    return {name: HEADERS[name] for name in names}


def answers(
    status: int,
    model: type[BaseModel] | None,
    description: str,
    *,
    headers: list[str] | None = None,
    errors: tuple[int, ...] = AUTHENTICATED,
    extra: dict[int, dict[str, Any]] | None = None,
) -> dict[int, Any]:
    """The `responses` of one route: `status` with `model` (None: no body), then each error status."""
    success: dict[str, Any] = {"description": description}
    if model is not None:
        success["content"] = {JSON: {"model": model}}
    if headers:
        success["headers"] = _headers(headers)
    declared: dict[int, Any] = {status: success, **(extra or {})}
    for code in sorted(set(errors)):
        error: dict[str, Any] = {"description": ERRORS[code], "content": {JSON: {"model": ErrorEnvelope}}}
        if code in _ERROR_HEADERS:
            error["headers"] = _headers(_ERROR_HEADERS[code])
        declared[code] = error
    return declared
