"""The contract through the real local gateway: status codes and headers a client sees over HTTP."""

from __future__ import annotations

from urllib.parse import urljoin

import requests

from tests.support.api import ApiClient
from tests.support.images import photo_like


def test_location_of_a_single_image_job_resolves(api: ApiClient) -> None:
    answer = api.request(
        "POST",
        "/images",
        data=photo_like(seed=71),
        headers={"Content-Type": "image/jpeg"},
        params={"features": "LABELS"},
    )

    assert answer.status_code == 202, answer.text
    followed = requests.get(urljoin(api.base_url, answer.headers["Location"]), headers=api.headers, timeout=10)
    assert followed.status_code == 200 and followed.json()["jobId"] == answer.json()["jobId"]


def test_status_failed_limit_1_finds_the_one_failed_job_among_many(api: ApiClient) -> None:
    good = [(f"ok-{i}.jpg", photo_like(seed=100 + i)) for i in range(6)]
    batch_id, _ = api.analyze([*good[:3], ("broken.jpg", b"not an image at all"), *good[3:]])

    page = api.request("GET", f"/batches/{batch_id}/jobs", params={"status": "FAILED", "limit": 1}).json()

    assert [job["filename"] for job in page["jobs"]] == ["broken.jpg"]
    assert page["jobs"][0]["error"]["code"] == "UNSUPPORTED_FORMAT"
    assert page["nextToken"] is None


def test_a_deeply_nested_body_is_400_through_the_gateway(api: ApiClient) -> None:
    body = b'{"images": ' + b"[" * 5000 + b"]" * 5000 + b"}"

    answer = api.request("POST", "/batches", data=body, headers={"Content-Type": "application/json"})

    assert answer.status_code == 400 and answer.json()["error"]["code"] == "VALIDATION_ERROR"


def test_an_undeclared_method_is_405(api: ApiClient) -> None:
    for method in ("DELETE", "TRACE", "PUT"):
        answer = api.request(method, "/batches")
        assert answer.status_code == 405, method
        assert answer.json()["error"]["code"] == "METHOD_NOT_ALLOWED"
        assert set(answer.headers["Allow"].split(", ")) == {"GET", "POST"}


def test_an_expired_result_reads_cleanly(api: ApiClient, stack: object) -> None:
    _, [job] = api.analyze([("cat.jpg", photo_like(seed=72))])
    s3 = stack.client("s3")  # type: ignore[attr-defined]
    bucket = stack.resources.bucket_name  # type: ignore[attr-defined]
    s3.delete_object(Bucket=bucket, Key=f"derived/{job['batchId']}/{job['jobId']}/results.json")

    answer = api.request("GET", f"/jobs/{job['jobId']}")

    assert answer.status_code == 200
    assert answer.json()["status"] == "SUCCEEDED" and answer.json()["resultsExpired"] is True


def test_a_batch_reports_the_calls_it_paid_for_and_those_reuse_saved(api: ApiClient) -> None:
    image = photo_like(seed=73)
    first, _ = api.analyze([("cat.jpg", image)], features=["LABELS", "TEXT"])
    again, _ = api.analyze([("same-cat.jpg", image)], features=["LABELS", "TEXT"])

    paid, reused = api.batch(first)["usage"], api.batch(again)["usage"]

    assert (paid["rekognitionCalls"], paid["rekognitionCallsSaved"]) == (2, 0)
    assert (reused["rekognitionCalls"], reused["rekognitionCallsSaved"]) == (0, 2)
    assert paid["estimatedCostUsd"] == 2 * paid["pricePer1000CallsUsd"] / 1000
