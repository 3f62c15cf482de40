"""The webhook sender: one delivery attempt per queue message, and what happens next.

A message names a delivery; the delivery record holds the event's exact body and the attempts so far. An
attempt is claimed first (a conditional write on the record's version), so duplicate messages never make
the same attempt twice; the receiver gets the same `webhook-id` on every attempt and redelivery anyway.

Only a 2xx answer is success. A failure is retried after the next delay of the schedule (default: 5 s,
5 min, 30 min, 2 h, 5 h, 10 h, 10 h: eight attempts over about 28 hours) by hiding the message for that
long (the queue's visibility), or after the receiver's `Retry-After` on 429 and 503 when that is longer.
`410 Gone` disables the endpoint at once. When a delivery has used every attempt and no delivery to the
endpoint has succeeded since this one started failing, the endpoint is disabled, saying why; its owner
re-enables it (PATCH) and redelivers what it missed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from imagejobs.errors import ImgrecError
from imagejobs.events import EventType
from imagejobs.observability import logger, metrics
from imagejobs.records import iso
from imagejobs.signing import signed_headers
from imagejobs.store import StaleRecordError
from imagejobs.webhooks import Attempt, Delivery, DeliveryMessage, DeliveryStatus, Endpoint

# SQS cannot hide a message for longer (ChangeMessageVisibility).
MAX_DELAY_SECONDS = 12 * 3600
USER_AGENT = "imgrec-webhooks/1"


@dataclass(frozen=True)
class PostResult:
    status_code: int | None
    duration_ms: int
    error: str | None = None
    retry_after: int | None = None
    response: str | None = None


class Poster(Protocol):
    def post(self, url: str, headers: dict[str, str], body: bytes) -> PostResult: ...


class SenderStore(Protocol):
    def get_delivery(self, endpoint_id: str, delivery_id: str) -> Delivery | None: ...
    def replace_delivery(self, before: Delivery, after: Delivery) -> Delivery: ...
    def get_endpoint(self, owner: str, endpoint_id: str) -> Endpoint | None: ...
    def endpoint_succeeded(self, owner: str, endpoint_id: str, at: str) -> None: ...
    def endpoint_failed(self, owner: str, endpoint_id: str, at: str) -> None: ...
    def disable_endpoint(self, owner: str, endpoint_id: str, reason: str, at: str) -> bool: ...


@dataclass(frozen=True)
class Schedule:
    """Delays before each retry; attempts = 1 + len(delays)."""

    delays: tuple[int, ...]
    lease_seconds: int = 60

    @property
    def attempts(self) -> int:
        return 1 + len(self.delays)


@dataclass(frozen=True)
class Outcome:
    done: bool  # True: the message is finished with; False: show it again after `delay` seconds
    what: str
    delay: int = 0


def _answer(result: PostResult) -> str:
    return f"HTTP {result.status_code}" if result.status_code is not None else (result.error or "no answer")


class Sender:
    def __init__(self, store: SenderStore, poster: Poster, schedule: Schedule, clock: Callable[[], datetime]) -> None:
        self._store = store
        self._poster = poster
        self._schedule = schedule
        self._clock = clock

    def deliver(self, message: DeliveryMessage) -> Outcome:
        delivery = self._store.get_delivery(message.endpoint_id, message.delivery_id)
        now = self._clock()
        not_now = self._not_due(delivery, int(now.timestamp()))
        if not_now is not None or delivery is None:
            return not_now or Outcome(True, "gone")
        endpoint = self._store.get_endpoint(message.owner, message.endpoint_id)
        if endpoint is None or not endpoint.enabled:
            reason = (
                "the endpoint was deleted"
                if endpoint is None
                else f"the endpoint is disabled: {endpoint.disabled_reason}"
            )
            return self._give_up(delivery, reason, now)
        seconds = int(now.timestamp())
        claimed = delivery.changed(
            claimed_until=seconds + self._schedule.lease_seconds, attempt_count=delivery.attempt_count + 1
        )
        try:
            self._store.replace_delivery(delivery, claimed)
        except StaleRecordError:
            return Outcome(True, "claimed elsewhere")
        return self._attempt(claimed, endpoint, now)

    @staticmethod
    def _not_due(delivery: Delivery | None, seconds: int) -> Outcome | None:
        """Why this message makes no attempt now, or None when it should."""
        if delivery is None:
            return Outcome(True, "gone")  # expired, or its endpoint deleted
        if delivery.status is not DeliveryStatus.PENDING:
            return Outcome(True, "finished")
        if delivery.next_attempt_at is not None and delivery.next_attempt_at > seconds:
            return Outcome(False, "early", delivery.next_attempt_at - seconds)
        if delivery.claimed_until is not None and delivery.claimed_until > seconds:
            return Outcome(True, "claimed elsewhere")  # that message carries on (or comes back if it died)
        return None

    def _give_up(self, delivery: Delivery, reason: str, now: datetime) -> Outcome:
        attempt = Attempt(at=iso(now), status_code=None, duration_ms=0, error=reason)
        try:
            self._store.replace_delivery(delivery, delivery.with_attempt(attempt, status=DeliveryStatus.FAILED))
        except StaleRecordError:
            return Outcome(True, "claimed elsewhere")
        return Outcome(True, "not sent")

    def _attempt(self, claimed: Delivery, endpoint: Endpoint, now: datetime) -> Outcome:
        at = iso(now)
        body = claimed.payload.encode()
        headers = {
            **signed_headers(endpoint.signing_secrets(at), claimed.event_id, int(now.timestamp()), body),
            "content-type": "application/json",
            "user-agent": USER_AGENT,
        }
        result = self._poster.post(endpoint.url, headers, body)
        attempt = Attempt(at, result.status_code, result.duration_ms, result.error, result.response)
        metrics.add_metric(name="WebhookAttempts", unit="Count", value=1)
        if attempt.succeeded:
            self._record(claimed, claimed.with_attempt(attempt, status=DeliveryStatus.SUCCEEDED, next_attempt_at=None))
            self._store.endpoint_succeeded(endpoint.owner, endpoint.endpoint_id, at)
            metrics.add_metric(name="WebhooksDelivered", unit="Count", value=1)
            logger.info("webhook delivered", delivery_id=claimed.delivery_id, attempt=claimed.round_attempts)
            return Outcome(True, "delivered")
        metrics.add_metric(name="WebhookAttemptsFailed", unit="Count", value=1)
        self._store.endpoint_failed(endpoint.owner, endpoint.endpoint_id, at)
        logger.info("webhook attempt failed", delivery_id=claimed.delivery_id, answer=_answer(result))
        if result.status_code == 410:
            self._record(claimed, claimed.with_attempt(attempt, status=DeliveryStatus.FAILED, next_attempt_at=None))
            self._disable(endpoint, "the receiver answered 410 Gone: it asked for no more deliveries", at)
            return Outcome(True, "gone for good")
        if claimed.round_attempts < self._schedule.attempts:
            delay = self._delay(claimed.round_attempts, result)
            self._record(claimed, claimed.with_attempt(attempt, next_attempt_at=int(now.timestamp()) + delay))
            return Outcome(False, "retry", delay)
        failed = claimed.with_attempt(attempt, status=DeliveryStatus.FAILED, next_attempt_at=None)
        self._record(claimed, failed)
        metrics.add_metric(name="WebhooksFailed", unit="Count", value=1)
        self._maybe_disable(failed, endpoint, result, now)
        return Outcome(True, "failed")

    def _delay(self, attempts_made: int, result: PostResult) -> int:
        delay = self._schedule.delays[attempts_made - 1]
        if result.status_code in (429, 503) and result.retry_after:
            delay = max(delay, result.retry_after)  # never sooner than the receiver asked
        return min(delay, MAX_DELAY_SECONDS)

    def _record(self, before: Delivery, after: Delivery) -> None:
        try:
            self._store.replace_delivery(before, after)
        except StaleRecordError:
            # Our claim ran out and another message took the delivery over: its record stands.
            logger.warning("delivery changed during an attempt", delivery_id=before.delivery_id)

    def _maybe_disable(self, failed: Delivery, endpoint: Endpoint, result: PostResult, now: datetime) -> None:
        if failed.event_type == EventType.WEBHOOK_TEST.value:
            return  # a test event is the owner trying things out, not traffic
        current = self._store.get_endpoint(endpoint.owner, endpoint.endpoint_id)
        kept = failed.attempts[-min(failed.round_attempts, len(failed.attempts)) :]
        round_started = kept[0].at if kept else iso(now)
        if current is None or current.failing_since is None or current.failing_since > round_started:
            return  # something was delivered while this one kept failing: not persistent
        hours = (now - datetime.fromisoformat(current.failing_since.replace("Z", "+00:00"))) / timedelta(hours=1)
        reason = (
            f"every delivery failed for {hours:.1f} hours (since {current.failing_since}); delivery "
            f"{failed.delivery_id} used all {failed.round_attempts} attempts, the last answer: {_answer(result)}"
        )
        self._disable(current, reason, iso(now))

    def _disable(self, endpoint: Endpoint, reason: str, at: str) -> None:
        if self._store.disable_endpoint(endpoint.owner, endpoint.endpoint_id, reason, at):
            metrics.add_metric(name="WebhookEndpointsDisabled", unit="Count", value=1)
            logger.warning("webhook endpoint disabled", endpoint_id=endpoint.endpoint_id, reason=reason)


class DeliveryError(ImgrecError):
    """A message that names no delivery (malformed): dropped, and logged."""
