"""Webhook endpoints: register, read, change, delete, rotate the secret; read the delivery log, redeliver,
send a test event. The notifier creates deliveries of real events; this module only ever adds a test event
or restarts a delivery, and both go through the sender's queue like every other delivery."""

from __future__ import annotations

import secrets as random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from api.errors import ApiErrorCode, BadRequestError, ConflictError, NotFoundError, QuotaExceededError
from api.logic import pages
from api.logic.services import Services
from api.models.webhooks import (
    CallbackEndpoint,
    DeliveryAttempt,
    DeliveryPage,
    EndpointCreated,
    EndpointList,
    EndpointRequest,
    EndpointUpdate,
    SecretRotated,
    WebhookDelivery,
    WebhookEndpoint,
)
from imagejobs.callback_urls import UrlPolicy, UrlRefusedError, target_of
from imagejobs.events import EventType, webhook_test
from imagejobs.observability import logger
from imagejobs.records import iso
from imagejobs.signing import new_secret
from imagejobs.store import StaleCancellationError, StaleRecordError
from imagejobs.webhooks import (
    Delivery,
    DeliveryMessage,
    DeliveryStatus,
    Endpoint,
    Secret,
    delivery_id,
)


def _policy(services: Services) -> UrlPolicy:
    return UrlPolicy(allow_loopback=services.settings.webhooks_allow_loopback)


def checked_url(services: Services, url: str) -> str:
    """The URL as given, if this deployment may call it (its shape and any address literal in it)."""
    try:
        target_of(url, _policy(services))
    except UrlRefusedError as error:
        raise BadRequestError(f"callback URL refused: {error}") from error
    return url


def endpoint_view(endpoint: Endpoint) -> WebhookEndpoint:
    current, *older = endpoint.secrets
    return WebhookEndpoint(
        endpoint_id=endpoint.endpoint_id,
        url=endpoint.url,
        description=endpoint.description,
        event_types=[EventType(t) for t in endpoint.event_types],
        all_batches=endpoint.all_batches,
        enabled=endpoint.enabled,
        disabled_reason=endpoint.disabled_reason,
        disabled_at=endpoint.disabled_at,
        failing_since=endpoint.failing_since,
        last_success_at=endpoint.last_success_at,
        created_at=endpoint.created_at,
        secret_rotated_at=current.created_at,
        previous_secret_expires_at=older[0].expires_at if older else None,
    )


def _new_endpoint(services: Services, owner: str, url: str, **settings: object) -> tuple[Endpoint, str]:
    now = iso(services.clock())
    secret = new_secret()
    endpoint = Endpoint(
        endpoint_id="wh-" + random.token_hex(16),
        owner=owner,
        url=url,
        created_at=now,
        secrets=(Secret(value=secret, created_at=now),),
        **settings,  # type: ignore[arg-type]
    )
    return endpoint, secret


def _create(services: Services, endpoint: Endpoint) -> None:
    """Refusals by the transaction's conditions: the URL's claim (item 1) or the owner's count (item 2)."""
    try:
        services.webhooks.create_endpoint(endpoint, services.settings.max_webhook_endpoints)
    except StaleCancellationError as cancelled:
        if 1 in cancelled.failed:
            found = services.webhooks.endpoint_for_url(endpoint.owner, endpoint.url)
            where = found.endpoint_id if found else "being created"
            raise ConflictError(
                f"an endpoint for this URL exists ({where}): change it with PATCH", ApiErrorCode.ENDPOINT_EXISTS
            ) from cancelled
        limit = services.settings.max_webhook_endpoints
        raise QuotaExceededError(
            f"at most {limit} webhook endpoints per account (callback URLs count): delete one first", 3600
        ) from cancelled


def create_endpoint(services: Services, owner: str, request: EndpointRequest) -> EndpointCreated:
    endpoint, secret = _new_endpoint(
        services,
        owner,
        checked_url(services, request.url),
        description=request.description,
        event_types=tuple(sorted({t.value for t in request.event_types})),
        all_batches=request.all_batches,
    )
    _create(services, endpoint)
    logger.info("webhook endpoint created", endpoint_id=endpoint.endpoint_id)
    return EndpointCreated(endpoint=endpoint_view(endpoint), secret=secret)


