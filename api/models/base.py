"""The base of every API model.

Request fields are strict on purpose: `"size": "12"` or `true` is a client bug that lax coercion would
hide, so numbers must be JSON numbers and strings JSON strings. An integer may be written `5.0`: JSON
Schema counts that as an integer, and the OpenAPI document is the contract.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel


class ApiModel(BaseModel):
    """camelCase on the wire, unknown fields refused (a misspelt option must not be silently ignored)."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        extra="forbid",
        frozen=True,
    )


def _absent(value: Any) -> bool:
    return value is None


# A part that is left out of the JSON when there is none, rather than sent as null (e.g. `results` holds only
# the features that answered).
OMITTED_WHEN_NONE = Field(default=None, exclude_if=_absent)
