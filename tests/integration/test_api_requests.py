"""Caller isolation and hostile or malformed requests: always a 4xx with the error body, never a 5xx."""

from __future__ import annotations

import pytest
import requests

from tests.support.api import ApiClient
from tests.support.images import photo_like


def _slot(**overrides: object) -> dict[str, object]:
    return {"filename": "a.jpg", "contentType": "image/jpeg", "size": 1000, **overrides}


def test_bob_gets_404_for_alices_batch_and_job(api: ApiClient) -> None:
    batch_id, [job] = api.analyze([("alice.jpg", photo_like(seed=50))])
    bob = ApiClient(api.base_url, token="bob")

    for method, path in [
        ("GET", f"/batches/{batch_id}"),
        ("GET", f"/batches/{batch_id}/jobs"),
        ("POST", f"/batches/{batch_id}/submit"),
        ("GET", f"/jobs/{job['jobId']}"),
    ]:
        answer = bob.request(method, path)
        assert answer.status_code == 404, (method, path, answer.text)
        assert answer.json()["error"]["code"] == "NOT_FOUND"
    add = bob.request("POST", f"/batches/{batch_id}/images", json={"images": [_slot()]})
    assert add.status_code == 404
    assert batch_id not in bob.request("GET", "/batches").text
    assert batch_id in api.request("GET", "/batches").text


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer "}, {"Authorization": "Basic YWxpY2U6"}])
def test_missing_or_empty_token_is_401(stack: object, headers: dict[str, str]) -> None:
    answer = requests.get(f"{stack.api_url}/batches/b-{'0' * 32}", headers=headers, timeout=10)  # type: ignore[attr-defined]

    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "UNAUTHORIZED"


def test_health_and_openapi_need_no_token(stack: object) -> None:
    health = requests.get(f"{stack.api_url}/health", timeout=10)  # type: ignore[attr-defined]
    spec = requests.get(f"{stack.api_url}/openapi.json", timeout=10)  # type: ignore[attr-defined]

    assert health.status_code == 200 and health.json()["status"] == "ok"
    assert spec.status_code == 200 and "/batches/{batchId}/submit" in spec.json()["paths"]


BAD_BODIES = {
    "malformed json": b'{"images": [',
    "not an object": b"[1, 2, 3]",
    "no images": b'{"images": []}',
    "wrong types": b'{"images": [{"filename": 12, "contentType": "image/jpeg", "size": "big"}]}',
    "negative size": b'{"images": [{"filename": "a.jpg", "contentType": "image/jpeg", "size": -5}]}',
    "zero size": b'{"images": [{"filename": "a.jpg", "contentType": "image/jpeg", "size": 0}]}',
    "unknown feature": b'{"images": [{"filename": "a.jpg", "size": 5}], "options": {"features": ["CELEBRITIES"]}}',
    "confidence out of range": b'{"images": [{"filename": "a.jpg", "size": 5}], "options": {"minConfidence": 101}}',
    "unknown field": b'{"images": [{"filename": "a.jpg", "size": 5, "key": "../../etc"}]}',
    "bad content type": b'{"images": [{"filename": "a.jpg", "size": 5, "contentType": "image/jpeg\\r\\nX: y"}]}',
    "empty filename": b'{"images": [{"filename": "", "size": 5}]}',
}


@pytest.mark.parametrize("body", BAD_BODIES.values(), ids=BAD_BODIES.keys())
def test_bad_create_requests_are_400_with_error_body(api: ApiClient, body: bytes) -> None:
    answer = api.request("POST", "/batches", data=body, headers={"Content-Type": "application/json"})

    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert error["code"] == "VALIDATION_ERROR" and error["message"]


def test_501_images_is_400_with_a_clear_message(api: ApiClient) -> None:
    answer = api.request("POST", "/batches", json={"images": [_slot(filename=f"{i}.jpg") for i in range(501)]})

    assert answer.status_code == 400
    assert "500" in answer.json()["error"]["message"]


def test_huge_declared_size_is_413_file_too_large(api: ApiClient) -> None:
    answer = api.request("POST", "/batches", json={"images": [_slot(size=10**12)]})

    assert answer.status_code == 413
    assert answer.json()["error"]["code"] == "FILE_TOO_LARGE"


def test_ten_kilobyte_filename_is_rejected(api: ApiClient) -> None:
    answer = api.request("POST", "/batches", json={"images": [_slot(filename="x" * 10_000)]})

    assert answer.status_code == 400


def test_unicode_filenames_round_trip(api: ApiClient) -> None:
    names = ["été à Paris.jpg", "東京タワー.jpg", "emoji 📷.jpg", "../../etc/passwd"]
    created = api.create_batch([(name, b"x") for name in names])

    listed = api.request("GET", f"/batches/{created['batchId']}/jobs").json()["jobs"]

    assert [j["filename"] for j in listed] == names
    assert all(j["jobId"] in slot["upload"]["fields"]["key"] for j, slot in zip(listed, created["jobs"], strict=True))


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/jobs/not-an-id"),
        ("GET", "/jobs/" + "j" * 5000),
        ("GET", "/batches/b-" + "0" * 32),
        ("GET", "/batches/%00%ff"),
        ("POST", "/batches/b-" + "0" * 32 + "/submit"),
        ("GET", "/nothing/here"),
    ],
)
def test_unknown_ids_and_paths_are_404(api: ApiClient, method: str, path: str) -> None:
    answer = api.request(method, path)

    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "NOT_FOUND"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?limit=0", 400),
        ("?limit=abc", 400),
        ("?status=DONE", 400),
        ("?nextToken=%%%", 400),
        ("?nextToken=e30", 400),
    ],
)
def test_bad_listing_parameters_are_400(api: ApiClient, query: str, expected: int) -> None:
    created = api.create_batch([("a.jpg", b"x")])

    answer = api.request("GET", f"/batches/{created['batchId']}/jobs{query}")

    assert answer.status_code == expected, answer.text
    assert "error" in answer.json()


def test_submit_with_malformed_body_is_400(api: ApiClient) -> None:
    created = api.create_batch([("a.jpg", b"x")])

    for body in (b"{", b'{"jobIds": "j-1"}', b'{"jobIds": [1, 2]}', b'{"other": 1}'):
        answer = api.request("POST", f"/batches/{created['batchId']}/submit", data=body)
        assert answer.status_code == 400, (body, answer.text)


def test_single_image_requests_validate_their_input(api: ApiClient) -> None:
    cases = [
        ("/images", b"", {"Content-Type": "image/jpeg"}, 400),
        ("/images", b"hello", {"Content-Type": "text/plain"}, 415),
        ("/images?features=LABELS,NOPE", b"x", {"Content-Type": "image/png"}, 400),
        ("/images?minConfidence=-1", b"x", {"Content-Type": "image/png"}, 400),
    ]
    for path, body, headers, expected in cases:
        answer = api.request("POST", path, data=body, headers=headers)
        assert answer.status_code == expected, (path, answer.text)
        assert answer.json()["error"]["code"]


def test_body_over_ten_megabytes_is_413(api: ApiClient) -> None:
    answer = api.request(
        "POST",
        "/batches",
        data=b"{" + b" " * (10 * 1024 * 1024 + 10),
        headers={"Content-Type": "application/json"},
    )

    assert answer.status_code == 413
