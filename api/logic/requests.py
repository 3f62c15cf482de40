"""Request bodies, validated by Powertools (pydantic) before any logic runs."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from imagejobs.model import AnalysisOptions

MAX_IMAGES_PER_REQUEST = 500

Filename = Annotated[str, StringConstraints(min_length=1, max_length=1024)]
ContentType = Annotated[str, StringConstraints(min_length=3, max_length=127, pattern=r"^[A-Za-z0-9][\w.+-]*/[\w.+-]+$")]
JobId = Annotated[str, StringConstraints(max_length=64)]


class ImageSlot(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_by_name=True, validate_by_alias=True)

    filename: Filename
    content_type: Annotated[ContentType, Field(alias="contentType")] = "application/octet-stream"
    size: Annotated[int, Field(ge=1, le=2**53)]


class CreateBatchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    images: Annotated[list[ImageSlot], Field(min_length=1, max_length=MAX_IMAGES_PER_REQUEST)]
    options: AnalysisOptions = AnalysisOptions()


class AddImagesRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    images: Annotated[list[ImageSlot], Field(min_length=1, max_length=MAX_IMAGES_PER_REQUEST)]


class SubmitRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    job_ids: Annotated[list[JobId] | None, Field(alias="jobIds", max_length=MAX_IMAGES_PER_REQUEST)] = None
