"""The webhook sender's decisions (claim, retry schedule, Retry-After, 410, disabling after persistent
failure, duplicates) and the notifier's fan-out (topic, one delivery per endpoint that wants the event,
watchers, gone connections), with in-memory fakes."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from imagejobs.connections import Watcher
from imagejobs.events import event_of
from imagejobs.model import AnalysisOptions, JobStatus
from imagejobs.records import BatchRecord, JobRecord
from imagejobs.signing import new_secret
from imagejobs.webhooks import Delivery, DeliveryMessage, DeliveryStatus, Endpoint, Secret
from tests.support.notify_fakes import FakeConnections, FakeDeliveryQueue, FakeNotifyStore, FakePoster, FakeTopic
from worker.notifier import Outlets, handle_stream
from worker.webhook_sender import PostResult, Schedule, Sender

START = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


@dataclass
class Clock:
    now: datetime = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def endpoint(**changes: Any) -> Endpoint:
    base = Endpoint(
        endpoint_id="wh-" + "a" * 32,
        owner="ann",
        url="https://hooks.example.com/in",
        created_at="2026-11-01T00:00:00.000Z",
        secrets=(Secret(new_secret(), "2026-11-01T00:00:00.000Z"),),
    )
    return replace(base, **changes)


def delivery(event_type: str = "job.finished", **changes: Any) -> Delivery:
    base = Delivery(
        delivery_id="dlv-" + "b" * 32,
        endpoint_id="wh-" + "a" * 32,
        owner="ann",
        event_id="evt-" + "c" * 32,
        event_type=event_type,
        payload='{"id":"evt-cc"}',
        created_at="2026-11-27T12:00:00.000Z",
        expires_at=2_000_000_000,
    )
    return replace(base, **changes)


MESSAGE = DeliveryMessage("ann", "wh-" + "a" * 32, "dlv-" + "b" * 32)


def sender(
    answers: list[PostResult], delays: tuple[int, ...] = (5, 300)
) -> tuple[Sender, FakeNotifyStore, FakePoster, Clock]:
    store, poster, clock = FakeNotifyStore(), FakePoster(answers=answers), Clock()
    found = endpoint()
    store.endpoints[(found.owner, found.endpoint_id)] = found
    store.create_delivery(delivery())
    return Sender(store, poster, Schedule(delays=delays), clock), store, poster, clock


def stored(store: FakeNotifyStore) -> Delivery:
    found = store.get_delivery("wh-" + "a" * 32, "dlv-" + "b" * 32)
    assert found is not None
    return found


def test_a_2xx_answer_delivers_and_records_the_attempt_with_signed_headers():
    send, store, poster, _ = sender([PostResult(204, 12)])
    outcome = send.deliver(MESSAGE)
    assert (outcome.done, outcome.what) == (True, "delivered")
    [(url, headers, body)] = poster.requests
    assert url == "https://hooks.example.com/in" and body == b'{"id":"evt-cc"}'
    assert headers["webhook-id"] == "evt-" + "c" * 32 and headers["webhook-signature"].startswith("v1,")
    assert stored(store).status is DeliveryStatus.SUCCEEDED and stored(store).attempts[0].status_code == 204
    assert store.get_endpoint("ann", "wh-" + "a" * 32).last_success_at  # type: ignore[union-attr]


def test_failures_are_retried_on_the_schedule_then_the_endpoint_is_disabled_saying_why():
    send, store, poster, clock = sender([PostResult(500, 3)])
    first = send.deliver(MESSAGE)
    assert (first.done, first.delay) == (False, 5)
    early = send.deliver(MESSAGE)  # a duplicate message, or the same one too soon: no attempt
    assert (early.done, early.what, len(poster.requests)) == (False, "early", 1)
    clock.advance(5)
    assert send.deliver(MESSAGE).delay == 300
    clock.advance(300)
    last = send.deliver(MESSAGE)
    assert (last.done, last.what, len(poster.requests)) == (True, "failed", 3)
    assert stored(store).status is DeliveryStatus.FAILED
    disabled = store.get_endpoint("ann", "wh-" + "a" * 32)
    assert disabled is not None and not disabled.enabled
    assert "HTTP 500" in (disabled.disabled_reason or "") and "3 attempts" in (disabled.disabled_reason or "")


def test_a_success_elsewhere_during_the_retries_keeps_the_endpoint_enabled():
    send, store, _, clock = sender([PostResult(500, 3)], delays=(5,))
    send.deliver(MESSAGE)
    clock.advance(5)
    store.endpoint_succeeded("ann", "wh-" + "a" * 32, "2026-11-27T12:00:02.000Z")  # another delivery got through
    store.endpoint_failed("ann", "wh-" + "a" * 32, "2026-11-27T12:00:03.000Z")
    assert send.deliver(MESSAGE).what == "failed"
    assert store.get_endpoint("ann", "wh-" + "a" * 32).enabled  # type: ignore[union-attr]


def test_retry_after_on_429_and_503_is_honoured_when_longer_than_the_schedule():
    send, _, _, clock = sender([PostResult(429, 3, retry_after=120), PostResult(503, 3, retry_after=1)])
    assert send.deliver(MESSAGE).delay == 120
    clock.advance(120)
    assert send.deliver(MESSAGE).delay == 300  # the schedule's step is longer than what was asked


def test_410_disables_the_endpoint_at_once_without_retrying():
    send, store, poster, _ = sender([PostResult(410, 3)])
    assert send.deliver(MESSAGE).done
    assert "410" in (store.get_endpoint("ann", "wh-" + "a" * 32).disabled_reason or "")  # type: ignore[union-attr]
    assert len(poster.requests) == 1 and stored(store).status is DeliveryStatus.FAILED


def test_a_disabled_endpoint_gets_nothing_and_its_delivery_says_why():
    send, store, poster, _ = sender([PostResult(200, 3)])
    store.disable_endpoint("ann", "wh-" + "a" * 32, "by its owner", "t")
    assert send.deliver(MESSAGE).what == "not sent" and poster.requests == []
    assert "disabled" in (stored(store).attempts[-1].error or "")


def test_a_claimed_delivery_is_not_attempted_twice_by_a_duplicate_message():
    send, store, poster, _ = sender([PostResult(200, 3)])
    claimed = stored(store).changed(claimed_until=int(START.timestamp()) + 60, attempt_count=1)
    store.replace_delivery(stored(store), claimed)
    assert send.deliver(MESSAGE).what == "claimed elsewhere" and poster.requests == []


def test_a_failed_test_event_never_disables_the_endpoint():
    send, store, _, _ = sender([PostResult(500, 3)], delays=())
    store.deliveries.clear()
    store.create_delivery(delivery(event_type="webhook.test"))
    assert send.deliver(MESSAGE).what == "failed"
    assert store.get_endpoint("ann", "wh-" + "a" * 32).enabled  # type: ignore[union-attr]


# ---- the notifier

JOB = JobRecord(
    job_id="j-" + "1" * 32,
    batch_id="b-" + "2" * 32,
    seq=0,
    owner="ann",
    filename="cat.jpg",
    content_type="image/jpeg",
    declared_size=10,
    options=AnalysisOptions(),
    status=JobStatus.PROCESSING,
    created_at="2026-11-27T10:00:00.000Z",
    updated_at="2026-11-27T10:00:01.000Z",
    expires_at=1,
)


def finished_record(sequence: str = "1") -> dict[str, Any]:
    done = JOB.moved_to(JobStatus.SUCCEEDED, "2026-11-27T10:00:03.000Z")
    return {
        "eventName": "MODIFY",
        "dynamodb": {"NewImage": done.to_item(), "OldImage": JOB.to_item(), "SequenceNumber": sequence},
    }


def outlets(**batch_changes: Any) -> tuple[Outlets, FakeNotifyStore, FakeTopic, FakeDeliveryQueue, FakeConnections]:
    store, topic, queue, connections = FakeNotifyStore(), FakeTopic(), FakeDeliveryQueue(), FakeConnections()
    batch = BatchRecord(
        batch_id=JOB.batch_id, owner="ann", created_at="t", options=AnalysisOptions(), expires_at=1, total=1
    )
    store.batches[JOB.batch_id] = replace(batch, **batch_changes)
    return Outlets(store, topic, queue, connections), store, topic, queue, connections


def test_an_event_goes_to_the_topic_to_each_endpoint_that_wants_it_and_to_the_batchs_watchers():
    out, store, topic, queue, connections = outlets(callback_endpoint_id="wh-" + "c" * 32)
    every = endpoint(endpoint_id="wh-" + "a" * 32)
    only_batches = endpoint(endpoint_id="wh-" + "b" * 32, url="https://b.example.com", event_types=("batch.completed",))
    callback = endpoint(endpoint_id="wh-" + "c" * 32, url="https://c.example.com", all_batches=False)
    other_callback = endpoint(endpoint_id="wh-" + "d" * 32, url="https://d.example.com", all_batches=False)
    disabled = endpoint(endpoint_id="wh-" + "e" * 32, url="https://e.example.com", enabled=False)
    for made in (every, only_batches, callback, other_callback, disabled):
        store.endpoints[("ann", made.endpoint_id)] = made
    store.endpoints[("bob", "wh-" + "f" * 32)] = endpoint(endpoint_id="wh-" + "f" * 32, owner="bob")
    store.watching[JOB.batch_id] = [
        Watcher("c1", "ann", "https://ws.example/v1", 2**40),
        Watcher("c2", "ann", "https://ws.example/v1", 2**40),
        Watcher("c3", "bob", "https://ws.example/v1", 2**40),  # never another caller's
    ]
    connections.gone = {"c2"}

    assert handle_stream({"Records": [finished_record()]}, out) == {"batchItemFailures": []}

    [(event, owner)] = topic.published
    assert (event.type.value, owner) == ("job.finished", "ann")
    assert sorted(m.endpoint_id for m in queue.sent) == ["wh-" + "a" * 32, "wh-" + "c" * 32]
    assert [c for _, c, _ in connections.posted] == ["c1"]
    assert store.forgotten == ["c2"]


def test_a_retried_record_creates_no_second_delivery_but_queues_its_message_again():
    out, store, _, queue, _ = outlets()
    store.endpoints[("ann", "wh-" + "a" * 32)] = endpoint()
    handle_stream({"Records": [finished_record()]}, out)
    handle_stream({"Records": [finished_record()]}, out)
    assert len(store.deliveries) == 1 and len(queue.sent) == 2 and queue.sent[0] == queue.sent[1]


def test_events_of_a_batch_being_deleted_are_dropped():
    out, _, topic, queue, _ = outlets(deleting_since="2026-11-27T10:00:02.000Z")
    handle_stream({"Records": [finished_record()]}, out)
    assert topic.published == [] and queue.sent == []


def test_a_failing_record_is_reported_and_the_later_ones_wait():
    out, _, topic, _, _ = outlets()

    def broken(event: Any, owner: str) -> None:
        raise RuntimeError("topic down")

    topic.publish = broken  # type: ignore[method-assign]
    answer = handle_stream({"Records": [finished_record("7"), finished_record("8")]}, out)
    assert answer == {"batchItemFailures": [{"itemIdentifier": "7"}]}
    assert event_of(finished_record()) is not None
