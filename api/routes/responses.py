from __future__ import annotations

from aws_lambda_powertools.event_handler import Response, content_types
from pydantic import BaseModel


def model_response(status: int, body: BaseModel, headers: dict[str, str] | None = None) -> Response[str]:
    """One representation of `api.models` as the answer: camelCase JSON, nulls kept (the contract has them)."""
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body=body.model_dump_json(by_alias=True),
        headers=headers or {},
    )
