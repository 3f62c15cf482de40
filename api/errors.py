"""Errors a request can end with; `api.app` maps them to `{"error": {"code", "message"}}` in one place."""

from __future__ import annotations

from http import HTTPStatus

from imagejobs.errors import ImgrecError


class ApiError(ImgrecError):
    status = HTTPStatus.BAD_REQUEST
    code = "BAD_REQUEST"

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class BadRequestError(ApiError):
    status = HTTPStatus.BAD_REQUEST
    code = "VALIDATION_ERROR"


class UnauthorizedError(ApiError):
    status = HTTPStatus.UNAUTHORIZED
    code = "UNAUTHORIZED"


class NotFoundError(ApiError):
    """Unknown ids and other callers' ids alike: never reveal that someone else's batch exists."""

    status = HTTPStatus.NOT_FOUND
    code = "NOT_FOUND"


class ConflictError(ApiError):
    status = HTTPStatus.CONFLICT
    code = "IDEMPOTENCY_KEY_REUSED"


class PayloadTooLargeError(ApiError):
    status = HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    code = "FILE_TOO_LARGE"


class UnsupportedMediaTypeError(ApiError):
    status = HTTPStatus.UNSUPPORTED_MEDIA_TYPE
    code = "UNSUPPORTED_MEDIA_TYPE"
