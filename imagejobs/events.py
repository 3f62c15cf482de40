"""Notification events: what a job's terminal transition and a batch's completion look like to webhooks, the
event topic and live connections, and how they are read off the table's change stream.

Pure. An event is derived from one stream record alone (the item's old and new images), so it is the same
however often the record is delivered: its id is a digest of the item's key and the version of the change
(a job's `version`, a batch's `finishedAt`), and consumers dedupe on it. The payload is versioned
(`version`); a field is only ever added to a version, never renamed or removed (docs/notifications.md).
"""

from __future__ import annotations

import hashlib
import json
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from imagejobs import records
from imagejobs.model import JobStatus
from imagejobs.records import AttributeMap, BatchRecord, JobRecord

EVENT_VERSION = 1
EVENT_ID_PATTERN = r"^evt-[0-9a-f]{32}$"


class EventType(StrEnum):
    JOB_FINISHED = "job.finished"
    BATCH_COMPLETED = "batch.completed"
    # Sent on request to one webhook endpoint only (POST /webhooks/{id}/test).
    WEBHOOK_TEST = "webhook.test"


class _Wire(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, validate_by_name=True, serialize_by_alias=True, frozen=True)


class EventError(_Wire):
    code: str
    message: str


class JobSummary(_Wire):
    labels: list[str] | None = None
    face_count: int | None = None
    text_lines: int | None = None
    moderation: list[str] | None = None


class JobFinished(_Wire):
    """`data` of `job.finished`: a job reached SUCCEEDED, PARTIAL or FAILED."""

    job_id: str
    batch_id: str
    status: Literal["SUCCEEDED", "PARTIAL", "FAILED"]
    filename: str
    finished_at: Annotated[str, Field(description="When the job reached its status (ISO 8601, UTC).")]
    error: Annotated[EventError | None, Field(description="Why it FAILED (absent otherwise).")] = None
    summary: Annotated[JobSummary | None, Field(description="What was found (absent when nothing was).")] = None


class BatchCompleted(_Wire):
    """`data` of `batch.completed`: every job of the batch has finished."""

    batch_id: str
    name: str | None = None
    total: int
    counts: Annotated[dict[JobStatus, int], Field(description="Jobs per status (every status present).")]
    finished_at: Annotated[str, Field(description="When its last job finished.")]
    rekognition_calls: int
    rekognition_calls_saved: int


class WebhookTest(_Wire):
    """`data` of `webhook.test`."""

    endpoint_id: str
    message: str


class Event(_Wire):
    """The envelope every consumer receives (the webhook body, the topic's message, the socket's message)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "evt-5b0c0f0e9a8d4c6e8f7a6b5c4d3e2f1a",
                    "type": "job.finished",
                    "version": 1,
                    "timestamp": "2026-11-27T10:00:03.412Z",
                    "data": {
                        "jobId": "j-4f1c2e0b9a8d4c6e8f7a6b5c4d3e2f1a",
                        "batchId": "b-9e8d7c6b5a4f4e3d8c2b1a0f9e8d7c6b",
                        "status": "SUCCEEDED",
                        "filename": "cat.jpg",
                        "finishedAt": "2026-11-27T10:00:03.412Z",
                        "summary": {"labels": ["Cat", "Pet"]},
                    },
                }
            ]
        }
    )

    id: Annotated[str, Field(pattern=EVENT_ID_PATTERN, description="Unique per event: dedupe on it.")]
    type: EventType
    version: Annotated[int, Field(description="The payload's schema version.")] = EVENT_VERSION
    timestamp: Annotated[str, Field(description="When it happened (ISO 8601, UTC).")]
    data: JobFinished | BatchCompleted | WebhookTest

    def body(self) -> bytes:
        """The exact bytes sent (and signed): compact JSON, absent optional fields left out."""
        return self.model_dump_json(exclude_none=True).encode()

    def to_json(self) -> dict[str, Any]:
        document: dict[str, Any] = json.loads(self.body())
        return document


def event_id(*parts: str) -> str:
    return "evt-" + hashlib.sha256("\0".join(parts).encode()).hexdigest()[:32]


def job_finished(job: JobRecord) -> Event:
    summary = JobSummary.model_validate(job.summary) if job.summary else None
    return Event(
        id=event_id(EventType.JOB_FINISHED, job.job_id, str(job.version)),
        type=EventType.JOB_FINISHED,
        timestamp=job.updated_at,
        data=JobFinished(
            job_id=job.job_id,
            batch_id=job.batch_id,
            status=job.status.value,  # terminal: checked by the caller (pydantic validates it too)
            filename=job.filename,
            finished_at=job.updated_at,
            error=EventError(code=job.error.code.value, message=job.error.message) if job.error else None,
            summary=summary if summary and summary.model_dump(exclude_none=True) else None,
        ),
    )


def batch_completed(batch: BatchRecord) -> Event:
    finished_at = batch.finished_at or batch.created_at
    return Event(
        id=event_id(EventType.BATCH_COMPLETED, batch.batch_id, finished_at, str(batch.total)),
        type=EventType.BATCH_COMPLETED,
        timestamp=finished_at,
        data=BatchCompleted(
            batch_id=batch.batch_id,
            name=batch.name,
            total=batch.total,
            counts={status: batch.counts.get(status, 0) for status in JobStatus},
            finished_at=finished_at,
            rekognition_calls=batch.usage.calls,
            rekognition_calls_saved=batch.usage.saved,
        ),
    )


def webhook_test(event_key: str, endpoint_id: str, at: str) -> Event:
    return Event(
        id=event_id(EventType.WEBHOOK_TEST, endpoint_id, event_key),
        type=EventType.WEBHOOK_TEST,
        timestamp=at,
        data=WebhookTest(endpoint_id=endpoint_id, message="a test event, sent on request"),
    )


def _sort_key(image: AttributeMap | None) -> str | None:
    return image.get("sk", {}).get("S") if image else None


def _job_event(new: AttributeMap, old: AttributeMap | None) -> tuple[Event, str, str] | None:
    job = JobRecord.from_item(new)
    before = JobRecord.from_item(old) if old else None
    if not job.status.is_terminal or (before is not None and before.status.is_terminal):
        return None
    return job_finished(job), job.owner, job.batch_id


def _batch_event(new: AttributeMap, old: AttributeMap | None) -> tuple[Event, str, str] | None:
    batch = BatchRecord.from_item(new)
    before = BatchRecord.from_item(old) if old else None
    if not batch.done or batch.deleting_since is not None or (before is not None and before.done):
        return None
    return batch_completed(batch), batch.owner, batch.batch_id


def event_of(record: dict[str, Any]) -> tuple[Event, str, str] | None:
    """The event a stream record stands for, with its owner and batch id; None for any other change (a
    non-terminal transition, a batch still running or being deleted, a removal, another kind of item)."""
    if record.get("eventName") not in ("INSERT", "MODIFY"):
        return None
    change = record.get("dynamodb", {})
    new, old = change.get("NewImage"), change.get("OldImage")
    kind = _sort_key(new)
    if kind == records.JOB_SK:
        return _job_event(new, old)
    if kind == records.BATCH_SK:
        return _batch_event(new, old)
    return None


def event_schema() -> dict[str, Any]:
    """The JSON Schema of the envelope and its `data` variants (docs/events.schema.json)."""
    schema = Event.model_json_schema(by_alias=True, mode="serialization")
    schema["$id"] = f"https://imgrec.dev/schemas/events/v{EVENT_VERSION}.json"
    schema["title"] = f"imgrec event, version {EVENT_VERSION}"
    return schema
