"""The one error representation: every 4xx/5xx body is `{"error": {"code", "message"}}` (design/API.md)."""

from __future__ import annotations

from typing import Annotated

from pydantic import ConfigDict, Field

from api.errors import ApiErrorCode
from api.models.base import ApiModel
from imagejobs.errors import ErrorCode


class ErrorDetail(ApiModel):
    code: Annotated[
        ApiErrorCode | ErrorCode, Field(description="Stable, machine-readable code; clients map it to a sentence.")
    ]
    message: Annotated[str, Field(description="A human sentence saying what went wrong and what to do.")]
    request_id: Annotated[
        str | None,
        Field(description="The request's id, for support; always present on 500 INTERNAL."),
    ] = None


class ErrorEnvelope(ApiModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"error": {"code": "NOT_FOUND", "message": "no batch 'b-0123'"}}],
        }
    )

    error: ErrorDetail

    @classmethod
    def of(cls, code: str, message: str, request_id: str | None = None) -> ErrorEnvelope:
        return cls(error=ErrorDetail.model_validate({"code": code, "message": message, "requestId": request_id}))
