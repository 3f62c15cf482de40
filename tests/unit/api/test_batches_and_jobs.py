"""Batches and jobs through the API with fakes: idempotency, sequence numbers, quotas, expiry, Location."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

from imagejobs import keys
from imagejobs.model import JobStatus
from imagejobs.records import Usage
from tests.unit.api.conftest import Api

SLOT = {"filename": "a.jpg", "contentType": "image/jpeg", "size": 1000}


def _images(count: int, prefix: str = "") -> list[dict[str, Any]]:
    return [{**SLOT, "filename": f"{prefix}{i}.jpg"} for i in range(count)]


def test_sequence_numbers_stay_unique_after_a_large_batch_is_extended(api: Api) -> None:
    created = api.create(count=150)
    api.request("POST", f"/batches/{created['batchId']}/images", {"images": _images(10, "more-")})

    seqs = [job.seq for job in api.repository.jobs.values()]

    assert sorted(seqs) == list(range(160))


def test_reusing_an_idempotency_key_with_more_images_is_409_not_an_extension(api: Api) -> None:
    key = {"Idempotency-Key": "run-1"}
    first = api.request("POST", "/batches", {"images": _images(2)}, headers=key)

    more = api.request("POST", "/batches", {"images": _images(3)}, headers=key)
    again = api.request("POST", "/batches", {"images": _images(2)}, headers=key)

    assert first.status == 201
    assert more.status == 409 and more.code == "IDEMPOTENCY_KEY_REUSED"
    assert again.status == 201 and again.json()["batchId"] == first.json()["batchId"]
    assert [j["jobId"] for j in again.json()["jobs"]] == [j["jobId"] for j in first.json()["jobs"]]
    assert len(api.repository.jobs) == 2


def test_reusing_an_add_key_with_more_images_is_409(api: Api) -> None:
    created = api.create()
    path, key = f"/batches/{created['batchId']}/images", {"Idempotency-Key": "add-1"}
    api.request("POST", path, {"images": _images(2, "x")}, headers=key)

    more = api.request("POST", path, {"images": _images(3, "x")}, headers=key)

    assert more.status == 409 and len(api.repository.jobs) == 3


def test_the_daily_image_quota_is_429_with_retry_after_until_midnight(make_api: Any) -> None:
    api = make_api(quota_images_per_day=5)
    api.create(count=4)

    over = api.request("POST", "/batches", {"images": _images(2)})
    bob = api.request("POST", "/batches", {"images": _images(2)}, caller="bob")
    api.clock.now += timedelta(days=1)
    tomorrow = api.request("POST", "/batches", {"images": _images(2)})

    assert over.status == 429 and over.code == "QUOTA_EXCEEDED"
    assert int(over.headers["Retry-After"]) == 12 * 3600 + 1  # the clock says noon UTC
    assert bob.status == 201 and tomorrow.status == 201


def test_the_single_image_call_counts_against_the_daily_quota(make_api: Any) -> None:
    api = make_api(quota_images_per_day=1)
    headers = {"Content-Type": "image/jpeg"}

    first = api.request("POST", "/images", raw=b"\xff\xd8jpeg", headers=headers)
    second = api.request("POST", "/images", raw=b"\xff\xd8jpeg", headers=headers)

    assert first.status == 202 and second.status == 429


def test_the_jobs_per_batch_quota_is_429(make_api: Any) -> None:
    api = make_api(quota_jobs_per_batch=5)
    created = api.create(count=4)

    too_big = api.request("POST", "/batches", {"images": _images(6)})
    over = api.request("POST", f"/batches/{created['batchId']}/images", {"images": _images(2, "x")})
    fits = api.request("POST", f"/batches/{created['batchId']}/images", {"images": _images(1, "y")})

    assert too_big.status == 429 and over.status == 429 and over.code == "QUOTA_EXCEEDED"
    assert "Retry-After" in over.headers and "another batch" in over.json()["error"]["message"]
    assert fits.status == 201


def test_location_resolves_against_the_base_url_the_client_used(api: Api) -> None:
    answer = api.request("POST", "/images", raw=b"\xff\xd8jpeg", headers={"Content-Type": "image/jpeg"})

    job_id = answer.json()["jobId"]
    assert answer.status == 202 and answer.headers["Location"] == f"/v1/jobs/{job_id}"


def _finished(api: Api, job_id: str) -> None:
    job = api.repository.jobs[job_id]
    done = replace(
        job,
        status=JobStatus.SUCCEEDED,
        results_key=keys.results_key(job.batch_id, job.job_id),
        image={"width": 100, "height": 80, "key": "derived/x/normalized.jpg"},
        summary={"labels": ["Cat"]},
    )
    api.repository.jobs[job_id] = done
    api.objects.documents[done.results_key or ""] = {"labels": [{"Name": "Cat", "Confidence": 99.0}]}


def test_a_finished_job_reads_with_its_results(api: Api) -> None:
    job_id = api.create()["jobs"][0]["jobId"]
    _finished(api, job_id)

    job = api.request("GET", f"/jobs/{job_id}").json()

    assert job["results"] == {"labels": [{"Name": "Cat", "Confidence": 99.0}]}
    assert job["resultsExpired"] is False and job["image"]["width"] == 100


def test_a_job_whose_stored_results_expired_reads_cleanly_with_a_marker(api: Api) -> None:
    job_id = api.create()["jobs"][0]["jobId"]
    _finished(api, job_id)
    api.objects.documents.clear()  # the lifecycle rule removed results.json before the TTL removed the job

    answer = api.request("GET", f"/jobs/{job_id}")

    job = answer.json()
    assert answer.status == 200 and job["status"] == "SUCCEEDED"
    assert job["resultsExpired"] is True and job["results"] is None
    assert job["summary"] == {"labels": ["Cat"]}


def test_a_job_past_its_retention_hides_its_outputs(api: Api) -> None:
    job_id = api.create()["jobs"][0]["jobId"]
    _finished(api, job_id)
    api.clock.now += timedelta(days=api.services.settings.retention_days, seconds=1)

    listed = api.request("GET", f"/batches/{api.repository.jobs[job_id].batch_id}/jobs").json()["jobs"][0]

    assert listed["resultsExpired"] is True and listed["results"] is None and listed["image"] is None


def test_a_submit_that_sqs_refuses_leaves_the_job_for_a_later_submit(api: Api) -> None:
    created = api.create(count=2)
    first, second = (slot["jobId"] for slot in created["jobs"])
    for job_id in (first, second):
        api.objects.objects[keys.upload_key(created["batchId"], job_id)] = b"x"
    api.queue.refuse = {second}

    outcome = api.request("POST", f"/batches/{created['batchId']}/submit").json()

    assert outcome["queued"] == [first] and outcome["missing"] == [second]
    assert api.repository.jobs[second].status is JobStatus.AWAITING_UPLOAD
    api.queue.refuse = set()
    assert api.request("POST", f"/batches/{created['batchId']}/submit").json()["queued"] == [second]


def test_a_submit_body_that_is_not_an_object_is_400(api: Api) -> None:
    created = api.create()

    for raw in (b"[null, null]", b"null", b"5"):
        answer = api.request("POST", f"/batches/{created['batchId']}/submit", raw=raw)
        assert answer.status == 400, raw


def test_the_batch_view_reports_rekognition_calls_made_and_saved_and_an_estimated_cost(make_api: Any) -> None:
    api = make_api(rekognition_price_per_1000_calls=1.2)
    created = api.create(count=3)
    for slot, usage in zip(created["jobs"], [Usage(calls=2), Usage(calls=0, saved=2), Usage(calls=2)], strict=True):
        job = api.repository.jobs[slot["jobId"]]
        api.repository.transition(job, job.moved_to(JobStatus.SUCCEEDED, "2026-11-27T12:00:00.000Z", usage=usage))

    usage = api.request("GET", f"/batches/{created['batchId']}").json()["usage"]

    assert usage == {
        "rekognitionCalls": 4,
        "rekognitionCallsSaved": 2,
        "estimatedCostUsd": 0.0048,
        "pricePer1000CallsUsd": 1.2,
    }