def callback_endpoint(services: Services, owner: str, url: str) -> CallbackEndpoint:
    """The endpoint a batch's callback URL names: the caller's endpoint for that URL, or a new one that
    receives only the events of batches naming it (its secret is in this answer, once)."""
    checked_url(services, url)
    found = services.webhooks.endpoint_for_url(owner, url)
    if found is not None:
        return CallbackEndpoint(endpoint_id=found.endpoint_id)
    endpoint, secret = _new_endpoint(services, owner, url, all_batches=False)
    try:
        _create(services, endpoint)
    except ConflictError:  # the same URL, concurrently: that request made it
        again = services.webhooks.endpoint_for_url(owner, url)
        if again is None:
            raise
        return CallbackEndpoint(endpoint_id=again.endpoint_id)
    logger.info("callback endpoint created", endpoint_id=endpoint.endpoint_id)
    return CallbackEndpoint(endpoint_id=endpoint.endpoint_id, secret=secret)


def owned_endpoint(services: Services, owner: str, endpoint_id: str) -> Endpoint:
    endpoint = services.webhooks.get_endpoint(owner, endpoint_id)
    if endpoint is None:
        raise NotFoundError(f"no webhook endpoint {endpoint_id!r}")
    return endpoint


def list_endpoints(services: Services, owner: str) -> EndpointList:
    endpoints = sorted(services.webhooks.list_endpoints(owner), key=lambda e: e.created_at)
    return EndpointList(endpoints=[endpoint_view(e) for e in endpoints])


def _save(services: Services, endpoint: Endpoint) -> WebhookEndpoint:
    try:
        services.webhooks.save_endpoint(endpoint)
    except StaleRecordError as error:  # deleted meanwhile
        raise NotFoundError(f"no webhook endpoint {endpoint.endpoint_id!r}") from error
    return endpoint_view(endpoint)


def update_endpoint(services: Services, owner: str, endpoint_id: str, update: EndpointUpdate) -> WebhookEndpoint:
    endpoint = owned_endpoint(services, owner, endpoint_id)
    changes: dict[str, object] = {}
    fields = update.model_fields_set
    if "description" in fields:
        changes["description"] = update.description
    if "event_types" in fields and update.event_types is not None:
        changes["event_types"] = tuple(sorted({t.value for t in update.event_types}))
    if update.all_batches is not None:
        changes["all_batches"] = update.all_batches
    if update.enabled is True and not endpoint.enabled:
        # Re-enabled: it starts afresh (what it missed can be redelivered from its deliveries).
        changes.update(enabled=True, disabled_reason=None, disabled_at=None, failing_since=None)
    elif update.enabled is False and endpoint.enabled:
        changes.update(enabled=False, disabled_reason="disabled by its owner", disabled_at=iso(services.clock()))
    return _save(services, replace(endpoint, **changes))  # type: ignore[arg-type]


def delete_endpoint(services: Services, owner: str, endpoint_id: str) -> WebhookEndpoint:
    endpoint = owned_endpoint(services, owner, endpoint_id)
    try:
        services.webhooks.delete_endpoint(endpoint)
    except StaleRecordError as error:
        raise NotFoundError(f"no webhook endpoint {endpoint_id!r}") from error
    logger.info("webhook endpoint deleted", endpoint_id=endpoint_id)
    return endpoint_view(endpoint)


def rotate_secret(services: Services, owner: str, endpoint_id: str) -> SecretRotated:
    """A new secret signs from now on; the current one keeps signing beside it for the overlap, so a
    receiver can switch without missing a delivery. Secrets older than that are dropped."""
    endpoint = owned_endpoint(services, owner, endpoint_id)
    now = services.clock()
    until = iso(now + timedelta(hours=services.settings.webhook_secret_overlap_hours))
    secret = new_secret()
    current = endpoint.secrets[0]
    rotated = replace(endpoint, secrets=(Secret(secret, iso(now)), replace(current, expires_at=until)))
    _save(services, rotated)
    logger.info("webhook secret rotated", endpoint_id=endpoint_id)
    return SecretRotated(secret=secret, previous_secret_expires_at=until)


