"""The library's routes on in-memory fakes: search pages and tokens, facets, batch names and tags, and
deletions (what they remove, what they keep, when they wait)."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from typing import Any

from api.handle_deletions import handle_deletions
from imagejobs import index, keys
from imagejobs.detect_requests import cache_keys
from imagejobs.index import indexed_image
from imagejobs.model import JobStatus
from imagejobs.records import iso
from tests.unit.api.conftest import Api


def _labels(*pairs: tuple[str, float]) -> list[dict[str, Any]]:
    return [{"Name": name, "Confidence": confidence, "Instances": [], "Parents": []} for name, confidence in pairs]


def finish(
    api: Api,
    job_id: str,
    labels: list[tuple[str, float]] = (),  # type: ignore[assignment]
    faces: int = 0,
    words: tuple[str, ...] = (),
    moderation: tuple[str, ...] = (),
    sha256: str | None = None,
) -> None:
    """The job as the worker leaves it, and its index items as the indexer writes them."""
    job = api.repository.jobs[job_id]
    api.clock.now += timedelta(seconds=1)
    image = {
        "width": 100,
        "height": 80,
        "key": keys.normalized_image_key(job.batch_id, job_id, "jpg"),
        "normalization": {"sha256": sha256 or job_id.ljust(64, "0")},
    }
    done = job.moved_to(
        JobStatus.SUCCEEDED, iso(api.clock()), image=image, results_key=keys.results_key(job.batch_id, job_id)
    )
    api.repository.transition(job, done)
    results = {
        "labels": _labels(*labels),
        "faces": [{"Confidence": 99.0}] * faces,
        "text": [{"DetectedText": word, "Type": "WORD"} for word in words],
        "moderation": [{"Name": name, "Confidence": 80.0} for name in moderation],
    }
    api.objects.documents[done.results_key or ""] = results
    api.objects.objects[image["key"]] = b"jpeg"
    api.objects.objects[keys.upload_key(job.batch_id, job_id)] = b"original"
    for key in cache_keys(job.owner, image["normalization"]["sha256"], job.options):
        api.objects.documents[key] = {"Labels": []}
    api.library.index_image(indexed_image(done, results))


def _batch(api: Api, count: int, caller: str = "alice") -> tuple[str, list[str]]:
    images = [{"filename": f"{i}.jpg", "contentType": "image/jpeg", "size": 10} for i in range(count)]
    created = api.request("POST", "/batches", {"images": images}, caller=caller).json()
    return created["batchId"], [slot["jobId"] for slot in created["jobs"]]


def _search(api: Api, caller: str = "alice", **params: Any) -> tuple[list[str], dict[str, Any] | None]:
    found: list[str] = []
    facets, token = None, None
    while True:
        query = "&".join(f"{k}={v}" for k, v in {**params, **({"nextToken": token} if token else {})}.items())
        answer = api.request("GET", f"/search?{query}", caller=caller)
        assert answer.status == 200, answer.body
        page = answer.json()
        assert page["nextToken"] is None or len(page["results"]) == int(params.get("limit", 24))
        facets = facets or page.get("facets")
        found += [hit["jobId"] for hit in page["results"]]
        token = page["nextToken"]
        if not token:
            return found, facets


def test_label_and_word_together_find_exactly_the_images_with_both_in_full_pages(api: Api) -> None:
    _, jobs = _batch(api, 9)
    for n, job_id in enumerate(jobs):
        finish(api, job_id, labels=[("Dog", 90.0)] if n % 2 == 0 else [("Cat", 90.0)], words=("open",) if n % 3 else ())
    # Newest first: by when they were added, then by id (one batch's jobs are added at the same instant).
    expected = sorted((j for n, j in enumerate(jobs) if n % 2 == 0 and n % 3), reverse=True)

    found, facets = _search(api, label="dog", text="OPEN", limit=1)

    assert found == expected
    assert facets == {"matches": 3, "complete": True, "labels": [{"name": "Dog", "count": 3}], "moderation": []}


def test_another_callers_images_never_match(api: Api) -> None:
    _, mine = _batch(api, 2)
    _, theirs = _batch(api, 2, caller="bob")
    for job_id in mine + theirs:
        finish(api, job_id, labels=[("Dog", 90.0)])

    assert sorted(_search(api, label="Dog")[0]) == sorted(mine)
    assert sorted(_search(api, caller="bob", label="Dog")[0]) == sorted(theirs)


def test_minimum_confidence_and_face_ranges_narrow_the_search(api: Api) -> None:
    _, jobs = _batch(api, 3)
    finish(api, jobs[0], labels=[("Dog", 60.0)], faces=0)
    finish(api, jobs[1], labels=[("Dog", 95.0)], faces=2)
    finish(api, jobs[2], labels=[("Dog", 99.0)], faces=5)

    assert _search(api, label="Dog", minConfidence=90)[0] == sorted([jobs[2], jobs[1]], reverse=True)
    assert _search(api, minFaces=1, maxFaces=3)[0] == [jobs[1]]
    assert _search(api, minFaces=3, maxFaces=1)[0] == []


def test_parameters_no_image_can_match_answer_an_empty_page_not_an_error(api: Api) -> None:
    answer = api.request("GET", "/search?from=2026-12-01&to=2026-11-01")
    punctuation = api.request("GET", "/search?text=!!!")

    assert answer.status == 200 and answer.json()["results"] == []
    assert punctuation.status == 200 and punctuation.json()["results"] == []


def test_a_token_of_another_search_or_a_forged_one_is_refused(api: Api) -> None:
    _, jobs = _batch(api, 3)
    for job_id in jobs:
        finish(api, job_id, labels=[("Dog", 90.0)])
    token = api.request("GET", "/search?label=dog&limit=1").json()["nextToken"]
    forged = base64.urlsafe_b64encode(json.dumps({"kind": "search"}).encode()).decode()

    assert api.request("GET", f"/search?label=cat&limit=1&nextToken={token}").status == 400
    assert api.request("GET", f"/search?label=dog&limit=1&nextToken={token}", caller="bob").status == 400
    assert api.request("GET", f"/search?nextToken={forged}").status == 400


def test_unfiltered_facets_and_stats_come_from_the_counters(api: Api) -> None:
    batch_id, jobs = _batch(api, 3)
    finish(api, jobs[0], labels=[("Dog", 90.0), ("Pet", 80.0)], faces=1, moderation=("Alcohol",))
    finish(api, jobs[1], labels=[("Dog", 90.0)], words=("exit",))
    finish(api, jobs[2], labels=[("Cat", 90.0)], faces=3)

    _, facets = _search(api)
    stats = api.request("GET", "/stats").json()
    summary = api.request("GET", f"/batches/{batch_id}/summary").json()

    assert facets is not None and facets["matches"] == 3 and facets["labels"][0] == {"name": "Dog", "count": 2}
    assert stats["faces"] == 4 and stats["imagesWithFaces"] == 2 and stats["flagged"] == 1
    assert stats["imagesWithText"] == 1
    assert summary["stats"] == stats and summary["batch"]["done"] is True
    assert summary["batch"]["finishedAt"] is not None


def test_batches_are_named_tagged_renamed_and_filtered(api: Api) -> None:
    created = api.request(
        "POST",
        "/batches",
        {"images": [{"filename": "a.jpg", "size": 1}], "name": "Garden birds", "tags": ["birds", "birds", "2026"]},
    ).json()
    batch_id = created["batchId"]
    _batch(api, 1)  # another, unnamed

    renamed = api.request("PATCH", f"/batches/{batch_id}", {"name": "Garden birds, spring"})
    untagged = api.request("PATCH", f"/batches/{batch_id}", {"tags": []})
    unchanged = api.request("PATCH", f"/batches/{batch_id}", {})
    unnamed = api.request("PATCH", f"/batches/{batch_id}", {"name": None})
    someone_else = api.request("PATCH", f"/batches/{batch_id}", {"name": "mine"}, caller="bob")

    assert renamed.json()["name"] == "Garden birds, spring" and renamed.json()["tags"] == ["2026", "birds"]
    assert untagged.json()["tags"] == [] and untagged.json()["name"] == "Garden birds, spring"
    assert unchanged.json() == untagged.json()
    assert unnamed.json()["name"] is None
    assert someone_else.status == 404
    api.request("PATCH", f"/batches/{batch_id}", {"name": "Garden birds", "tags": ["birds"]})
    by_name = api.request("GET", "/batches?name=GARDEN").json()["batches"]
    by_tag = api.request("GET", "/batches?tag=birds&limit=1").json()
    assert [b["batchId"] for b in by_name] == [batch_id]
    assert [b["batchId"] for b in by_tag["batches"]] == [batch_id]
    assert api.request("GET", "/batches?tag=bad tag!").status == 400


def test_deleting_a_job_removes_its_objects_index_and_counters_but_not_a_shared_cached_answer(api: Api) -> None:
    batch_id, jobs = _batch(api, 2)
    finish(api, jobs[0], labels=[("Dog", 90.0)], sha256="a" * 64)
    finish(api, jobs[1], labels=[("Dog", 90.0), ("Cat", 80.0)], sha256="a" * 64)
    job = api.repository.jobs[jobs[0]]
    shared = set(cache_keys("alice", "a" * 64, job.options))

    answer = api.request("DELETE", f"/jobs/{jobs[0]}")

    assert answer.status == 200 and answer.json()["status"] == "COMPLETED"
    assert answer.json()["deleted"]["jobs"] == 1
    left = set(api.objects.objects) | set(api.objects.documents)
    assert not [key for key in left if jobs[0] in key]
    assert shared <= left  # the other job uses the same cached answers
    assert jobs[0] not in api.repository.jobs and not [k for k in api.library.items if jobs[0] in k[0]]
    assert api.repository.batches[batch_id].total == 1
    assert _search(api, label="dog")[0] == [jobs[1]]
    assert api.request("GET", "/stats").json()["labels"] == [{"name": "Cat", "count": 1}, {"name": "Dog", "count": 1}]
    repeated = api.request("DELETE", f"/jobs/{jobs[0]}")
    assert repeated.status == 200 and repeated.json() == answer.json()
    assert api.request("DELETE", f"/jobs/{jobs[1]}", caller="bob").status == 404
    assert api.request("GET", f"/deletions/{answer.json()['deletionId']}", caller="bob").status == 404


def test_a_batch_larger_than_a_request_deletes_goes_on_in_the_background(make_api: Any) -> None:
    api: Api = make_api(inline_deletion_jobs=2)
    batch_id, jobs = _batch(api, 5)
    for job_id in jobs:
        finish(api, job_id, labels=[("Dog", 90.0)])

    answer = api.request("DELETE", f"/batches/{batch_id}")

    assert answer.status == 202 and answer.json()["status"] == "PENDING"
    assert answer.headers["Retry-After"]
    assert len(api.repository.jobs) == 5  # larger than a request deletes: all of it in the background
    # Gone for the API at once, while the rest is deleted in the background.
    assert api.request("GET", f"/batches/{batch_id}").status == 404
    assert api.request("GET", "/batches").json()["batches"] == []
    deletion_id = answer.json()["deletionId"]
    assert api.deletions.sent == [(deletion_id, 0)]
    record = {"messageId": "m-1", "body": json.dumps({"deletionId": deletion_id}), "attributes": {}}
    assert handle_deletions({"Records": [record]}, api.services) == {"batchItemFailures": []}
    done = api.request("GET", f"/deletions/{deletion_id}").json()
    assert done["status"] == "COMPLETED" and done["deleted"] == {
        "jobs": 5,
        "batches": 1,
        "objects": done["deleted"]["objects"],
    }
    assert api.repository.jobs == {} and batch_id not in api.repository.batches
    assert api.library.read_stats(index.owner_scope("alice")).labels == ()
    assert not [key for key in api.objects.objects if batch_id in key]


def test_a_job_being_analysed_is_not_deleted_under_its_worker(api: Api) -> None:
    _, [job_id] = _batch(api, 1)
    job = api.repository.jobs[job_id]
    claimed = job.moved_to(
        JobStatus.PROCESSING, iso(api.clock()), lease_until=int(api.clock().timestamp()) + 60, claim_token="t"
    )
    api.repository.transition(job, claimed)

    answer = api.request("DELETE", f"/jobs/{job_id}")

    assert answer.status == 409 and answer.code == "RESOURCE_BUSY"
    assert int(answer.headers["Retry-After"]) == 61
    assert job_id in api.repository.jobs
    assert api.deletions.sent == []


def test_deleting_everything_keeps_other_callers_data(api: Api) -> None:
    _, mine = _batch(api, 2)
    _, theirs = _batch(api, 1, caller="bob")
    for job_id in mine + theirs:
        finish(api, job_id, labels=[("Dog", 90.0)], sha256="b" * 64)
    for caller in ("alice", "bob"):
        assert api.request("POST", "/webhooks", {"url": "https://hooks.example.com/in"}, caller=caller).status == 201

    answer = api.request("DELETE", "/account/data")

    assert answer.status == 202 and answer.json()["scope"] == "ACCOUNT" and answer.json()["status"] == "PENDING"
    assert set(api.repository.jobs) == set(mine + theirs)  # in the background, never within the request
    record = {"messageId": "m-1", "body": json.dumps(answer.json()), "attributes": {}}
    assert handle_deletions({"Records": [record]}, api.services) == {"batchItemFailures": []}
    assert api.request("GET", f"/deletions/{answer.json()['deletionId']}").json()["status"] == "COMPLETED"
    assert set(api.repository.jobs) == set(theirs)
    assert not [key for key in api.objects.documents if key.startswith(keys.owner_cache_prefix("alice"))]
    assert [key for key in api.objects.documents if key.startswith(keys.owner_cache_prefix("bob"))]
    assert _search(api, caller="bob", label="dog")[0] == theirs
    assert api.request("GET", "/stats").json()["images"] == 0
    assert api.request("GET", "/webhooks").json()["endpoints"] == []  # the URL and its secret are gone too
    assert len(api.request("GET", "/webhooks", caller="bob").json()["endpoints"]) == 1
    assert api.webhooks.owners_forgotten == ["alice"]
