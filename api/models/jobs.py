"""The job representation (`GET /jobs/{id}`, `POST /images`, pages of `GET /batches/{id}/jobs`)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from api.models.base import OMITTED_WHEN_NONE, ApiModel
from imagejobs.errors import ErrorCode
from imagejobs.model import AnalysisOptions, JobStatus

RekognitionItems = Annotated[
    list[dict[str, Any]], Field(description="Rekognition's own items, unchanged; boxes relative to `image`.")
]


class JobErrorBody(ApiModel):
    code: ErrorCode
    message: str


class NormalizedImage(ApiModel):
    """The image Rekognition saw; every bounding box is relative to it."""

    width: int
    height: int
    url: Annotated[str, Field(description="Presigned GET of the normalized image, valid for a limited time.")]


class OriginalImage(ApiModel):
    width: int
    height: int
    format: str
    bytes: int


class Results(ApiModel):
    """One list per requested feature that answered; a feature not requested or failed is absent."""

    labels: RekognitionItems | None = OMITTED_WHEN_NONE
    faces: RekognitionItems | None = OMITTED_WHEN_NONE
    text: RekognitionItems | None = OMITTED_WHEN_NONE
    moderation: RekognitionItems | None = OMITTED_WHEN_NONE


class Summary(ApiModel):
    labels: list[str] | None = OMITTED_WHEN_NONE
    face_count: int | None = OMITTED_WHEN_NONE
    text_lines: int | None = OMITTED_WHEN_NONE
    moderation: list[str] | None = OMITTED_WHEN_NONE


class Job(ApiModel):
    job_id: str
    batch_id: str
    filename: str
    status: JobStatus
    created_at: str
    updated_at: str
    options: AnalysisOptions
    error: JobErrorBody | None
    image: NormalizedImage | None
    original: OriginalImage | None
    results: Results | None
    feature_errors: dict[str, JobErrorBody] | None
    attempts: Annotated[int, Field(description="Deliveries that claimed the job.")]
    summary: Summary | None
    results_expired: Annotated[
        bool,
        Field(
            description="True once the stored results and normalized image are gone (after the deployment's "
            "retention period): `status`, `error`, `original` and `summary` stay, `results` and `image` are null."
        ),
    ] = False


class JobPage(ApiModel):
    jobs: list[Job]
    next_token: Annotated[str | None, Field(description="Pass as `nextToken` for the next page; null at the end.")]
