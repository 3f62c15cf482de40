"""Events read off stream records: which changes are events, their ids (stable across redeliveries,
distinct across changes), their payload and its schema."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import jsonschema
import pytest

from imagejobs.errors import ErrorCode
from imagejobs.events import event_of, event_schema
from imagejobs.model import AnalysisOptions, JobStatus
from imagejobs.records import BatchRecord, JobError, JobRecord

JOB = JobRecord(
    job_id="j-" + "1" * 32,
    batch_id="b-" + "2" * 32,
    seq=0,
    owner="ann",
    filename="cat.jpg",
    content_type="image/jpeg",
    declared_size=10,
    options=AnalysisOptions(),
    status=JobStatus.PROCESSING,
    created_at="2026-11-27T10:00:00.000Z",
    updated_at="2026-11-27T10:00:01.000Z",
    expires_at=1,
    version=2,
)
BATCH = BatchRecord(
    batch_id="b-" + "2" * 32,
    owner="ann",
    created_at="2026-11-27T10:00:00.000Z",
    options=AnalysisOptions(),
    expires_at=1,
    total=2,
    counts={JobStatus.SUCCEEDED: 1, JobStatus.PROCESSING: 1},
)


def record(new: Any, old: Any = None, event: str = "MODIFY") -> dict[str, Any]:
    change: dict[str, Any] = {"NewImage": new.to_item()} if new is not None else {}
    if old is not None:
        change["OldImage"] = old.to_item()
    return {"eventName": event, "dynamodb": change}


def finished(job: JobRecord = JOB, **changes: Any) -> JobRecord:
    return job.moved_to(JobStatus.SUCCEEDED, "2026-11-27T10:00:03.000Z", summary={"labels": ["Cat"]}, **changes)


def test_a_job_reaching_a_terminal_status_is_a_job_finished_event_with_its_owner_and_batch():
    event, owner, batch_id = event_of(record(finished(), JOB))  # type: ignore[misc]
    assert (event.type.value, owner, batch_id) == ("job.finished", "ann", JOB.batch_id)
    assert event.to_json()["data"] == {
        "jobId": JOB.job_id,
        "batchId": JOB.batch_id,
        "status": "SUCCEEDED",
        "filename": "cat.jpg",
        "finishedAt": "2026-11-27T10:00:03.000Z",
        "summary": {"labels": ["Cat"]},
    }
    assert event.to_json()["version"] == 1


def test_the_same_record_delivered_twice_is_the_same_event_and_another_change_another():
    once, again = event_of(record(finished(), JOB)), event_of(record(finished(), JOB))
    assert once is not None and again is not None and once[0].id == again[0].id
    assert once[0].body() == again[0].body()
    other_job = event_of(record(finished(replace(JOB, job_id="j-" + "3" * 32)), replace(JOB, job_id="j-" + "3" * 32)))
    assert other_job is not None and other_job[0].id != once[0].id


def test_a_failed_job_carries_its_error_and_no_summary():
    failed = JOB.moved_to(JobStatus.FAILED, "2026-11-27T10:00:03.000Z", error=JobError(ErrorCode.DECODE_ERROR, "bad"))
    event, _, _ = event_of(record(failed, JOB))  # type: ignore[misc]
    data = event.to_json()["data"]
    assert data["error"] == {"code": "DECODE_ERROR", "message": "bad"} and "summary" not in data


@pytest.mark.parametrize(
    ("new", "old", "event"),
    [
        (JOB.moved_to(JobStatus.PROCESSING, "t"), JOB, "MODIFY"),  # not terminal
        (finished(), finished(), "MODIFY"),  # terminal already
        (None, finished(), "REMOVE"),  # deleted
    ],
)
def test_other_job_changes_are_no_event(new: Any, old: Any, event: str) -> None:
    assert event_of(record(new, old, event)) is None


def test_a_batch_becoming_done_is_batch_completed_once():
    done = replace(BATCH, counts={JobStatus.SUCCEEDED: 2}, finished_at="2026-11-27T10:00:05.000Z")
    event, owner, batch_id = event_of(record(done, BATCH))  # type: ignore[misc]
    data = event.to_json()["data"]
    assert (event.type.value, owner, batch_id) == ("batch.completed", "ann", BATCH.batch_id)
    assert data["total"] == 2 and data["counts"]["SUCCEEDED"] == 2 and data["counts"]["FAILED"] == 0
    assert event_of(record(replace(done, name="x"), done)) is None  # done already: a rename is no event
    assert event_of(record(BATCH, BATCH)) is None  # still running
    assert event_of(record(replace(done, deleting_since="t"), BATCH)) is None  # being deleted


def test_a_batch_completed_again_after_more_images_is_a_new_event():
    first = replace(BATCH, counts={JobStatus.SUCCEEDED: 2}, finished_at="2026-11-27T10:00:05.000Z")
    grown = replace(first, total=3, counts={JobStatus.SUCCEEDED: 2, JobStatus.QUEUED: 1})
    second = replace(grown, counts={JobStatus.SUCCEEDED: 3}, finished_at="2026-11-27T10:09:00.000Z")
    one, two = event_of(record(first, BATCH)), event_of(record(second, grown))
    assert one is not None and two is not None and one[0].id != two[0].id


def test_every_event_matches_the_published_schema():
    schema = event_schema()
    assert schema["$id"].endswith("/v1.json")
    done = replace(BATCH, counts={JobStatus.SUCCEEDED: 2}, finished_at="2026-11-27T10:00:05.000Z")
    for found in (event_of(record(finished(), JOB)), event_of(record(done, BATCH))):
        assert found is not None
        jsonschema.validate(json.loads(found[0].body()), schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"id": "evt-1", "type": "job.finished", "timestamp": "t", "data": {}}, schema)
