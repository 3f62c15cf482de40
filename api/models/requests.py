"""Request bodies, validated by Powertools (pydantic) before any logic runs."""

from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator, ConfigDict, Field, StringConstraints

from api.models.base import ApiModel
from api.models.webhooks import CallbackUrl
from imagejobs.limits import MAX_IMAGES_PER_REQUEST
from imagejobs.model import AnalysisOptions, integral_float

Filename = Annotated[str, StringConstraints(strict=True, min_length=1, max_length=1024)]
ContentType = Annotated[
    str, StringConstraints(strict=True, min_length=3, max_length=127, pattern=r"^[A-Za-z0-9][\w.+-]*/[\w.+-]+$")
]
JobId = Annotated[str, StringConstraints(strict=True, max_length=64)]


class ImageSlot(ApiModel):
    filename: Filename
    content_type: ContentType = "application/octet-stream"
    size: Annotated[
        int,
        Field(strict=True, ge=1, le=2**53, description="Bytes the upload will have."),
        BeforeValidator(integral_float),
    ]


BatchName = Annotated[
    str,
    StringConstraints(strict=True, min_length=1, max_length=200, pattern=r"^\S(.*\S)?$"),
    Field(description="A name to find the batch by (no leading or trailing space)."),
]
TAG_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:/=+@-]{0,63}$"
Tag = Annotated[str, StringConstraints(strict=True, pattern=TAG_PATTERN)]
Tags = Annotated[list[Tag], Field(max_length=20, description="Up to 20 tags (letters, digits, `_.:/=+@-`).")]


class CreateBatchRequest(ApiModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "images": [
                        {"filename": "cat.jpg", "contentType": "image/jpeg", "size": 482113},
                        {"filename": "receipt.png", "contentType": "image/png", "size": 1203334},
                    ],
                    "options": {"features": ["LABELS", "TEXT"], "minConfidence": 60, "maxLabels": 20},
                }
            ]
        }
    )

    images: Annotated[list[ImageSlot], Field(min_length=1, max_length=MAX_IMAGES_PER_REQUEST)]
    options: AnalysisOptions = AnalysisOptions()
    name: BatchName | None = None
    tags: Tags = []
    callback_url: Annotated[
        CallbackUrl | None,
        Field(description="Events of this batch are POSTed here, signed (docs/notifications.md)."),
    ] = None


class UpdateBatchRequest(ApiModel):
    """Rename or re-tag a batch: a field left out stays as it is; `"name": null` removes the name."""

    name: BatchName | None = None
    tags: Tags | None = None


class AddImagesRequest(ApiModel):
    images: Annotated[list[ImageSlot], Field(min_length=1, max_length=MAX_IMAGES_PER_REQUEST)]


class SubmitRequest(ApiModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{}, {"jobIds": ["j-4f1c2e0b9a8d4c6e8f7a6b5c4d3e2f1a"]}]})

    job_ids: Annotated[
        list[JobId] | None,
        Field(max_length=MAX_IMAGES_PER_REQUEST, description="Default: every job of the batch."),
    ] = None
