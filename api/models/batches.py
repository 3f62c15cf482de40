"""Batches: what creating one, adding images, submitting and closing answer, and the batch view."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from api.models.base import ApiModel
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


class Batch(ApiModel):
    batch_id: str
    created_at: str
    options: AnalysisOptions
    total: int
    counts: StatusCounts
    done: Annotated[bool, Field(description="Every job has reached SUCCEEDED, PARTIAL or FAILED.")]
    name: Annotated[str | None, Field(description="The batch's name, if it has one.")] = None
    tags: list[str] = []
    finished_at: Annotated[str | None, Field(description="When its last job finished (once `done`).")] = None


class BatchPage(ApiModel):
    batches: list[Batch]
    next_token: Annotated[str | None, Field(description="Pass as `nextToken` for the next page; null at the end.")]
