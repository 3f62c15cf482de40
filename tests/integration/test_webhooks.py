"""Webhooks against the embedded stack: events come from the table's stream through the notifier, the
delivery queue and the sender to a receiver on 127.0.0.1, signed per Standard Webhooks (verified here with
the scheme's reference library), retried with backoff, recorded, redelivered, and disabled when they keep
failing. The stack runs with retries after 1 s and 2 s (tests/conftest.py)."""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook

from tests.support.api import ApiClient
from tests.support.images import photo_like
from tests.support.webhook_receiver import Received, Receiver, running_receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running


def _caller(stack: Any) -> ApiClient:
    return ApiClient(stack.api_url, token=f"hooks-{uuid.uuid4().hex[:8]}")


def _run_batch(client: ApiClient, count: int, seed: int, **body: Any) -> dict[str, Any]:
    images = [(f"{i}.jpg", photo_like(seed=seed + i)) for i in range(count)]
    request = {"images": [{"filename": n, "contentType": "image/jpeg", "size": len(d)} for n, d in images], **body}
    answer = client.request("POST", "/batches", json=request)
    assert answer.status_code == 201, answer.text
    created: dict[str, Any] = answer.json()
    for slot, (_, data) in zip(created["jobs"], images, strict=True):
        client.upload(slot, data)
    client.submit(created["batchId"])
    return created


def _verified(secret: str, request: Received) -> dict[str, Any]:
    """What a receiver does first: check the signature (raises if it does not hold), then parse."""
    payload: dict[str, Any] = Webhook(secret).verify(request.body, request.headers)
    return payload


def _by_event(requests: list[Received]) -> dict[str, list[Received]]:
    grouped: dict[str, list[Received]] = defaultdict(list)
    for request in requests:
        grouped[request.event_id].append(request)
    return grouped


def test_a_batch_callback_gets_exactly_its_events_signed_and_retried_with_backoff_and_dedupes_a_redelivery(
    stack: Any, receiver: Receiver
) -> None:
    client = _caller(stack)
    path = "/hooks/batch"
    receiver.answers[path] = [500, 500, 200]  # each event fails twice, then is taken
    created = _run_batch(client, 2, seed=1200, callbackUrl=receiver.url + path)
    secret = created["callback"]["secret"]
    job_ids = {slot["jobId"] for slot in created["jobs"]}

    def all_taken(requests: list[Received]) -> bool:
        grouped = _by_event([r for r in requests if r.path == path])
        return len(grouped) == 3 and all(len(attempts) >= 3 for attempts in grouped.values())

    requests = [r for r in receiver.wait_for(all_taken, timeout=90) if r.path == path]
    events = {request.event_id: _verified(secret, request) for request in requests}

    # Exactly the batch's events: one job.finished per job, one batch.completed.
    assert sorted(e["type"] for e in events.values()) == ["batch.completed", "job.finished", "job.finished"]
    assert {e["data"]["jobId"] for e in events.values() if e["type"] == "job.finished"} == job_ids
    [completed] = [e for e in events.values() if e["type"] == "batch.completed"]
    assert completed["data"]["batchId"] == created["batchId"] and completed["data"]["total"] == 2
    assert all(event_id == event["id"] for event_id, event in events.items())
    # Retried with backoff: three attempts per event, the same webhook-id, the gaps growing (1 s, then 2 s).
    for attempts in _by_event(requests).values():
        assert len(attempts) == 3
        first_gap, second_gap = attempts[1].at - attempts[0].at, attempts[2].at - attempts[1].at
        assert first_gap >= 0.9 and second_gap >= 1.9 and second_gap > first_gap

    # The delivery log says the same, with status codes.
    endpoint_id = created["callback"]["endpointId"]
    log = client.request("GET", f"/webhooks/{endpoint_id}/deliveries").json()["deliveries"]
    assert {d["eventId"] for d in log} == set(events)
    assert all(d["status"] == "SUCCEEDED" and [a["statusCode"] for a in d["attempts"]] == [500, 500, 200] for d in log)

    # A redelivery carries the same webhook-id: a receiver that remembers ids processes nothing twice.
    processed = set(events)
    redelivered = log[0]
    answer = client.request("POST", f"/webhooks/{endpoint_id}/deliveries/{redelivered['deliveryId']}/redeliver")
    assert answer.status_code == 202, answer.text
    again = receiver.wait_for(lambda rs: len([r for r in rs if r.path == path]) == len(requests) + 1)[-1]
    assert again.event_id == redelivered["eventId"] and _verified(secret, again)["id"] == redelivered["eventId"]
    assert again.event_id in processed  # the duplicate, recognised by its id
    assert receiver.at(path)[-1].body == _by_event(requests)[again.event_id][0].body


