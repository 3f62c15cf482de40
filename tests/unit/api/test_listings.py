"""Listings page correctly: a status filter reads full pages, and a `nextToken` is accepted only from the
listing that issued it."""

from __future__ import annotations

import base64
import json

import pytest

from imagejobs.model import JobStatus
from imagejobs.records import iso
from tests.unit.api.conftest import Api


def _fail(api: Api, job_id: str) -> None:
    job = api.repository.jobs[job_id]
    api.repository.transition(job, job.moved_to(JobStatus.FAILED, iso(api.clock())))


def test_a_status_filter_finds_the_one_failed_job_among_many_on_its_first_page(api: Api) -> None:
    created = api.create(count=120)
    last = created["jobs"][-1]["jobId"]
    _fail(api, last)

    answer = api.request("GET", f"/batches/{created['batchId']}/jobs?status=FAILED&limit=1")

    page = answer.json()
    assert answer.status == 200
    assert [job["jobId"] for job in page["jobs"]] == [last]
    assert page["nextToken"] is None


def test_filtered_pages_are_full_and_walk_every_match_once(api: Api) -> None:
    created = api.create(count=50)
    failed = [slot["jobId"] for slot in created["jobs"][::7]]
    for job_id in failed:
        _fail(api, job_id)
    seen, token, pages = [], None, 0
    while True:
        query = f"?status=FAILED&limit=3{'&nextToken=' + token if token else ''}"
        page = api.request("GET", f"/batches/{created['batchId']}/jobs{query}").json()
        pages += 1
        assert len(page["jobs"]) == 3 or page["nextToken"] is None
        seen += [job["jobId"] for job in page["jobs"]]
        token = page["nextToken"]
        if not token:
            break

    assert seen == failed and pages == -(-len(failed) // 3)


def _token(payload: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


FORGED = {
    "not base64": "%%%",
    "not json": base64.urlsafe_b64encode(b"\x00\x01binary").decode(),
    "a list": _token([1, 2, 3]),
    "an old raw key": _token({"batchId": {"S": 5}, "seq": {"N": "1"}}),
    "wrong kind": _token({"kind": "batches", "owner": "0" * 16, "batch": "b-" + "0" * 32, "created_at": "x"}),
    "string seq": _token({"kind": "jobs", "batch": "b-" + "0" * 32, "job": "j-" + "0" * 32, "seq": "1"}),
    "deeply nested": _token({"kind": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}),
    "too long": "A" * 5000,
}


@pytest.mark.parametrize("token", FORGED.values(), ids=FORGED.keys())
def test_forged_tokens_are_400(api: Api, token: str) -> None:
    created = api.create(count=3)

    for path in (f"/batches/{created['batchId']}/jobs", "/batches"):
        answer = api.request("GET", f"{path}?nextToken={token}")
        assert answer.status == 400 and answer.code == "VALIDATION_ERROR", (path, answer.body)


def test_a_token_from_another_batch_or_filter_is_400(api: Api) -> None:
    first, second = api.create(count=3), api.create(count=3)
    token = api.request("GET", f"/batches/{first['batchId']}/jobs?limit=1").json()["nextToken"]

    other_batch = api.request("GET", f"/batches/{second['batchId']}/jobs?limit=1&nextToken={token}")
    other_filter = api.request("GET", f"/batches/{first['batchId']}/jobs?status=FAILED&nextToken={token}")

    assert other_batch.status == 400 and other_filter.status == 400


def test_a_token_from_another_caller_is_400(api: Api) -> None:
    for _ in range(3):
        api.create()
    token = api.request("GET", "/batches?limit=1").json()["nextToken"]

    answer = api.request("GET", f"/batches?nextToken={token}", caller="bob")

    assert answer.status == 400


def test_batches_page_newest_first(api: Api) -> None:
    made = []
    for minute in range(5):
        api.clock.now = api.clock.now.replace(minute=minute)
        made.append(api.create()["batchId"])
    listed, token = [], None
    while True:
        page = api.request("GET", f"/batches?limit=2{'&nextToken=' + token if token else ''}").json()
        listed += [batch["batchId"] for batch in page["batches"]]
        if not (token := page["nextToken"]):
            break

    assert listed == made[::-1]
