from __future__ import annotations

from dataclasses import replace

import pytest

from imagejobs import records
from imagejobs.errors import ErrorCode
from imagejobs.model import AnalysisOptions, JobStatus
from imagejobs.records import BatchRecord, JobError, JobRecord


def make_job(**changes: object) -> JobRecord:
    job = JobRecord(
        job_id="j-" + "1" * 32,
        batch_id="b-" + "2" * 32,
        seq=3,
        owner="alice",
        filename="café.jpg",
        content_type="image/jpeg",
        declared_size=1234,
        options=AnalysisOptions.model_validate({"features": ["LABELS", "TEXT"], "minConfidence": 60}),
        status=JobStatus.QUEUED,
        created_at="2026-01-01T00:00:00.000Z",
        updated_at="2026-01-01T00:00:00.000Z",
        expires_at=1_800_000_000,
    )
    return replace(job, **changes)  # type: ignore[arg-type]


def test_job_round_trips_through_its_item() -> None:
    job = make_job(
        status=JobStatus.PARTIAL,
        version=4,
        attempts=2,
        feature_errors={"TEXT": JobError(ErrorCode.FEATURE_FAILED, "too many words")},
        original={"width": 10, "height": 20, "format": "JPEG", "bytes": 99},
        image={"width": 10, "height": 20, "key": "derived/x", "contentType": "image/jpeg"},
        results_key="derived/results.json",
        summary={"labels": ["Cat"]},
    )

    assert JobRecord.from_item(job.to_item()) == job


def test_job_item_is_keyed_for_lookup_and_the_batch_index() -> None:
    item = make_job().to_item()

    assert item["pk"] == {"S": "JOB#j-" + "1" * 32} and item["sk"] == {"S": "JOB"}
    assert item["batchId"] == {"S": "b-" + "2" * 32} and item["seq"] == {"N": "3"}
    assert item["expiresAt"] == {"N": "1800000000"}


def test_batch_round_trips_and_knows_when_it_is_done() -> None:
    batch = BatchRecord(
        "b-" + "2" * 32,
        "alice",
        "2026",
        AnalysisOptions(),
        1,
        total=3,
        counts={JobStatus.SUCCEEDED: 2, JobStatus.PROCESSING: 1},
    )

    assert BatchRecord.from_item(batch.to_item()) == replace(
        batch, counts={s: batch.counts.get(s, 0) for s in JobStatus}
    )
    assert not batch.done
    assert replace(batch, counts={JobStatus.SUCCEEDED: 2, JobStatus.FAILED: 1}).done
    assert not replace(batch, total=0, counts={}).done


def test_transition_is_conditional_on_status_and_version_and_moves_counters() -> None:
    before = make_job(version=7)
    after = replace(before, status=JobStatus.PROCESSING, version=8)

    request = records.transition_request("t", before, after)

    put, counter = request["TransactItems"]
    assert put["Put"]["ExpressionAttributeValues"] == {
        ":before_status": {"S": "QUEUED"},
        ":before_version": {"N": "7"},
    }
    assert counter["Update"]["ExpressionAttributeNames"] == {"#from": "countQUEUED", "#to": "countPROCESSING"}
    assert counter["Update"]["Key"] == records.batch_key(before.batch_id)


def test_transition_within_a_status_leaves_counters_alone() -> None:
    before = make_job(status=JobStatus.PROCESSING, version=2)

    request = records.transition_request("t", before, replace(before, version=3, claim_token="new"))

    assert len(request["TransactItems"]) == 1


def test_transition_must_bump_the_version() -> None:
    with pytest.raises(ValueError, match="version"):
        records.transition_request("t", make_job(), replace(make_job(), status=JobStatus.FAILED))


def test_new_batch_counts_its_first_jobs_in_the_same_transaction() -> None:
    batch = BatchRecord("b-" + "2" * 32, "alice", "2026", AnalysisOptions(), 1)
    jobs = [make_job(job_id=f"j-{i:032x}", seq=i) for i in range(3)]

    request = records.put_batch_with_jobs_request("t", batch, jobs)

    stored = BatchRecord.from_item(request["TransactItems"][0]["Put"]["Item"])
    assert stored.total == 3 and stored.counts[JobStatus.AWAITING_UPLOAD] == 3 and stored.next_seq == 3
    assert all("attribute_not_exists" in i["Put"]["ConditionExpression"] for i in request["TransactItems"])


def test_many_jobs_move_in_one_transaction_with_one_counter_update() -> None:
    jobs = [make_job(job_id=f"j-{i:032x}", status=JobStatus.AWAITING_UPLOAD) for i in range(5)]

    request = records.transitions_request("t", [(j, replace(j, status=JobStatus.QUEUED, version=1)) for j in jobs])

    *puts, counter = request["TransactItems"]
    assert len(puts) == 5 and all("Put" in p for p in puts)
    assert counter["Update"]["ExpressionAttributeValues"] == {":minus": {"N": "-5"}, ":plus": {"N": "5"}}


def test_a_shared_transaction_refuses_mixed_moves() -> None:
    a = make_job(job_id="j-" + "a" * 32)
    b = make_job(job_id="j-" + "b" * 32, status=JobStatus.PROCESSING)

    with pytest.raises(ValueError, match="same two statuses"):
        records.transitions_request(
            "t",
            [(a, replace(a, status=JobStatus.FAILED, version=1)), (b, replace(b, status=JobStatus.FAILED, version=1))],
        )


def test_a_finishing_transition_moves_the_batch_usage_once() -> None:
    job = make_job(status=JobStatus.PROCESSING, version=2)
    done = job.moved_to(JobStatus.SUCCEEDED, "2026-11-27T12:00:00.000Z", usage=records.Usage(calls=3, saved=1))
    claim = make_job().moved_to(JobStatus.PROCESSING, "2026-11-27T12:00:00.000Z")

    finishing = records.transition_request("t", job, done)["TransactItems"][-1]["Update"]
    claiming = records.transition_request("t", make_job(), claim)["TransactItems"][-1]["Update"]

    assert "#calls :calls, #saved :saved" in finishing["UpdateExpression"]
    assert finishing["ExpressionAttributeValues"][":calls"] == {"N": "3"}
    assert finishing["ExpressionAttributeValues"][":saved"] == {"N": "1"}
    assert "#calls" not in claiming["UpdateExpression"]
    assert records.JobRecord.from_item(done.to_item()).usage == records.Usage(calls=3, saved=1)
