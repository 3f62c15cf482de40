"""Errors a request can end with. `api.app` turns each into `{"error": {"code", "message"}}` in one place;
the OpenAPI document lists, per route, the statuses of the errors it can raise.
"""

from __future__ import annotations

from enum import StrEnum
from http import HTTPStatus

from imagejobs.errors import ImgrecError


class ApiErrorCode(StrEnum):
    """Codes of request errors (a job's own outcome codes are `imagejobs.errors.ErrorCode`)."""

    VALIDATION_ERROR = "VALIDATION_ERROR"
    UNAUTHORIZED = "UNAUTHORIZED"
    NOT_FOUND = "NOT_FOUND"
    METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    # A job being analysed right now cannot be deleted until it has finished.
    RESOURCE_BUSY = "RESOURCE_BUSY"
    # A webhook endpoint for that URL exists already (its id is in the message).
    ENDPOINT_EXISTS = "ENDPOINT_EXISTS"
    UNSUPPORTED_MEDIA_TYPE = "UNSUPPORTED_MEDIA_TYPE"
    QUOTA_EXCEEDED = "QUOTA_EXCEEDED"
    # Answered by the WAF rate rule deployed, by the local gateway locally: never by the API function.
    RATE_LIMITED = "RATE_LIMITED"
    SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
    INTERNAL = "INTERNAL"


class ApiError(ImgrecError):
    status = HTTPStatus.BAD_REQUEST
    code: str = ApiErrorCode.VALIDATION_ERROR

    def __init__(self, message: str, code: str | None = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.headers = headers or {}
        if code is not None:
            self.code = code


class BadRequestError(ApiError):
    status = HTTPStatus.BAD_REQUEST
    code = ApiErrorCode.VALIDATION_ERROR


class UnauthorizedError(ApiError):
    status = HTTPStatus.UNAUTHORIZED
    code = ApiErrorCode.UNAUTHORIZED


class NotFoundError(ApiError):
    """Unknown ids and other callers' ids alike: never reveal that someone else's batch exists."""

    status = HTTPStatus.NOT_FOUND
    code = ApiErrorCode.NOT_FOUND


class MethodNotAllowedError(ApiError):
    status = HTTPStatus.METHOD_NOT_ALLOWED
    code = ApiErrorCode.METHOD_NOT_ALLOWED

    def __init__(self, method: str, allowed: list[str]) -> None:
        super().__init__(
            f"{method} is not allowed here; use {', '.join(allowed)}", headers={"Allow": ", ".join(allowed)}
        )


class ConflictError(ApiError):
    status = HTTPStatus.CONFLICT
    code = ApiErrorCode.IDEMPOTENCY_KEY_REUSED


class BusyError(ApiError):
    """The resource is changing right now (a job being analysed): try again after `Retry-After`."""

    status = HTTPStatus.CONFLICT
    code = ApiErrorCode.RESOURCE_BUSY

    def __init__(self, message: str, retry_after_seconds: int) -> None:
        super().__init__(message, headers={"Retry-After": str(max(1, retry_after_seconds))})


class PayloadTooLargeError(ApiError):
    status = HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    code = "FILE_TOO_LARGE"


class UnsupportedMediaTypeError(ApiError):
    status = HTTPStatus.UNSUPPORTED_MEDIA_TYPE
    code = ApiErrorCode.UNSUPPORTED_MEDIA_TYPE


class QuotaExceededError(ApiError):
    """A per-caller quota (images per day, jobs per batch) would be exceeded."""

    status = HTTPStatus.TOO_MANY_REQUESTS
    code = ApiErrorCode.QUOTA_EXCEEDED

    def __init__(self, message: str, retry_after_seconds: int) -> None:
        super().__init__(message, headers={"Retry-After": str(max(1, retry_after_seconds))})


class NotModifiedError(ImgrecError):
    """Not a failure: the client's copy (`If-None-Match`) is current. Answered as a bodiless 304."""

    def __init__(self, headers: dict[str, str]) -> None:
        super().__init__("not modified")
        self.headers = headers
