"""The job representation (`GET /jobs/{id}`, `POST /images`, pages of `GET /batches/{id}/jobs`)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import ConfigDict, Field
from pydantic.config import JsonDict

from api.models.base import OMITTED_WHEN_NONE, ApiModel
from api.models.webhooks import CallbackEndpoint
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


JOB_EXAMPLE: JsonDict = {
    "jobId": "j-4f1c2e0b9a8d4c6e8f7a6b5c4d3e2f1a",
    "batchId": "b-9e8d7c6b5a4f4e3d8c2b1a0f9e8d7c6b",
    "filename": "cat.jpg",
    "status": "SUCCEEDED",
    "createdAt": "2026-11-27T10:00:00.000Z",
    "updatedAt": "2026-11-27T10:00:03.412Z",
    "options": {"features": ["LABELS"], "minConfidence": 55.0, "maxLabels": 50},
    "error": None,
    "image": {"width": 2016, "height": 1512, "url": "https://bucket.s3.amazonaws.com/derived/…/normalized.jpg?X-Amz-…"},
    "original": {"width": 4032, "height": 3024, "format": "JPEG", "bytes": 2811034},
    "results": {
        "labels": [
            {
                "Name": "Cat",
                "Confidence": 98.1,
                "Instances": [],
                "Parents": [{"Name": "Animal"}, {"Name": "Pet"}],
                "Aliases": [],
                "Categories": [{"Name": "Animals and Pets"}],
            }
        ]
    },
    "featureErrors": None,
    "attempts": 1,
    "summary": {"labels": ["Cat", "Pet", "Animal"]},
    "resultsExpired": False,
}


class Job(ApiModel):
    model_config = ConfigDict(json_schema_extra={"examples": [JOB_EXAMPLE]})

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


class ImageAccepted(Job):
    """The answer to POST /images: the job, and the endpoint its `callbackUrl` named (when it had one)."""

    callback: Annotated[
        CallbackEndpoint | None, Field(description="The endpoint `callbackUrl` named (when the request had one).")
    ] = OMITTED_WHEN_NONE


class JobPage(ApiModel):
    jobs: list[Job]
    next_token: Annotated[str | None, Field(description="Pass as `nextToken` for the next page; null at the end.")]
