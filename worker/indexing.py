"""The library indexer: the jobs table's change stream in, index items, counters and analytics records out.

A job is indexed after its terminal commit, never before: the stream record of that commit is durable (24
hours, retried until handled), so a crash anywhere loses nothing, and an attempt that died before its commit
leaves nothing to clean up. Writes are idempotent (term items are plain puts; counters move under a marker's
condition; the analytics record has a key of its own per job), because a stream delivers at least once.
The worker's hot path gains no request for it. A removed job record (deleted, or expired by TTL) takes its
index items, counters and analytics record with it. Records of one item arrive in order, so a job's removal
is always handled after its indexing.
"""

from __future__ import annotations

from typing import Any, Protocol

from imagejobs import keys, records
from imagejobs.index import IndexedImage, indexed_image
from imagejobs.model import JobStatus
from imagejobs.observability import logger, metrics
from imagejobs.records import JobRecord


class Index(Protocol):
    def index_image(self, image: IndexedImage) -> int: ...
    def unindex_job(self, job_id: str, owner: str) -> int: ...


class Documents(Protocol):
    def read_json(self, key: str) -> Any | None: ...
    def write_line(self, key: str, document: dict[str, Any]) -> None: ...
    def delete(self, key: str) -> None: ...


def _job(image: dict[str, Any] | None) -> JobRecord | None:
    if not image or image.get("sk", {}).get("S") != records.JOB_SK:
        return None
    return JobRecord.from_item(image)


def analytics_key(job: JobRecord) -> str:
    return keys.analytics_key(job.updated_at[:10], job.job_id)


def analytics_record(job: JobRecord, image: IndexedImage | None) -> dict[str, Any]:
    """A finished job as a row of the `jobs` table Athena and DuckDB query (snake_case columns)."""
    return {
        "job_id": job.job_id,
        "batch_id": job.batch_id,
        "owner": job.owner,
        "filename": job.filename,
        "status": job.status.value,
        "error_code": job.error.code.value if job.error else None,
        "created_at": job.created_at,
        "finished_at": job.updated_at,
        "features": [feature.value for feature in job.options.features],
        # Names as plain arrays too: UNNEST of an array of strings reads the same in Athena and DuckDB.
        "label_names": [n for n, _ in image.labels] if image else [],
        "moderation_names": [n for n, _ in image.moderation] if image else [],
        "labels": [{"name": n, "confidence": c} for n, c in image.labels] if image else [],
        "moderation": [{"name": n, "confidence": c} for n, c in image.moderation] if image else [],
        "face_count": image.face_count if image else None,
        "text_words": list(image.words) if image else [],
        "width": image.image_width if image else None,
        "height": image.image_height if image else None,
    }


def handle_change(record: dict[str, Any], index: Index, documents: Documents) -> str:
    """Apply one stream record; returns what was done (for logs and tests)."""
    change = record.get("dynamodb", {})
    new, old = _job(change.get("NewImage")), _job(change.get("OldImage"))
    if record.get("eventName") == "REMOVE" and old is not None:
        removed = index.unindex_job(old.job_id, old.owner)
        if old.status.is_terminal:
            documents.delete(analytics_key(old))
        logger.info("job unindexed", job_id=old.job_id, items=removed)
        return "unindexed"
    if new is None or not new.status.is_terminal or (old is not None and old.status.is_terminal):
        return "ignored"
    image = None
    if new.status in (JobStatus.SUCCEEDED, JobStatus.PARTIAL) and new.results_key:
        results = documents.read_json(new.results_key)
        if results is None:  # deleted before we got here: its removal record follows and cleans up
            logger.info("results gone before indexing", job_id=new.job_id)
            return "gone"
        image = indexed_image(new, dict(results))
        index.index_image(image)
        metrics.add_metric(name="ImagesIndexed", unit="Count", value=1)
    documents.write_line(analytics_key(new), analytics_record(new, image))
    return "indexed" if image else "recorded"


def handle_stream(event: dict[str, Any], index: Index, documents: Documents) -> dict[str, Any]:
    """Records in order; at the first failure, report it and stop: Lambda retries from that record, so a
    job's later changes are never applied before an earlier one."""
    for record in event.get("Records", []):
        sequence = record.get("dynamodb", {}).get("SequenceNumber", "")
        try:
            handle_change(record, index, documents)
        except Exception:
            logger.exception("stream record not indexed", sequence=sequence)
            return {"batchItemFailures": [{"itemIdentifier": sequence}]}
    return {"batchItemFailures": []}
