from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from api.adapters.clients import get_services
from api.logic import webhooks
from api.logic.services import Services
from api.models.webhooks import (
    DeliveryPage,
    EndpointCreated,
    EndpointList,
    EndpointRequest,
    EndpointUpdate,
    SecretRotated,
    WebhookDelivery,
    WebhookEndpoint,
)
from api.routes.answers import AUTHENTICATED, WITH_BODY, answers
from api.routes.identity import caller
from api.routes.responses import model_response
from imagejobs.webhooks import DELIVERY_ID_PATTERN, ENDPOINT_ID_PATTERN

router = APIGatewayRouter()
ServicesDep = Annotated[Services, Depends(get_services)]
EndpointId = Annotated[
    str, Path(alias="endpointId", pattern=ENDPOINT_ID_PATTERN, description="A webhook endpoint id (`wh-…`).")
]
DeliveryId = Annotated[
    str, Path(alias="deliveryId", pattern=DELIVERY_ID_PATTERN, description="A delivery id (`dlv-…`).")
]
FOUND = (*AUTHENTICATED, 404)


@router.post(
    "/webhooks",
    summary="Register a webhook endpoint: every event of the caller's batches is POSTed to it, signed",
    responses=answers(
        201,
        EndpointCreated,
        "The endpoint and its signing secret (shown once).",
        errors=(*AUTHENTICATED, *WITH_BODY, 409),
    ),
    tags=["webhooks"],
)
def create_endpoint(body: Annotated[EndpointRequest, Body()], services: ServicesDep) -> Response[str]:
    return model_response(201, webhooks.create_endpoint(services, caller(router.current_event), body))


@router.get(
    "/webhooks",
    summary="The caller's webhook endpoints (those made by batches' callback URLs too)",
    responses=answers(200, EndpointList, "Every endpoint, oldest first."),
    tags=["webhooks"],
)
def list_endpoints(services: ServicesDep) -> Response[str]:
    return model_response(200, webhooks.list_endpoints(services, caller(router.current_event)))


@router.get(
    "/webhooks/<endpointId>",
    summary="A webhook endpoint: its state, and why it was disabled if it was",
    responses=answers(200, WebhookEndpoint, "The endpoint (never its secret).", errors=FOUND),
    tags=["webhooks"],
)
def get_endpoint(endpoint_id: EndpointId, services: ServicesDep) -> Response[str]:
    endpoint = webhooks.owned_endpoint(services, caller(router.current_event), endpoint_id)
    return model_response(200, webhooks.endpoint_view(endpoint))


@router.patch(
    "/webhooks/<endpointId>",
    summary="Change a webhook endpoint, or enable it again after it was disabled",
    responses=answers(200, WebhookEndpoint, "The endpoint as it is now.", errors=(*FOUND, *WITH_BODY)),
    tags=["webhooks"],
)
def update_endpoint(
    endpoint_id: EndpointId, body: Annotated[EndpointUpdate, Body()], services: ServicesDep
) -> Response[str]:
    changed = webhooks.update_endpoint(services, caller(router.current_event), endpoint_id, body)
    return model_response(200, changed)


@router.delete(
    "/webhooks/<endpointId>",
    summary="Delete a webhook endpoint (its pending deliveries are dropped)",
    responses=answers(200, WebhookEndpoint, "Deleted: the endpoint as it was.", errors=FOUND),
    tags=["webhooks"],
)
def delete_endpoint(endpoint_id: EndpointId, services: ServicesDep) -> Response[str]:
    return model_response(200, webhooks.delete_endpoint(services, caller(router.current_event), endpoint_id))


@router.post(
    "/webhooks/<endpointId>/rotate-secret",
    summary="A new signing secret; the old one keeps signing beside it for an overlap (24 h by default)",
    responses=answers(200, SecretRotated, "The new secret (shown once).", errors=FOUND),
    tags=["webhooks"],
)
def rotate_secret(endpoint_id: EndpointId, services: ServicesDep) -> Response[str]:
    return model_response(200, webhooks.rotate_secret(services, caller(router.current_event), endpoint_id))


@router.get(
    "/webhooks/<endpointId>/deliveries",
    summary="An endpoint's recent deliveries, newest first, with their attempts and status codes",
    responses=answers(200, DeliveryPage, "A page of deliveries.", errors=FOUND),
    tags=["webhooks"],
)
def list_deliveries(
    endpoint_id: EndpointId,
    services: ServicesDep,
    limit: Annotated[int, Query(ge=1, le=100, description="Page size.")] = 20,
    next_token: Annotated[
        str | None, Query(alias="nextToken", max_length=1024, description="From the previous page's `nextToken`.")
    ] = None,
) -> Response[str]:
    page = webhooks.list_deliveries(services, caller(router.current_event), endpoint_id, limit, next_token)
    return model_response(200, page)


@router.post(
    "/webhooks/<endpointId>/deliveries/<deliveryId>/redeliver",
    summary="Deliver an event again (same webhook-id), with a fresh round of attempts",
    responses=answers(202, WebhookDelivery, "The delivery, queued (unchanged if still in progress).", errors=FOUND),
    tags=["webhooks"],
)
def redeliver(endpoint_id: EndpointId, delivery_id: DeliveryId, services: ServicesDep) -> Response[str]:
    delivery = webhooks.redeliver(services, caller(router.current_event), endpoint_id, delivery_id)
    return model_response(202, delivery)


@router.post(
    "/webhooks/<endpointId>/test",
    summary="Send a `webhook.test` event to the endpoint",
    responses=answers(202, WebhookDelivery, "The test delivery, queued.", errors=FOUND),
    tags=["webhooks"],
)
def send_test(endpoint_id: EndpointId, services: ServicesDep) -> Response[str]:
    return model_response(202, webhooks.send_test(services, caller(router.current_event), endpoint_id))
