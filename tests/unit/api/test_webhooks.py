"""Webhook routes through the resolver with in-memory fakes: registration (secret shown once, one endpoint
per URL, a per-caller limit), another caller's endpoint is 404, callback URLs on batches, rotation with
overlap, the delivery log, redelivery and test events through the sender's queue."""

from __future__ import annotations

from typing import Any

from imagejobs.webhooks import Attempt, Delivery, DeliveryStatus

HOOK = "https://hooks.example.com/imgrec"


def test_registering_shows_the_secret_once_and_never_again(api: Any) -> None:
    answer = api.request("POST", "/webhooks", {"url": HOOK, "description": "ingest"})
    assert answer.status == 201, answer.body
    created = answer.json()
    assert created["secret"].startswith("whsec_")
    endpoint_id = created["endpoint"]["endpointId"]
    read = api.request("GET", f"/webhooks/{endpoint_id}")
    assert read.status == 200 and "secret" not in read.json() and created["secret"] not in read.body
    assert read.json()["allBatches"] is True and read.json()["enabled"] is True
    assert [e["endpointId"] for e in api.request("GET", "/webhooks").json()["endpoints"]] == [endpoint_id]


def test_one_endpoint_per_url_and_a_limit_per_caller(make_api: Any) -> None:
    api = make_api(max_webhook_endpoints=2)
    api.request("POST", "/webhooks", {"url": HOOK})
    again = api.request("POST", "/webhooks", {"url": HOOK})
    assert (again.status, again.code) == (409, "ENDPOINT_EXISTS")
    assert api.request("POST", "/webhooks", {"url": HOOK + "/2"}).status == 201
    full = api.request("POST", "/webhooks", {"url": HOOK + "/3"})
    assert (full.status, full.code) == (429, "QUOTA_EXCEEDED")


def test_another_callers_endpoint_is_not_found(api: Any) -> None:
    endpoint_id = api.request("POST", "/webhooks", {"url": HOOK}).json()["endpoint"]["endpointId"]
    for method, path in (
        ("GET", f"/webhooks/{endpoint_id}"),
        ("DELETE", f"/webhooks/{endpoint_id}"),
        ("POST", f"/webhooks/{endpoint_id}/test"),
        ("GET", f"/webhooks/{endpoint_id}/deliveries"),
    ):
        assert api.request(method, path, caller="mallory").status == 404, path


def test_urls_this_deployment_would_not_call_are_refused(api: Any) -> None:
    for url in ("http://hooks.example.com/x", "https://localhost/x", "https://10.0.0.1/x", "https://x"):
        assert api.request("POST", "/webhooks", {"url": url}).status == 400, url


def test_a_batch_callback_url_makes_an_endpoint_for_that_batch_only_once(api: Any) -> None:
    images = [{"filename": "a.jpg", "contentType": "image/jpeg", "size": 10}]
    first = api.request("POST", "/batches", {"images": images, "callbackUrl": HOOK}).json()
    second = api.request("POST", "/batches", {"images": images, "callbackUrl": HOOK}).json()
    assert first["callback"]["secret"].startswith("whsec_") and "secret" not in second["callback"]
    assert first["callback"]["endpointId"] == second["callback"]["endpointId"]
    endpoint = api.request("GET", f"/webhooks/{first['callback']['endpointId']}").json()
    assert endpoint["allBatches"] is False
    assert api.repository.batches[first["batchId"]].callback_endpoint_id == endpoint["endpointId"]
    plain = api.request("POST", "/batches", {"images": images}).json()
    assert "callback" not in plain


def test_rotation_keeps_the_old_secret_signing_for_the_overlap(api: Any) -> None:
    created = api.request("POST", "/webhooks", {"url": HOOK}).json()
    endpoint_id = created["endpoint"]["endpointId"]
    rotated = api.request("POST", f"/webhooks/{endpoint_id}/rotate-secret").json()
    assert rotated["secret"] != created["secret"]
    assert rotated["previousSecretExpiresAt"] == "2026-11-28T12:00:00.000Z"  # 24 h after the fake clock's now
    stored = api.webhooks.get_endpoint("alice", endpoint_id)
    assert stored.signing_secrets("2026-11-28T11:59:59.000Z") == [rotated["secret"], created["secret"]]
    assert stored.signing_secrets("2026-11-28T12:00:01.000Z") == [rotated["secret"]]