def test_a_registered_endpoint_gets_every_batch_and_a_test_event_and_its_rotated_secret_signs_beside_the_old(
    stack: Any, receiver: Receiver
) -> None:
    client = _caller(stack)
    created = client.request(
        "POST", "/webhooks", json={"url": receiver.url + "/all", "eventTypes": ["batch.completed"]}
    )
    assert created.status_code == 201, created.text
    endpoint, old_secret = created.json()["endpoint"], created.json()["secret"]
    assert client.request("POST", "/webhooks", json={"url": receiver.url + "/all"}).json()["error"]["code"] == (
        "ENDPOINT_EXISTS"
    )

    batch = _run_batch(client, 1, seed=1210)
    [completed] = receiver.wait_for(lambda rs: len([r for r in rs if r.path == "/all"]) == 1)
    assert _verified(old_secret, completed)["data"]["batchId"] == batch["batchId"]

    rotated = client.request("POST", f"/webhooks/{endpoint['endpointId']}/rotate-secret").json()
    test = client.request("POST", f"/webhooks/{endpoint['endpointId']}/test")
    assert test.status_code == 202, test.text
    signed_twice = receiver.wait_for(lambda rs: len([r for r in rs if r.path == "/all"]) == 2)[-1]
    # During the overlap both secrets verify the same delivery (two v1 signatures).
    assert _verified(rotated["secret"], signed_twice)["type"] == "webhook.test"
    assert _verified(old_secret, signed_twice)["type"] == "webhook.test"
    assert len(signed_twice.headers["webhook-signature"].split(" ")) == 2


def test_an_endpoint_that_keeps_failing_is_disabled_with_its_reason(stack: Any, receiver: Receiver) -> None:
    client = _caller(stack)
    failing = client.request("POST", "/webhooks", json={"url": receiver.url + "/down"}).json()["endpoint"]
    gone = client.request("POST", "/webhooks", json={"url": receiver.url + "/gone"}).json()["endpoint"]
    receiver.answers["/down"] = [500]
    receiver.answers["/gone"] = [410]
    _run_batch(client, 1, seed=1220)

    receiver.wait_for(lambda rs: len(receiver.at("/down")) >= 3 and len(receiver.at("/gone")) >= 1)
    down = _eventually(lambda: client.request("GET", f"/webhooks/{failing['endpointId']}").json(), _is_disabled)
    assert "HTTP 500" in down["disabledReason"] and "attempts" in down["disabledReason"]
    assert down["failingSince"]
    went = _eventually(lambda: client.request("GET", f"/webhooks/{gone['endpointId']}").json(), _is_disabled)
    assert "410" in went["disabledReason"]
    assert len(receiver.at("/gone")) == 1  # 410 is final: no retry

    # Re-enabled, it gets deliveries again.
    answer = client.request("PATCH", f"/webhooks/{failing['endpointId']}", json={"enabled": True})
    assert answer.json()["enabled"] is True and "disabledReason" not in {k for k, v in answer.json().items() if v}


def _is_disabled(endpoint: dict[str, Any]) -> bool:
    return endpoint["enabled"] is False


def _eventually(read: Any, condition: Any, timeout: float = 30) -> dict[str, Any]:
    import time

    deadline = time.monotonic() + timeout
    while True:
        value = read()
        if condition(value):
            return dict(value)
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached in {timeout}s: {value}")
        time.sleep(0.1)


