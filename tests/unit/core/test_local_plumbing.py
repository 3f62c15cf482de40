"""The local stack's translations: HTTP → API Gateway events, and Lambda's partial-batch rules."""

from __future__ import annotations

import base64

from local_stack.gateway import build_event, caller_from
from local_stack.poller import succeeded_receipts
from worker.adapters.queue import MAX_BACKOFF_SECONDS, backoff_seconds

RECORDS = [{"messageId": f"m{i}", "receiptHandle": f"r{i}"} for i in range(3)]


def test_all_records_succeed_when_no_failures_are_reported() -> None:
    assert succeeded_receipts(RECORDS, {"batchItemFailures": []}) == ["r0", "r1", "r2"]
    assert succeeded_receipts(RECORDS, None) == ["r0", "r1", "r2"]


def test_reported_failures_are_kept_for_retry() -> None:
    assert succeeded_receipts(RECORDS, {"batchItemFailures": [{"itemIdentifier": "m1"}]}) == ["r0", "r2"]


def test_an_unknown_or_empty_identifier_fails_the_whole_batch() -> None:
    assert succeeded_receipts(RECORDS, {"batchItemFailures": [{"itemIdentifier": "zzz"}]}) == []
    assert succeeded_receipts(RECORDS, {"batchItemFailures": [{"itemIdentifier": ""}]}) == []


def test_image_bodies_arrive_base64_encoded_like_binary_media_types() -> None:
    event = build_event("POST", "/api/images?features=LABELS", {"content-type": "image/png"}, b"\x89PNG", "alice")

    assert event["isBase64Encoded"] is True and base64.b64decode(event["body"]) == b"\x89PNG"
    assert event["path"] == "/images" and event["queryStringParameters"] == {"features": "LABELS"}
    assert event["requestContext"]["authorizer"]["claims"]["sub"] == "alice"


def test_json_bodies_arrive_as_text() -> None:
    event = build_event("POST", "/api/batches", {"content-type": "application/json"}, b'{"a": 1}', "bob")

    assert event["isBase64Encoded"] is False and event["body"] == '{"a": 1}'


def test_the_bearer_token_is_the_local_caller() -> None:
    assert caller_from({"authorization": "Bearer alice"}) == "alice"
    assert caller_from({"authorization": "bearer  bob "}) == "bob"
    assert caller_from({"authorization": "Bearer "}) is None
    assert caller_from({"authorization": "Basic xyz"}) is None
    assert caller_from({}) is None


def test_retry_backoff_grows_and_is_capped() -> None:
    delays = [backoff_seconds(n) for n in range(1, 12)]

    assert 5 <= delays[0] <= 10 and delays[3] >= 40
    assert max(delays) <= MAX_BACKOFF_SECONDS