def test_a_disabled_endpoint_is_enabled_again_and_forgets_its_failure(api: Any) -> None:
    endpoint_id = api.request("POST", "/webhooks", {"url": HOOK}).json()["endpoint"]["endpointId"]
    api.webhooks.disable_endpoint("alice", endpoint_id, "every delivery failed", "2026-11-27T12:00:00.000Z")
    assert api.request("GET", f"/webhooks/{endpoint_id}").json()["disabledReason"] == "every delivery failed"
    enabled = api.request("PATCH", f"/webhooks/{endpoint_id}", {"enabled": True}).json()
    assert enabled["enabled"] is True and enabled["disabledReason"] is None


def test_test_events_and_redeliveries_go_through_the_senders_queue(api: Any) -> None:
    endpoint_id = api.request("POST", "/webhooks", {"url": HOOK}).json()["endpoint"]["endpointId"]
    test = api.request("POST", f"/webhooks/{endpoint_id}/test")
    assert test.status == 202 and test.json()["eventType"] == "webhook.test"
    [message] = api.webhook_queue.sent
    assert message.delivery_id == test.json()["deliveryId"]

    delivered = Delivery(
        delivery_id="dlv-" + "0" * 32,  # older than the test event (ids start with the time)
        endpoint_id=endpoint_id,
        owner="alice",
        event_id="evt-" + "2" * 32,
        event_type="job.finished",
        payload="{}",
        created_at="2026-11-27T11:00:00.000Z",
        expires_at=2_000_000_000,
        status=DeliveryStatus.SUCCEEDED,
        attempt_count=3,
        attempts=(Attempt("a", 500, 5), Attempt("b", 500, 5), Attempt("c", 200, 5)),
    )
    api.webhooks.create_delivery(delivered)
    log = api.request("GET", f"/webhooks/{endpoint_id}/deliveries").json()["deliveries"]
    assert [d["deliveryId"] for d in log] == [test.json()["deliveryId"], delivered.delivery_id]
    assert [a["statusCode"] for a in log[1]["attempts"]] == [500, 500, 200]
    again = api.request("POST", f"/webhooks/{endpoint_id}/deliveries/{delivered.delivery_id}/redeliver").json()
    assert again["status"] == "PENDING" and again["redeliveries"] == 1 and again["eventId"] == delivered.event_id
    assert api.webhook_queue.sent[-1].delivery_id == delivered.delivery_id
    restarted = api.webhooks.get_delivery(endpoint_id, delivered.delivery_id)
    assert restarted.round_start == 3 and restarted.round_attempts == 0


def test_the_delivery_log_pages_with_tokens_bound_to_the_endpoint(api: Any) -> None:
    endpoint_id = api.request("POST", "/webhooks", {"url": HOOK}).json()["endpoint"]["endpointId"]
    other = api.request("POST", "/webhooks", {"url": HOOK + "/b"}).json()["endpoint"]["endpointId"]
    for _ in range(3):
        api.clock.now = api.clock.now.replace(second=api.clock.now.second + 1)
        api.request("POST", f"/webhooks/{endpoint_id}/test")
    first = api.request("GET", f"/webhooks/{endpoint_id}/deliveries?limit=2").json()
    assert len(first["deliveries"]) == 2 and first["nextToken"]
    rest = api.request("GET", f"/webhooks/{endpoint_id}/deliveries?limit=2&nextToken={first['nextToken']}").json()
    assert len(rest["deliveries"]) == 1 and rest["nextToken"] is None
    foreign = api.request("GET", f"/webhooks/{other}/deliveries?nextToken={first['nextToken']}")
    assert foreign.status == 400


def test_deleting_an_endpoint_frees_its_url(api: Any) -> None:
    endpoint_id = api.request("POST", "/webhooks", {"url": HOOK}).json()["endpoint"]["endpointId"]
    deleted = api.request("DELETE", f"/webhooks/{endpoint_id}")
    assert deleted.status == 200 and deleted.json()["endpointId"] == endpoint_id
    assert api.request("GET", f"/webhooks/{endpoint_id}").status == 404
    assert api.request("POST", "/webhooks", {"url": HOOK}).status == 201


def test_flags_must_be_json_booleans(api: Any) -> None:
    endpoint_id = api.request("POST", "/webhooks", {"url": HOOK}).json()["endpoint"]["endpointId"]
    assert api.request("PATCH", f"/webhooks/{endpoint_id}", {"enabled": 0}).status == 400
    assert api.request("POST", "/webhooks", {"url": HOOK + "/x", "allBatches": "yes"}).status == 400
