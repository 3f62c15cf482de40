from __future__ import annotations

import re
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from api.adapters.clients import get_services
from api.logic import batches, library
from api.logic.services import Services
from api.logic.views import BATCH_RETRY_AFTER
from api.models.batches import Batch, BatchCreated, BatchPage, CloseOutcome, ImagesAdded, SubmitOutcome
from api.models.jobs import JobPage
from api.models.requests import TAG_PATTERN, AddImagesRequest, CreateBatchRequest, SubmitRequest, UpdateBatchRequest
from api.routes.answers import AUTHENTICATED, WITH_BODY, answers
from api.routes.identity import caller
from api.routes.responses import model_response
from imagejobs.model import JobStatus
from imagejobs.observability import metrics

router = APIGatewayRouter()
ServicesDep = Annotated[Services, Depends(get_services)]
IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        pattern=IDEMPOTENCY_KEY.pattern,
        description="Repeat the request with the same key to get the same batch and jobs (fresh upload forms).",
    ),
]
BatchId = Annotated[str, Path(alias="batchId", description="A batch id from POST /batches.")]
Limit = Annotated[int, Query(ge=1, le=100, description="Page size.")]
NextToken = Annotated[
    str | None, Query(alias="nextToken", max_length=1024, description="From the previous page's `nextToken`.")
]
MUTATION = (*AUTHENTICATED, *WITH_BODY, 404)
EVERY_JOB = SubmitRequest()  # a submit without a body


@router.post(
    "/batches",
    summary="Create a batch with one presigned upload form per image",
    responses=answers(
        201, BatchCreated, "The batch and one upload slot per image.", errors=(*AUTHENTICATED, *WITH_BODY, 409)
    ),
    tags=["batches"],
)
def create_batch(
    body: Annotated[CreateBatchRequest, Body()], services: ServicesDep, idempotency_key: IdempotencyKey = None
) -> Response[str]:
    created = batches.create_batch(
        services,
        caller(router.current_event),
        body.images,
        body.options,
        idempotency_key,
        name=body.name,
        tags=tuple(body.tags),
        callback_url=body.callback_url,
    )
    metrics.add_metric(name="ImagesRegistered", unit="Count", value=len(body.images))
    return model_response(201, created)


@router.get(
    "/batches",
    summary="The caller's batches, newest first; optionally those whose name contains a text, or with a tag",
    responses=answers(200, BatchPage, "A page of batches (full pages also when filtered)."),
    tags=["batches"],
)
def list_batches(
    services: ServicesDep,
    limit: Limit = 20,
    next_token: NextToken = None,
    name: Annotated[
        str | None, Query(min_length=1, max_length=200, description="Part of the name, in any letter case.")
    ] = None,
    tag: Annotated[str | None, Query(pattern=TAG_PATTERN, description="A tag the batch carries.")] = None,
) -> Response[str]:
    page = library.list_batches(services, caller(router.current_event), limit, next_token, name, tag)
    return model_response(200, page)


@router.patch(
    "/batches/<batchId>",
    summary="Rename or re-tag a batch",
    responses=answers(200, Batch, "The batch as it is now.", errors=(*AUTHENTICATED, *WITH_BODY, 404)),
    tags=["batches"],
)
def update_batch(
    batch_id: BatchId, body: Annotated[UpdateBatchRequest, Body()], services: ServicesDep
) -> Response[str]:
    return model_response(200, library.update_batch(services, caller(router.current_event), batch_id, body))


@router.post(
    "/batches/<batchId>/images",
    summary="Add upload slots to a batch",
    responses=answers(201, ImagesAdded, "One upload slot per added image.", errors=(*MUTATION, 409)),
    tags=["batches"],
)
def add_images(
    batch_id: BatchId,
    body: Annotated[AddImagesRequest, Body()],
    services: ServicesDep,
    idempotency_key: IdempotencyKey = None,
) -> Response[str]:
    added = batches.add_images(services, caller(router.current_event), batch_id, body.images, idempotency_key)
    metrics.add_metric(name="ImagesRegistered", unit="Count", value=len(body.images))
    return model_response(201, added)


@router.post(
    "/batches/<batchId>/submit",
    summary="Queue the uploaded jobs of a batch for analysis (idempotent)",
    responses=answers(202, SubmitOutcome, "What happened to each job.", errors=MUTATION),
    tags=["batches"],
)
def submit_batch(
    batch_id: BatchId, services: ServicesDep, body: Annotated[SubmitRequest, Body()] = EVERY_JOB
) -> Response[str]:
    outcome = batches.submit(services, caller(router.current_event), batch_id, body.job_ids)
    metrics.add_metric(name="JobsQueued", unit="Count", value=len(outcome.queued))
    return model_response(202, outcome)


@router.post(
    "/batches/<batchId>/close",
    summary="Give up on uploads that never came: those jobs end FAILED (UPLOAD_MISSING)",
    responses=answers(200, CloseOutcome, "The jobs this call closed.", errors=(*AUTHENTICATED, 404)),
    tags=["batches"],
)
def close_batch(batch_id: BatchId, services: ServicesDep) -> Response[str]:
    return model_response(200, batches.close(services, caller(router.current_event), batch_id))


@router.get(
    "/batches/<batchId>",
    summary="A batch's progress",
    responses=answers(
        200,
        Batch,
        "The batch; `Retry-After` while it is not done.",
        headers=["Retry-After"],
        errors=(*AUTHENTICATED, 404),
    ),
    tags=["batches"],
)
def get_batch(batch_id: BatchId, services: ServicesDep) -> Response[str]:
    batch = batches.get_batch(services, caller(router.current_event), batch_id)
    headers = {} if batch.done else {"Retry-After": str(BATCH_RETRY_AFTER)}
    return model_response(200, batch, headers)


@router.get(
    "/batches/<batchId>/jobs",
    summary="A page of a batch's jobs, in the order they were created; optionally only those in one status",
    responses=answers(
        200, JobPage, "A page of jobs (full pages also when filtered by status).", errors=(*AUTHENTICATED, 404)
    ),
    tags=["batches"],
)
def list_jobs(
    batch_id: BatchId,
    services: ServicesDep,
    status: Annotated[JobStatus | None, Query(description="Only jobs in this status.")] = None,
    limit: Limit = 50,
    next_token: NextToken = None,
) -> Response[str]:
    listing = batches.list_jobs(services, caller(router.current_event), batch_id, status, limit, next_token)
    return model_response(200, listing)
