"""The library against the embedded stack: search across batches and callers, facets, statistics, batch
names, and deletions verified by listing every storage location (S3, the table, the index).

Two callers with three batches: alice has A and B, bob has C, whose images are A's (the same bytes), so
the stub recognizer gives bob exactly alice's labels for them: only isolation can keep them apart."""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass
from typing import Any

import pytest

from imagejobs import index, keys
from imagejobs.detect_requests import cache_keys
from imagejobs.model import AnalysisOptions, Feature
from tests.support.api import ApiClient
from tests.support.images import photo_like

ALL_FEATURES = ["LABELS", "FACES", "TEXT", "MODERATION"]
BUCKET = "imgrec-images"
TABLE = "imgrec-jobs"


@dataclass
class Library:
    alice: ApiClient
    bob: ApiClient
    batches: dict[str, str]  # A, B (alice), C (bob) -> batch id
    jobs: dict[str, list[dict[str, Any]]]


def _label_names(job: dict[str, Any], minimum: float = 0) -> set[str]:
    return {label["Name"] for label in job["results"].get("labels", []) if label["Confidence"] >= minimum}


@pytest.fixture(scope="module")
def library(stack: Any) -> Library:
    run = uuid.uuid4().hex[:8]
    alice = ApiClient(stack.api_url, token=f"lib-alice-{run}")
    bob = ApiClient(stack.api_url, token=f"lib-bob-{run}")
    plan = {"A": (alice, range(0, 4)), "B": (alice, range(4, 8)), "C": (bob, range(0, 4))}
    batches, jobs = {}, {}
    for name, (client, seeds) in plan.items():
        images = [(f"{name}-{seed}.jpg", photo_like(seed=seed)) for seed in seeds]
        batches[name], jobs[name] = client.analyze(images, features=ALL_FEATURES)
        assert {job["status"] for job in jobs[name]} == {"SUCCEEDED"}
    for name, (client, seeds) in plan.items():
        client.wait_indexed(batches[name], len(seeds))
    return Library(alice, bob, batches, jobs)


def _ids(results: list[dict[str, Any]]) -> set[str]:
    return {result["jobId"] for result in results}


def test_search_by_label_finds_exactly_the_matching_jobs_of_the_caller_across_batches(library: Library) -> None:
    alice_jobs = library.jobs["A"] + library.jobs["B"]
    counts = Counter(name for job in alice_jobs for name in _label_names(job))
    label = max(counts, key=lambda name: (counts[name] < len(alice_jobs), counts[name], name))
    expected = {job["jobId"] for job in alice_jobs if label in _label_names(job)}
    assert 2 < len(expected) < len(alice_jobs), "a label some images have and others not, over more than a page"

    # Pages of 2: full pages, and the tokens carry the search on without repeating or losing a job.
    found, _ = library.alice.search_all(page_size=2, label=label.upper())
    bobs, _ = library.bob.search_all(label=label)

    assert _ids(found) == expected
    assert len(found) == len(expected)
    assert _ids(bobs) == {job["jobId"] for job in library.jobs["C"] if label in _label_names(job)}
    assert not _ids(bobs) & expected  # the same pictures, another caller: never alice's jobs


