"""Webhook endpoints and their deliveries (docs/notifications.md)."""

from __future__ import annotations

from typing import Annotated

from pydantic import ConfigDict, Field, StringConstraints

from api.models.base import OMITTED_WHEN_NONE, ApiModel
from imagejobs.callback_urls import MAX_URL_LENGTH, URL_PATTERN
from imagejobs.events import EventType
from imagejobs.webhooks import DeliveryStatus

CallbackUrl = Annotated[
    str,
    StringConstraints(strict=True, min_length=10, max_length=MAX_URL_LENGTH, pattern=URL_PATTERN),
    Field(
        description=(
            "Where events are POSTed: https:// on a public address (a local stack also calls http:// and "
            "loopback addresses). Private, link-local and reserved addresses are refused when resolved."
        )
    ),
]
Description = Annotated[str, StringConstraints(strict=True, min_length=1, max_length=200, pattern=r"^\S(.*\S)?$")]
EventTypes = Annotated[
    list[EventType],
    Field(max_length=3, description="The event types it receives; empty or left out: every type."),
]


class EndpointRequest(ApiModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"url": "https://hooks.example.com/imgrec", "description": "Ingest"}]}
    )

    url: CallbackUrl
    description: Description | None = None
    event_types: EventTypes = []
    all_batches: Annotated[
        bool,
        Field(strict=True, description="True: events of every batch; false: only of batches naming it as callbackUrl."),
    ] = True


class EndpointUpdate(ApiModel):
    """A field left out stays as it is. `enabled: true` re-enables an endpoint that was disabled."""

    description: Description | None = None
    event_types: EventTypes | None = None
    all_batches: Annotated[bool | None, Field(strict=True)] = None
    enabled: Annotated[bool | None, Field(strict=True)] = None


class WebhookEndpoint(ApiModel):
    endpoint_id: str
    url: str
    description: str | None = None
    event_types: list[EventType]
    all_batches: bool
    enabled: bool
    disabled_reason: Annotated[str | None, Field(description="Why it was disabled (when it is).")] = None
    disabled_at: str | None = None
    failing_since: Annotated[
        str | None, Field(description="When deliveries started failing (none has succeeded since).")
    ] = None
    last_success_at: str | None = None
    created_at: str
    secret_rotated_at: Annotated[str | None, Field(description="When the current secret was made.")] = None
    previous_secret_expires_at: Annotated[
        str | None, Field(description="Until when the rotated-out secret still signs (beside the current one).")
    ] = None


class EndpointCreated(ApiModel):
    endpoint: WebhookEndpoint
    secret: Annotated[
        str, Field(description="`whsec_…`: verifies signatures. Shown once: keep it (rotate to get a new one).")
    ]


class EndpointList(ApiModel):
    endpoints: list[WebhookEndpoint]


class SecretRotated(ApiModel):
    secret: Annotated[str, Field(description="The new secret (shown once).")]
    previous_secret_expires_at: Annotated[
        str, Field(description="Until then deliveries carry signatures with both secrets.")
    ]


class DeliveryAttempt(ApiModel):
    at: str
    status_code: Annotated[int | None, Field(description="The receiver's HTTP status; null when none came.")]
    duration_ms: int
    error: str | None = OMITTED_WHEN_NONE
    response: Annotated[str | None, Field(description="The start of the receiver's answer.")] = OMITTED_WHEN_NONE


class WebhookDelivery(ApiModel):
    delivery_id: str
    event_id: Annotated[str, Field(description="The `webhook-id` header: the same on every attempt.")]
    event_type: str
    status: DeliveryStatus
    created_at: str
    attempt_count: int
    next_attempt_at: Annotated[str | None, Field(description="When the next attempt is due (while PENDING).")] = None
    last_status_code: int | None = None
    attempts: Annotated[list[DeliveryAttempt], Field(description="The latest attempts, oldest first.")]
    redeliveries: int


class DeliveryPage(ApiModel):
    deliveries: list[WebhookDelivery]
    next_token: Annotated[str | None, Field(description="Pass as `nextToken` for the next page; null at the end.")]


class CallbackEndpoint(ApiModel):
    """The endpoint a `callbackUrl` names: made by this request (with its secret, shown once) or found."""

    endpoint_id: str
    secret: Annotated[str | None, Field(description="Present only when this request made the endpoint.")] = (
        OMITTED_WHEN_NONE
    )
