"""Representations of the service itself."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from api.models.base import ApiModel


class Health(ApiModel):
    status: Literal["ok"]
    recognizer: Annotated[
        str | None, Field(description="Local stack only: the local Rekognition backend in use (models or stub).")
    ] = None