def test_results_come_newest_first_and_the_minimum_confidence_narrows_them(library: Library) -> None:
    alice_jobs = library.jobs["A"] + library.jobs["B"]
    confidences = [(label["Confidence"], label["Name"]) for job in alice_jobs for label in job["results"]["labels"]]
    middle, label = sorted(confidences)[len(confidences) // 2]
    expected = {job["jobId"] for job in alice_jobs if label in _label_names(job, middle)}

    found, _ = library.alice.search_all(label=label, minConfidence=middle)
    everything, _ = library.alice.search_all()

    assert _ids(found) == expected
    stamps = [(hit["createdAt"], hit["jobId"]) for hit in everything]
    assert stamps == sorted(stamps, reverse=True)
    assert _ids(everything) == {job["jobId"] for job in alice_jobs}


def test_facets_add_up(library: Library) -> None:
    """Each label's facet count is the number of images a search for it finds, and the counters agree with
    the results themselves."""
    alice_jobs = library.jobs["A"] + library.jobs["B"]
    _, facets = library.alice.search_all()
    assert facets is not None and facets["complete"] and facets["matches"] == len(alice_jobs)
    for facet in facets["labels"]:
        found, narrowed = library.alice.search_all(label=facet["name"])
        assert len(found) == facet["count"] == sum(facet["name"] in _label_names(job) for job in alice_jobs)
        assert narrowed is not None and narrowed["matches"] == facet["count"]
        # Every match carries the label, so no label is counted more often among them.
        assert max(item["count"] for item in narrowed["labels"]) == facet["count"]

    stats = library.alice.request("GET", "/stats", params={"top": 100}).json()
    faces = sum(len(job["results"]["faces"]) for job in alice_jobs)
    assert stats["images"] == len(alice_jobs) and stats["faces"] == faces
    assert stats["imagesWithFaces"] == sum(bool(job["results"]["faces"]) for job in alice_jobs)
    assert stats["flagged"] == sum(bool(job["results"]["moderation"]) for job in alice_jobs)
    assert {item["name"]: item["count"] for item in stats["labels"]} == dict(
        Counter(name for job in alice_jobs for name in _label_names(job))
    )


def test_faces_batch_and_moderation_filters_combine(library: Library) -> None:
    batch_b = library.jobs["B"]
    expected = {job["jobId"] for job in batch_b if len(job["results"]["faces"]) >= 1}
    flagged = {job["jobId"] for job in library.jobs["A"] + batch_b if job["results"]["moderation"]}

    assert expected and flagged and len(expected) < len(batch_b), "seeds chosen so each filter keeps some, not all"
    found, facets = library.alice.search_all(batchId=library.batches["B"], minFaces=1)
    flagged_found, _ = library.alice.search_all(flagged="true")
    none, _ = library.alice.search_all(minFaces=5, maxFaces=2)

    assert _ids(found) == expected
    assert facets is not None and facets["matches"] == len(expected)
    assert _ids(flagged_found) == flagged
    assert none == []


def test_a_word_of_the_detected_text_finds_its_images(library: Library) -> None:
    alice_jobs = library.jobs["A"] + library.jobs["B"]
    words = Counter(
        item["DetectedText"].lower() for job in alice_jobs for item in job["results"]["text"] if item["Type"] == "WORD"
    )
    if not words:
        pytest.skip("the stub read no text in these images")
    word = words.most_common(1)[0][0]
    expected = {
        job["jobId"]
        for job in alice_jobs
        if any(i["Type"] == "WORD" and i["DetectedText"].lower() == word for i in job["results"]["text"])
    }

    found, _ = library.alice.search_all(text=word)

    assert _ids(found) == expected


def test_batches_get_names_and_tags_that_list_filters_find(library: Library) -> None:
    alice = library.alice
    answer = alice.request(
        "PATCH", f"/batches/{library.batches['A']}", json={"name": "Holiday in Brittany", "tags": ["trip", "2026"]}
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["name"] == "Holiday in Brittany" and answer.json()["tags"] == ["2026", "trip"]

    by_name = alice.request("GET", "/batches", params={"name": "brittany"}).json()["batches"]
    by_tag = alice.request("GET", "/batches", params={"tag": "trip"}).json()["batches"]
    bobs = library.bob.request("GET", "/batches", params={"tag": "trip"}).json()["batches"]
    summary = alice.request("GET", f"/batches/{library.batches['A']}/summary").json()

    assert [b["batchId"] for b in by_name] == [library.batches["A"]] == [b["batchId"] for b in by_tag]
    assert bobs == []
    assert summary["batch"]["name"] == "Holiday in Brittany" and summary["batch"]["finishedAt"]
    assert summary["stats"]["images"] == 4
    assert summary["batch"]["finishedAt"] >= summary["batch"]["createdAt"]


# ---------------------------------------------------------------- deletion, listed


def _every_key(stack: Any) -> list[str]:
    s3 = stack.client("s3")
    keys: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
        keys += [item["Key"] for item in page.get("Contents", [])]
    return keys


def _every_item(stack: Any) -> list[dict[str, Any]]:
    dynamodb = stack.client("dynamodb")
    items: list[dict[str, Any]] = []
    for page in dynamodb.get_paginator("scan").paginate(TableName=TABLE):
        items += page["Items"]
    return items


def _mentions(item: dict[str, Any], needles: set[str]) -> bool:
    text = repr(item)
    return any(needle in text for needle in needles)


def test_deleting_a_batch_leaves_nothing_of_it_while_another_batchs_identical_image_keeps_its_cache(
    stack: Any,
) -> None:
    owner = f"lib-delete-{uuid.uuid4().hex[:8]}"
    client = ApiClient(stack.api_url, token=owner)
    shared, only_here = photo_like(seed=40), photo_like(seed=41)
    doomed, doomed_jobs = client.analyze([("shared.jpg", shared), ("mine.jpg", only_here)], features=ALL_FEATURES)
    kept, kept_jobs = client.analyze([("shared-again.jpg", shared)], features=ALL_FEATURES)
    client.wait_indexed(doomed, 2)
    client.wait_indexed(kept, 1)
    doomed_ids = {doomed, *(job["jobId"] for job in doomed_jobs)}
    options = AnalysisOptions(features=[Feature(f) for f in ALL_FEATURES])
    dynamodb = stack.client("dynamodb")

    def sha_of(job_id: str) -> str:
        card = dynamodb.get_item(TableName=TABLE, Key=index.image_key(job_id))["Item"]
        return str(card["sha256"]["S"])

    kept_cache = set(cache_keys(owner, sha_of(kept_jobs[0]["jobId"]), options))
    mine = next(job for job in doomed_jobs if job["filename"] == "mine.jpg")
    mine_cache = set(cache_keys(owner, sha_of(mine["jobId"]), options))
    assert kept_cache <= set(_every_key(stack)) and mine_cache <= set(_every_key(stack))

    answer = client.request("DELETE", f"/batches/{doomed}")

    assert answer.status_code == 200, answer.text
    deletion = answer.json()
    assert deletion["status"] == "COMPLETED" and deletion["deleted"]["jobs"] == 2
    keys = _every_key(stack)
    assert [key for key in keys if any(needle in key for needle in doomed_ids)] == []
    assert not mine_cache & set(keys)  # used by no other job: gone
    assert kept_cache <= set(keys)  # the other batch's identical image keeps its cached answers
    leftovers = [item for item in _every_item(stack) if _mentions(item, doomed_ids) and "DELETION#" not in repr(item)]
    assert leftovers == []
    assert client.search_all(batchId=doomed)[0] == []
    assert _ids(client.search_all()[0]) == {kept_jobs[0]["jobId"]}
    assert client.request("GET", f"/batches/{doomed}").status_code == 404
    stats = client.request("GET", "/stats", params={"top": 100}).json()
    assert stats["images"] == 1
    # Counters of names only the deleted images had are gone, not left at zero.
    label_counters = [i for i in _every_item(stack) if i["pk"]["S"] == index.stats_pk(index.owner_scope(owner))]
    assert all(int(i.get("images", {"N": "1"})["N"]) > 0 for i in label_counters if i["sk"]["S"] != "TOTALS")

    again = client.request("DELETE", f"/batches/{doomed}")
    assert again.status_code == 200 and again.json()["deletionId"] == deletion["deletionId"]


def test_large_deletes_go_on_in_the_background_and_are_idempotent(stack: Any) -> None:
    owner = f"lib-large-{uuid.uuid4().hex[:8]}"
    client = ApiClient(stack.api_url, token=owner)
    analysed = [(f"a-{seed}.jpg", photo_like(seed=60 + seed)) for seed in range(3)]
    batch_id, jobs = client.analyze(analysed, features=["LABELS", "FACES"])
    client.wait_indexed(batch_id, 3)
    # More jobs than a request deletes inline (20): uploads that never came are jobs too.
    extra = client.request(
        "POST",
        f"/batches/{batch_id}/images",
        json={"images": [{"filename": f"slot-{i}.jpg", "contentType": "image/jpeg", "size": 10} for i in range(25)]},
    )
    assert extra.status_code == 201, extra.text

    first = client.request("DELETE", f"/batches/{batch_id}")
    repeated = client.request("DELETE", f"/batches/{batch_id}")

    assert first.status_code == 202 and first.json()["status"] in ("PENDING", "IN_PROGRESS")
    assert int(first.headers["Retry-After"]) > 0
    assert repeated.json()["deletionId"] == first.json()["deletionId"]
    done = client.wait_deletion(first.json()["deletionId"])
    assert done["deleted"]["jobs"] == 28 and done["deleted"]["batches"] == 1
    needles = {batch_id, *(job["jobId"] for job in jobs)}
    assert [key for key in _every_key(stack) if any(n in key for n in needles)] == []
    assert [i for i in _every_item(stack) if _mentions(i, needles) and "DELETION#" not in repr(i)] == []
    after = client.request("DELETE", f"/batches/{batch_id}")
    assert after.status_code == 200 and after.json() == done


def test_deleting_everything_a_caller_owns_leaves_other_callers_alone(stack: Any, library: Library) -> None:
    owner = f"lib-account-{uuid.uuid4().hex[:8]}"
    client = ApiClient(stack.api_url, token=owner)
    batch_id, jobs = client.analyze([("x.jpg", photo_like(seed=0))], features=ALL_FEATURES)  # = alice's A-0
    client.wait_indexed(batch_id, 1)
    alice_before, _ = library.alice.search_all()
    # After the batch finished, so no delivery exists: the endpoint's own items are what must go.
    registered = client.request("POST", "/webhooks", json={"url": "http://127.0.0.1:9/imgrec-hook"})
    assert registered.status_code == 201, registered.text

    answer = client.request("DELETE", "/account/data")

    assert answer.status_code in (200, 202), answer.text
    done = client.wait_deletion(answer.json()["deletionId"])
    assert done["scope"] == "ACCOUNT"
    needles = {batch_id, jobs[0]["jobId"], index.owner_digest(owner), owner}
    assert [k for k in _every_key(stack) if k.startswith(keys.owner_cache_prefix(owner)) or batch_id in k] == []
    # What stays: the deletion's own record (its status) and today's quota counter (cost control, no data).
    kept = [i["pk"]["S"].split("#")[0] for i in _every_item(stack) if _mentions(i, needles)]
    assert set(kept) <= {"DELETION", "QUOTA"}
    assert client.request("GET", "/batches").json()["batches"] == []
    assert client.request("GET", "/webhooks").json()["endpoints"] == []
    assert _ids(library.alice.search_all()[0]) == _ids(alice_before)
