"""The whole flow over HTTP against the embedded stack: create → presigned POST → submit → poll."""

from __future__ import annotations

from tests.support.api import ApiClient
from tests.support.images import photo_like
from tests.support.rekognition_shapes import shape_errors

ALL_FEATURES = ["LABELS", "FACES", "TEXT", "MODERATION"]


def test_twenty_images_all_succeed_with_rekognition_shaped_results(api: ApiClient) -> None:
    images = [(f"photo-{i}.jpg", photo_like(seed=i)) for i in range(20)]

    batch_id, jobs = api.analyze(images, features=ALL_FEATURES)

    assert len(jobs) == 20
    assert [j["filename"] for j in jobs] == [name for name, _ in images]
    assert {j["status"] for j in jobs} == {"SUCCEEDED"}
    for job in jobs:
        assert set(job["results"]) == {"labels", "faces", "text", "moderation"}
        assert shape_errors(job["results"]) == []
        assert job["image"]["width"] == 320 and job["image"]["url"].startswith("http://127.0.0.1")
        assert job["original"]["format"] == "JPEG"
    batch = api.batch(batch_id)
    assert batch["counts"] == {
        "AWAITING_UPLOAD": 0,
        "QUEUED": 0,
        "PROCESSING": 0,
        "SUCCEEDED": 20,
        "PARTIAL": 0,
        "FAILED": 0,
    }
    assert batch["done"] is True and batch["total"] == 20


def test_normalized_image_is_downloadable_and_matches_reported_size(api: ApiClient) -> None:
    import io

    import requests
    from PIL import Image

    _, [job] = api.analyze([("big.jpg", photo_like(5000, 300, seed=3))])

    picture = Image.open(io.BytesIO(requests.get(job["image"]["url"], timeout=10).content))
    assert picture.size == (job["image"]["width"], job["image"]["height"])
    assert max(picture.size) <= 2048
    assert job["original"]["width"] == 5000


def test_job_answers_carry_etag_and_304_on_if_none_match(api: ApiClient) -> None:
    _, [job] = api.analyze([("a.jpg", photo_like(seed=1))])
    first = api.request("GET", f"/jobs/{job['jobId']}")
    assert first.status_code == 200 and first.headers["ETag"]
    assert "Retry-After" not in first.headers  # terminal

    again = api.request("GET", f"/jobs/{job['jobId']}", headers={"If-None-Match": first.headers["ETag"]})

    assert again.status_code == 304 and again.content == b""


def test_waiting_job_answers_retry_after(api: ApiClient) -> None:
    created = api.create_batch([("later.jpg", photo_like(seed=2))])
    job_id = created["jobs"][0]["jobId"]

    answer = api.request("GET", f"/jobs/{job_id}")

    assert answer.json()["status"] == "AWAITING_UPLOAD"
    assert int(answer.headers["Retry-After"]) > 0
    assert int(api.request("GET", f"/batches/{created['batchId']}").headers["Retry-After"]) > 0


def test_submit_is_idempotent_and_reports_missing_uploads(api: ApiClient) -> None:
    images = [("one.jpg", photo_like(seed=10)), ("two.jpg", photo_like(seed=11))]
    created = api.create_batch(images)
    uploaded, not_uploaded = created["jobs"]
    api.upload(uploaded, images[0][1])

    first = api.submit(created["batchId"])
    second = api.submit(created["batchId"])

    assert first["queued"] == [uploaded["jobId"]] and first["missing"] == [not_uploaded["jobId"]]
    assert second["queued"] == [] and second["alreadySubmitted"] == [uploaded["jobId"]]
    assert api.wait_job(uploaded["jobId"])["status"] == "SUCCEEDED"
    assert api.batch(created["batchId"])["counts"]["SUCCEEDED"] == 1


def test_add_images_extends_a_batch_and_listing_paginates(api: ApiClient) -> None:
    created = api.create_batch([("first.jpg", photo_like(seed=20))])
    more = api.request(
        "POST",
        f"/batches/{created['batchId']}/images",
        json={"images": [{"filename": f"more-{i}.jpg", "contentType": "image/jpeg", "size": 10} for i in range(3)]},
    )
    assert more.status_code == 201

    page = api.request("GET", f"/batches/{created['batchId']}/jobs", params={"limit": 2}).json()
    rest = api.request(
        "GET", f"/batches/{created['batchId']}/jobs", params={"limit": 2, "nextToken": page["nextToken"]}
    ).json()

    names = [j["filename"] for j in page["jobs"] + rest["jobs"]]
    assert names == ["first.jpg", "more-0.jpg", "more-1.jpg", "more-2.jpg"]
    assert api.batch(created["batchId"])["total"] == 4


def test_single_small_image_in_one_call(api: ApiClient) -> None:
    answer = api.request(
        "POST",
        "/images?features=LABELS,TEXT",
        data=photo_like(seed=30),
        headers={"Content-Type": "image/jpeg"},
    )

    assert answer.status_code == 202, answer.text
    job = answer.json()
    assert job["status"] == "QUEUED" and job["options"]["features"] == ["LABELS", "TEXT"]
    done = api.wait_job(job["jobId"])
    assert done["status"] == "SUCCEEDED" and set(done["results"]) == {"labels", "text"}