def test_callbacks_to_private_addresses_are_refused_when_the_deployment_mode_check_is_on(
    stack: Any, receiver: Receiver
) -> None:
    """The stack allows loopback receivers, as a local stack must; deployed, the API refuses such URLs and
    the sender never connects to a private address, whatever the name resolves to."""
    from api.adapters.clients import get_services
    from api.app import create_app
    from imagejobs.callback_urls import UrlPolicy
    from local_stack.gateway import build_event
    from worker.adapters.webhook_http import WebhookPoster

    services = get_services()
    deployed = replace(services, settings=services.settings.model_copy(update={"webhooks_allow_loopback": False}))
    app = create_app()
    app.dependency_overrides[get_services] = lambda: deployed

    def post(path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        event = build_event("POST", f"/api{path}", {"content-type": "application/json"}, json.dumps(body).encode(), "x")
        answer = app.resolve(event, None)
        return int(answer["statusCode"]), json.loads(answer["body"])

    image = {"filename": "a.jpg", "contentType": "image/jpeg", "size": 10}
    status, body = post("/batches", {"images": [image], "callbackUrl": receiver.url + "/private"})
    assert status == 400 and "refused" in body["error"]["message"]
    status, body = post("/webhooks", {"url": "https://localhost/hook"})
    assert status == 400 and "loopback" in body["error"]["message"]

    deployed_sender = WebhookPoster(UrlPolicy(allow_loopback=False))
    port = receiver.url.rsplit(":", 1)[1]
    for url, resolver in (
        # A public-looking name that resolves to the receiver on 127.0.0.1 (DNS rebinding, say).
        (f"https://hooks.example.com:{port}/private", lambda host, p: ["127.0.0.1"]),
        # One private address among public ones is enough to refuse.
        (f"https://hooks.example.com:{port}/private", lambda host, p: ["93.184.216.34", "10.0.0.7"]),
        (f"https://hooks.example.com:{port}/private", lambda host, p: ["169.254.169.254"]),
        (f"https://hooks.example.com:{port}/private", lambda host, p: ["::ffff:192.168.1.1"]),
        (f"http://hooks.example.com:{port}/private", lambda host, p: ["93.184.216.34"]),
    ):
        result = WebhookPoster(UrlPolicy(allow_loopback=False), resolver=resolver).post(url, {}, b"{}")
        assert result.status_code is None and result.error and result.error.startswith("refused"), (url, result)
    assert deployed_sender.post(f"https://localhost:{port}/private", {}, b"{}").error.startswith("refused")  # type: ignore[union-attr]
    assert receiver.at("/private") == []


def test_the_topic_carries_the_same_events_with_owner_and_type_attributes_for_filter_policies(stack: Any) -> None:
    from local_stack import names

    client = _caller(stack)
    sqs, sns = stack.client("sqs"), stack.client("sns")
    queue_url = sqs.create_queue(QueueName=f"subscriber-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(
        TopicArn=names.EVENTS_TOPIC_ARN,
        Protocol="sqs",
        Endpoint=queue_arn,
        Attributes={
            "RawMessageDelivery": "true",
            "FilterPolicy": json.dumps({"owner": [client.token], "type": ["batch.completed"]}),
        },
    )
    batch = _run_batch(client, 2, seed=1230)
    client.wait_batch(batch["batchId"])

    received: list[dict[str, Any]] = []
    for _ in range(20):
        answer = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=1, MessageAttributeNames=["All"])
        received += answer.get("Messages", [])
        if received:
            break
    [message] = received
    event = json.loads(message["Body"])
    assert event["type"] == "batch.completed" and event["data"]["batchId"] == batch["batchId"]
    attributes = {k: v["StringValue"] for k, v in message["MessageAttributes"].items()}
    assert attributes == {"owner": client.token, "type": "batch.completed", "eventId": event["id"]}
    assert not sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=1).get("Messages")  # job events filtered out