def delivery_view(delivery: Delivery) -> WebhookDelivery:
    last = delivery.last_attempt
    due = delivery.next_attempt_at if delivery.status is DeliveryStatus.PENDING else None
    return WebhookDelivery(
        delivery_id=delivery.delivery_id,
        event_id=delivery.event_id,
        event_type=delivery.event_type,
        status=delivery.status,
        created_at=delivery.created_at,
        attempt_count=delivery.attempt_count,
        next_attempt_at=_iso_seconds(due) if due is not None else None,
        last_status_code=last.status_code if last else None,
        attempts=[
            DeliveryAttempt(
                at=a.at, status_code=a.status_code, duration_ms=a.duration_ms, error=a.error, response=a.response
            )
            for a in delivery.attempts
        ],
        redeliveries=delivery.redeliveries,
    )


def _iso_seconds(epoch: int) -> str:
    return iso(datetime.fromtimestamp(epoch, UTC))


def list_deliveries(
    services: Services, owner: str, endpoint_id: str, limit: int, next_token: str | None
) -> DeliveryPage:
    endpoint = owned_endpoint(services, owner, endpoint_id)
    start = pages.deliveries_start_key(next_token, endpoint.endpoint_id)
    found, last = services.webhooks.list_deliveries(endpoint.endpoint_id, limit, start)
    return DeliveryPage(
        deliveries=[delivery_view(d) for d in found],
        next_token=pages.deliveries_token(last, endpoint.endpoint_id),
    )


def _queue(services: Services, delivery: Delivery) -> None:
    services.webhook_queue.send([DeliveryMessage(delivery.owner, delivery.endpoint_id, delivery.delivery_id)])


def redeliver(services: Services, owner: str, endpoint_id: str, delivery_id_: str) -> WebhookDelivery:
    """The same event again (same `webhook-id`: receivers dedupe it), with a fresh round of attempts. A
    delivery still in progress is left as it is."""
    owned_endpoint(services, owner, endpoint_id)
    delivery = services.webhooks.get_delivery(endpoint_id, delivery_id_)
    if delivery is None:
        raise NotFoundError(f"no delivery {delivery_id_!r} of this endpoint")
    if delivery.status is DeliveryStatus.PENDING:
        return delivery_view(delivery)
    restarted = delivery.changed(
        status=DeliveryStatus.PENDING,
        round_start=delivery.attempt_count,
        next_attempt_at=None,
        claimed_until=None,
        redeliveries=delivery.redeliveries + 1,
    )
    try:
        services.webhooks.replace_delivery(delivery, restarted)
    except StaleRecordError:  # redelivered concurrently: that one stands
        current = services.webhooks.get_delivery(endpoint_id, delivery_id_)
        return delivery_view(current or delivery)
    _queue(services, restarted)
    logger.info("webhook redelivered", delivery_id=delivery_id_)
    return delivery_view(restarted)


def send_test(services: Services, owner: str, endpoint_id: str) -> WebhookDelivery:
    endpoint = owned_endpoint(services, owner, endpoint_id)
    now = services.clock()
    event = webhook_test(random.token_hex(16), endpoint.endpoint_id, iso(now))
    delivery = Delivery(
        delivery_id=delivery_id(event.id, endpoint.endpoint_id, now),
        endpoint_id=endpoint.endpoint_id,
        owner=owner,
        event_id=event.id,
        event_type=event.type.value,
        payload=event.body().decode(),
        created_at=event.timestamp,
        expires_at=int((now + timedelta(days=services.settings.delivery_retention_days)).timestamp()),
    )
    services.webhooks.create_delivery(delivery)
    _queue(services, delivery)
    return delivery_view(delivery)
