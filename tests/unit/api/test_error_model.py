"""One error model: every failure a request can meet is a typed answer in the envelope, never a crash."""

from __future__ import annotations

import json
from typing import Any

import pytest

from imagejobs.errors import DependencyError
from tests.unit.api.conftest import Api

SLOT = {"filename": "a.jpg", "contentType": "image/jpeg", "size": 1000}


def _nested(depth: int) -> str:
    return '{"images": ' + "[" * depth + "]" * depth + "}"


@pytest.mark.parametrize(
    "raw",
    [
        _nested(5000).encode(),  # json.loads would raise RecursionError
        _nested(40).encode(),  # parses, but deeper than any request of this API
        b'{"images": [{"filename": "a.jpg", "size": NaN}]}',
        b'{"images": [{"filename": "a.jpg", "size": 1' + b"0" * 5000 + b"}]}",  # int too long to convert
        b"null",
        b"[1, 2]",
        b'"images"',
        b"\xff\xfe not utf-8",
    ],
    ids=["5000 deep", "40 deep", "NaN", "5000-digit int", "null", "array", "string", "bad bytes"],
)
def test_hostile_bodies_are_400_validation_errors(api: Api, raw: bytes) -> None:
    answer = api.request("POST", "/batches", raw=raw)

    assert answer.status == 400, answer.body
    assert answer.code == "VALIDATION_ERROR" and answer.json()["error"]["message"]


@pytest.mark.parametrize(
    ("field", "value"),
    [("size", "12"), ("size", True), ("size", 12.5), ("filename", 7), ("contentType", ["image/jpeg"])],
)
def test_wrongly_typed_fields_are_refused_not_coerced(api: Api, field: str, value: Any) -> None:
    answer = api.request("POST", "/batches", {"images": [{**SLOT, field: value}]})

    assert answer.status == 400 and answer.code == "VALIDATION_ERROR"


@pytest.mark.parametrize("options", [{"minConfidence": "55"}, {"minConfidence": True}, {"maxLabels": "5"}])
def test_wrongly_typed_options_are_refused(api: Api, options: dict[str, Any]) -> None:
    answer = api.request("POST", "/batches", {"images": [SLOT], "options": options})

    assert answer.status == 400 and answer.code == "VALIDATION_ERROR"


def test_an_integer_written_with_a_zero_fraction_is_an_integer(api: Api) -> None:
    answer = api.request("POST", "/batches", {"images": [{**SLOT, "size": 1000.0}], "options": {"maxLabels": 5.0}})

    assert answer.status == 201, answer.body


@pytest.mark.parametrize("content_type", ["multipart/form-data", "application/x-www-form-urlencoded", "text/plain"])
def test_bodies_that_are_not_json_are_415(api: Api, content_type: str) -> None:
    answer = api.request("POST", "/batches", raw=b"images=1", headers={"Content-Type": content_type})

    assert answer.status == 415 and answer.code == "UNSUPPORTED_MEDIA_TYPE"


def test_a_method_a_path_does_not_have_is_405_with_allow(api: Api) -> None:
    created = api.create()

    answer = api.request("DELETE", f"/batches/{created['batchId']}/submit")

    assert answer.status == 405 and answer.code == "METHOD_NOT_ALLOWED"
    assert answer.headers["Allow"] == "POST"
    assert api.request("PUT", "/nothing/here").status == 404


def test_an_s3_outage_while_reading_a_job_is_503_with_retry_after(api: Api) -> None:
    created = api.create()
    job_id = created["jobs"][0]["jobId"]
    job = api.repository.jobs[job_id]
    api.repository.jobs[job_id] = job.__class__(**{**job.__dict__, "results_key": "derived/x/results.json"})
    api.objects.outage = True

    answer = api.request("GET", f"/jobs/{job_id}")

    assert answer.status == 503 and answer.code == "SERVICE_UNAVAILABLE"
    assert int(answer.headers["Retry-After"]) >= 1


def test_a_dependency_refusing_a_call_is_500_internal_with_a_request_id(api: Api, caplog: Any) -> None:
    def refuse(job_id: str) -> None:
        raise DependencyError("DynamoDB GetItem: AccessDeniedException")

    api.repository.get_job = refuse  # type: ignore[method-assign,assignment]

    answer = api.request("GET", f"/jobs/j-{'0' * 32}")

    assert answer.status == 500 and answer.code == "INTERNAL"
    assert answer.json()["error"]["requestId"]
    assert "AccessDenied" not in answer.body  # details stay in the log


def test_a_bug_is_500_internal_not_a_dropped_connection(api: Api) -> None:
    def crash(job_id: str) -> None:
        raise ZeroDivisionError

    api.repository.get_job = crash  # type: ignore[method-assign,assignment]

    answer = api.request("GET", f"/jobs/j-{'0' * 32}")

    assert answer.status == 500 and answer.code == "INTERNAL" and answer.json()["error"]["requestId"]


def test_every_error_body_is_the_one_envelope(api: Api) -> None:
    answers = [
        api.request("POST", "/batches", raw=b"{"),
        api.request("GET", f"/batches/b-{'1' * 32}"),
        api.request("GET", "/batches", caller=None),
        api.request("PATCH", "/batches"),
    ]

    for answer in answers:
        body = answer.json()
        assert set(body) == {"error"} and {"code", "message"} <= set(body["error"]), answer.body
        assert answer.headers["Content-Type"] == "application/json"


def test_cors_answers_only_the_configured_origin(make_api: Any) -> None:
    api = make_api(cors_origin="https://app.example.com")

    allowed = api.request("GET", "/health", headers={"Origin": "https://app.example.com"})
    other = api.request("GET", "/health", headers={"Origin": "https://evil.example"})

    assert allowed.headers["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert "Access-Control-Allow-Origin" not in other.headers
    assert "*" not in json.dumps(allowed.headers)


def test_without_a_configured_origin_there_are_no_cors_headers(api: Api) -> None:
    answer = api.request("GET", "/health", headers={"Origin": "https://evil.example"})

    assert not any(name.startswith("Access-Control") for name in answer.headers)