def test_single_image_over_four_megabytes_is_413_naming_the_batch_flow(api: ApiClient) -> None:
    answer = api.request(
        "POST", "/images", data=b"\xff" * (4 * 1024 * 1024 + 1), headers={"Content-Type": "image/jpeg"}
    )

    assert answer.status_code == 413
    assert answer.json()["error"]["code"] == "FILE_TOO_LARGE" and "/batches" in answer.json()["error"]["message"]


def test_corrupt_upload_fails_with_its_code_after_one_attempt(api: ApiClient) -> None:
    truncated = photo_like(seed=40)[:600]
    _, [job] = api.analyze([("broken.jpg", truncated)])

    assert job["status"] == "FAILED"
    assert job["error"]["code"] == "DECODE_ERROR" and job["error"]["message"]
    assert job["attempts"] == 1


def test_random_bytes_are_unsupported_format(api: ApiClient) -> None:
    _, [job] = api.analyze([("noise.jpg", bytes(range(256)) * 40)])

    assert job["status"] == "FAILED" and job["error"]["code"] == "UNSUPPORTED_FORMAT"


def test_presigned_post_policy_pins_key_size_and_type(api: ApiClient) -> None:
    import base64
    import json

    created = api.create_batch([("a.png", b"x" * 123)])
    slot = created["jobs"][0]
    policy = json.loads(base64.b64decode(slot["upload"]["fields"]["policy"]))

    conditions = policy["conditions"]
    assert {"key": f"uploads/{created['batchId']}/{slot['jobId']}"} in conditions
    assert ["content-length-range", 1, 40 * 1024 * 1024] in conditions
    assert {"Content-Type": "image/jpeg"} in conditions
    assert slot["upload"]["fields"]["key"] == f"uploads/{created['batchId']}/{slot['jobId']}"


def test_closing_a_batch_fails_the_never_uploaded_jobs_so_it_can_be_done(api: ApiClient) -> None:
    images = [("kept.jpg", photo_like(seed=60)), ("abandoned.jpg", photo_like(seed=61))]
    created = api.create_batch(images)
    kept, abandoned = created["jobs"]
    api.upload(kept, images[0][1])
    api.submit(created["batchId"])

    closed = api.request("POST", f"/batches/{created['batchId']}/close")
    again = api.request("POST", f"/batches/{created['batchId']}/close")

    assert closed.status_code == 200 and closed.json() == {"closed": [abandoned["jobId"]]}
    assert again.json() == {"closed": []}
    batch = api.wait_batch(created["batchId"])
    assert batch["counts"]["FAILED"] == 1 and batch["counts"]["SUCCEEDED"] == 1
    assert api.job(abandoned["jobId"])["error"]["code"] == "UPLOAD_MISSING"


def test_repeating_a_create_with_the_same_idempotency_key_returns_the_same_batch(api: ApiClient) -> None:
    body = {"images": [{"filename": f"{i}.jpg", "contentType": "image/jpeg", "size": 10} for i in range(150)]}
    key = {"Idempotency-Key": "run-42:create-1"}

    first = api.request("POST", "/batches", json=body, headers=key).json()
    again = api.request("POST", "/batches", json=body, headers=key).json()

    assert again["batchId"] == first["batchId"]
    assert [j["jobId"] for j in again["jobs"]] == [j["jobId"] for j in first["jobs"]]
    assert api.batch(first["batchId"])["total"] == 150
    other = api.request("POST", "/batches", json=body, headers={"Idempotency-Key": "run-42:create-2"}).json()
    assert other["batchId"] != first["batchId"]
    # Another caller's identical key names another batch.
    bob = ApiClient(api.base_url, token="bob").request("POST", "/batches", json=body, headers=key).json()
    assert bob["batchId"] != first["batchId"]


def test_an_idempotency_key_reused_for_a_different_request_is_409(api: ApiClient) -> None:
    key = {"Idempotency-Key": "reused-key"}
    api.request("POST", "/batches", json={"images": [{"filename": "a.jpg", "size": 1}]}, headers=key)

    answer = api.request("POST", "/batches", json={"images": [{"filename": "b.jpg", "size": 1}]}, headers=key)

    assert answer.status_code == 409 and answer.json()["error"]["code"] == "IDEMPOTENCY_KEY_REUSED"
    bad = api.request(
        "POST",
        "/batches",
        json={"images": [{"filename": "a.jpg", "size": 1}]},
        headers={"Idempotency-Key": "no spaces"},
    )
    assert bad.status_code == 400


def test_repeating_an_add_with_the_same_idempotency_key_adds_nothing_more(api: ApiClient) -> None:
    created = api.create_batch([("first.jpg", b"x")])
    body = {"images": [{"filename": f"more-{i}.jpg", "size": 3} for i in range(3)]}
    path = f"/batches/{created['batchId']}/images"

    first = api.request("POST", path, json=body, headers={"Idempotency-Key": "add-1"}).json()
    again = api.request("POST", path, json=body, headers={"Idempotency-Key": "add-1"}).json()

    assert [j["jobId"] for j in again["jobs"]] == [j["jobId"] for j in first["jobs"]]
    assert api.batch(created["batchId"])["total"] == 4
