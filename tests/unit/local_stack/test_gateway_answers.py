"""The local gateway answers as API Gateway with the template's WAF rule would: 503 while the stack starts,
429 over the per-caller rate, 502 when the handler crashes, 400 for a body announced wrongly."""

from __future__ import annotations

import json
from typing import Any

import pytest

from local_stack.gateway import BAD_GATEWAY_BODY, MAX_BODY_BYTES, Gateway, refuse_body
from local_stack.rate_limit import RateLimiter

ALICE = {"authorization": "Bearer alice"}


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def echo_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": json.dumps(event["path"])}


def crashing_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    raise KeyError("boom")


def test_every_api_route_is_503_with_retry_after_until_the_stack_is_ready() -> None:
    gateway = Gateway(handler=echo_handler)
    gateway.ready.clear()

    status, headers, body = gateway.route("GET", "/api/health", {}, b"")
    assert (status, headers["Retry-After"]) == (503, "1")
    assert json.loads(body)["error"]["code"] == "SERVICE_UNAVAILABLE"
    assert gateway.route("GET", "/api/batches", ALICE, b"")[0] == 503

    gateway.ready.set()
    assert gateway.route("GET", "/api/health", {}, b"")[0] == 200


def test_a_handler_crash_is_502_internal_server_error_and_is_logged(capsys: pytest.CaptureFixture[str]) -> None:
    gateway = Gateway(handler=crashing_handler)

    status, _, body = gateway.route("GET", "/api/batches", ALICE, b"")

    assert (status, json.loads(body)) == (502, BAD_GATEWAY_BODY)
    logged = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert (logged["level"], logged["message"], logged["exception_name"]) == ("ERROR", "handler crashed", "KeyError")
    assert "boom" in logged["exception"] and logged["function_name"] == "imgrec-api"


def test_a_caller_over_the_rate_gets_429_until_its_oldest_request_leaves_the_window() -> None:
    clock = FakeClock()
    gateway = Gateway(handler=echo_handler, rate_limiter=RateLimiter(limit=3, clock=clock))

    assert [gateway.route("GET", "/api/batches", ALICE, b"")[0] for _ in range(3)] == [200, 200, 200]
    clock.now += 20
    status, headers, body = gateway.route("GET", "/api/batches", ALICE, b"")

    assert (status, headers["Retry-After"]) == (429, "60")
    assert json.loads(body)["error"]["code"] == "RATE_LIMITED"
    # Other callers and unauthenticated requests (no key: the rule does not apply) are not affected.
    assert gateway.route("GET", "/api/batches", {"authorization": "Bearer bob"}, b"")[0] == 200
    assert gateway.route("GET", "/api/health", {}, b"")[0] == 200
    clock.now += 40
    assert gateway.route("GET", "/api/batches", ALICE, b"")[0] == 200


def test_refused_requests_are_not_counted_so_waiting_retry_after_is_enough() -> None:
    clock = FakeClock()
    limiter = RateLimiter(limit=1, window_seconds=60, clock=clock)

    assert limiter.admit("k") is None
    refusals = [limiter.admit("k") for _ in range(5)]
    assert refusals == [60.0] * 5
    clock.now += 60
    assert limiter.admit("k") is None


@pytest.mark.parametrize("value", ["abc", "-1", "1.5", " "])
def test_a_malformed_content_length_is_400_validation_error(value: str) -> None:
    refused = refuse_body(value)

    assert refused is not None
    status, _, body = refused
    assert (status, json.loads(body)["error"]["code"]) == (400, "VALIDATION_ERROR")


def test_a_body_over_api_gateways_limit_is_413_and_others_are_read() -> None:
    refused = refuse_body(str(MAX_BODY_BYTES + 1))
    assert refused is not None and refused[0] == 413
    assert refuse_body(None) is None and refuse_body("0") is None and refuse_body(str(MAX_BODY_BYTES)) is None
