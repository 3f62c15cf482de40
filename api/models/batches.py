"""Batches: what creating one, adding images, submitting and closing answer, and the batch view."""

from __future__ import annotations

from typing import Annotated

from pydantic import ConfigDict, Field

from api.models.base import OMITTED_WHEN_NONE, ApiModel
from api.models.webhooks import CallbackEndpoint
from imagejobs.errors import ErrorCode
from imagejobs.model import AnalysisOptions, JobStatus


class UploadForm(ApiModel):
    """An S3 presigned POST: send every field, then the `file` part last (multipart/form-data)."""

    url: str
    fields: dict[str, str]
    expires_at: str


class UploadSlot(ApiModel):
    job_id: str
    filename: str
    upload: UploadForm


class BatchCreated(ApiModel):
    batch_id: str
    created_at: str
    jobs: list[UploadSlot]
    callback: Annotated[
        CallbackEndpoint | None, Field(description="The endpoint `callbackUrl` named (when the request had one).")
    ] = OMITTED_WHEN_NONE


class ImagesAdded(ApiModel):
    batch_id: str
    jobs: list[UploadSlot]


class RejectedJob(ApiModel):
    job_id: str
    code: ErrorCode


class SubmitOutcome(ApiModel):
    queued: Annotated[list[str], Field(description="Jobs sent for analysis by this call.")]
    missing: Annotated[list[str], Field(description="Jobs whose upload is not there (yet): submit them again later.")]
    already_submitted: Annotated[list[str], Field(description="Jobs an earlier submit (or the worker) moved on.")]
    rejected: Annotated[list[RejectedJob], Field(description="Uploads over the size limit: the job ended FAILED.")]
    unknown: Annotated[list[str], Field(description="Requested ids that are not jobs of this batch.")]


class CloseOutcome(ApiModel):
    closed: Annotated[list[str], Field(description="Jobs that were still awaiting their upload and are now FAILED.")]


StatusCounts = Annotated[
    dict[JobStatus, int], Field(description="How many of the batch's jobs are in each status (every status present).")
]


class BatchUsage(ApiModel):
    """What the batch's finished jobs cost in Rekognition calls, and what reusing stored answers saved."""

    rekognition_calls: Annotated[int, Field(description="Detect* calls paid for (one per image and feature).")]
    rekognition_calls_saved: Annotated[
        int, Field(description="Answers reused instead of paid for: duplicate images, retries after a crash.")
    ]
    estimated_cost_usd: Annotated[
        float, Field(description="rekognitionCalls x pricePer1000CallsUsd / 1000: an estimate, before volume tiers.")
    ]
    price_per_1000_calls_usd: Annotated[float, Field(description="The price the estimate uses (a deployment setting).")]


class Batch(ApiModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "batchId": "b-9e8d7c6b5a4f4e3d8c2b1a0f9e8d7c6b",
                    "createdAt": "2026-11-27T10:00:00.000Z",
                    "options": {"features": ["LABELS"], "minConfidence": 55.0, "maxLabels": 50},
                    "total": 3,
                    "counts": {
                        "AWAITING_UPLOAD": 0,
                        "QUEUED": 1,
                        "PROCESSING": 1,
                        "SUCCEEDED": 1,
                        "PARTIAL": 0,
                        "FAILED": 0,
                    },
                    "done": False,
                    "usage": {
                        "rekognitionCalls": 1,
                        "rekognitionCallsSaved": 0,
                        "estimatedCostUsd": 0.001,
                        "pricePer1000CallsUsd": 1.0,
                    },
                }
            ]
        }
    )

    batch_id: str
    created_at: str
    options: AnalysisOptions
    total: int
    counts: StatusCounts
    done: Annotated[bool, Field(description="Every job has reached SUCCEEDED, PARTIAL or FAILED.")]
    usage: BatchUsage
    name: Annotated[str | None, Field(description="The batch's name, if it has one.")] = None
    tags: list[str] = []
    finished_at: Annotated[str | None, Field(description="When its last job finished (once `done`).")] = None


class BatchPage(ApiModel):
    batches: list[Batch]
    next_token: Annotated[str | None, Field(description="Pass as `nextToken` for the next page; null at the end.")]
