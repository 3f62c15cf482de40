from __future__ import annotations

import re
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from api.adapters.clients import get_services
from api.errors import BadRequestError
from api.logic import batches
from api.logic.requests import AddImagesRequest, CreateBatchRequest, SubmitRequest
from api.logic.services import Services
from api.logic.views import BATCH_RETRY_AFTER, batch_view
from api.routes.identity import caller
from api.routes.responses import json_response
from imagejobs.model import JobStatus
from imagejobs.observability import metrics

router = APIGatewayRouter()
IDEMPOTENCY_KEY = re.compile(r"[A-Za-z0-9._:-]{1,128}")
ServicesDep = Annotated[Services, Depends(get_services)]


def idempotency_key() -> str | None:
    """The optional `Idempotency-Key` header: repeating a create with it returns what the first made."""
    value = router.current_event.headers.get("idempotency-key")
    if value is None:
        return None
    if not IDEMPOTENCY_KEY.fullmatch(value):
        raise BadRequestError("Idempotency-Key must be 1 to 128 letters, digits or . _ : -")
    return value


@router.post("/batches")
def create_batch(body: Annotated[CreateBatchRequest, Body()], services: ServicesDep) -> Response[str]:
    owner = caller(router.current_event)
    created = batches.create_batch(services, owner, body.images, body.options, idempotency_key())
    metrics.add_metric(name="ImagesRegistered", unit="Count", value=len(body.images))
    return json_response(201, created)


@router.get("/batches")
def list_batches(
    services: ServicesDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    next_token: Annotated[str | None, Query(alias="nextToken", max_length=4096)] = None,
) -> Response[str]:
    return json_response(200, batches.list_batches(services, caller(router.current_event), limit, next_token))


@router.post("/batches/<batch_id>/images")
def add_images(batch_id: str, body: Annotated[AddImagesRequest, Body()], services: ServicesDep) -> Response[str]:
    added = batches.add_images(services, caller(router.current_event), batch_id, body.images, idempotency_key())
    metrics.add_metric(name="ImagesRegistered", unit="Count", value=len(body.images))
    return json_response(201, added)


@router.post("/batches/<batch_id>/submit")
def submit_batch(batch_id: str, services: ServicesDep) -> Response[str]:
    raw = router.current_event.body
    request = SubmitRequest.model_validate_json(raw) if raw and raw.strip() else SubmitRequest()
    outcome = batches.submit(services, caller(router.current_event), batch_id, request.job_ids)
    metrics.add_metric(name="JobsQueued", unit="Count", value=len(outcome["queued"]))
    return json_response(202, outcome)


@router.post("/batches/<batch_id>/close")
def close_batch(batch_id: str, services: ServicesDep) -> Response[str]:
    return json_response(200, batches.close(services, caller(router.current_event), batch_id))


@router.get("/batches/<batch_id>")
def get_batch(batch_id: str, services: ServicesDep) -> Response[str]:
    batch = batches.get_batch(services, caller(router.current_event), batch_id)
    headers = {} if batch.done else {"Retry-After": str(BATCH_RETRY_AFTER)}
    return json_response(200, batch_view(batch), headers)


@router.get("/batches/<batch_id>/jobs")
def list_jobs(
    batch_id: str,
    services: ServicesDep,
    status: JobStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    next_token: Annotated[str | None, Query(alias="nextToken", max_length=4096)] = None,
) -> Response[str]:
    listing = batches.list_jobs(services, caller(router.current_event), batch_id, status, limit, next_token)
    return json_response(200, listing)
