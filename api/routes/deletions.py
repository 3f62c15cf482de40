from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from api.adapters.clients import get_services
from api.logic import deletions
from api.logic.services import Services
from api.models.deletions import Deletion
from api.routes.answers import AUTHENTICATED, JSON, answers
from api.routes.identity import caller
from api.routes.responses import model_response
from imagejobs.deletions import DeletionScope, DeletionStatus

router = APIGatewayRouter()
ServicesDep = Annotated[Services, Depends(get_services)]
RETRY_AFTER = 2
ACCEPTED: dict[int, dict[str, Any]] = {
    202: {
        "description": "Too large to finish now: it goes on in the background; poll `GET /deletions/{deletionId}`.",
        "content": {JSON: {"model": Deletion}},
        "headers": {"Retry-After": {"description": "Seconds before asking again.", "schema": {"type": "integer"}}},
    }
}
DONE = "Deleted: nothing of it is left (repeating the call answers the same)."


def _answer(deletion: Deletion) -> Response[str]:
    if deletion.status is DeletionStatus.COMPLETED:
        return model_response(200, deletion)
    return model_response(202, deletion, {"Retry-After": str(RETRY_AFTER)})


@router.delete(
    "/jobs/<jobId>",
    summary="Delete a job: its original, normalized image, results, index entries and unshared cached answers",
    responses=answers(200, Deletion, DONE, errors=(*AUTHENTICATED, 404, 409), extra=ACCEPTED),
    tags=["deletion"],
)
def delete_job(
    job_id: Annotated[str, Path(alias="jobId", description="A job id.")], services: ServicesDep
) -> Response[str]:
    return _answer(deletions.start(services, caller(router.current_event), DeletionScope.JOB, job_id))


@router.delete(
    "/batches/<batchId>",
    summary="Delete a batch and everything of its jobs (in the background when it is large)",
    responses=answers(200, Deletion, DONE, errors=(*AUTHENTICATED, 404), extra=ACCEPTED),
    tags=["deletion"],
)
def delete_batch(
    batch_id: Annotated[str, Path(alias="batchId", description="A batch id.")], services: ServicesDep
) -> Response[str]:
    return _answer(deletions.start(services, caller(router.current_event), DeletionScope.BATCH, batch_id))


@router.delete(
    "/account/data",
    summary="Delete everything the caller owns: batches, jobs, images, results, index entries, counters, webhooks",
    responses=answers(
        202,
        Deletion,
        "Deleting in the background; poll `GET /deletions/{deletionId}`.",
        headers=["Retry-After"],
        extra={200: {"description": DONE, "content": {JSON: {"model": Deletion}}}},
    ),
    tags=["deletion"],
)
def delete_account_data(services: ServicesDep) -> Response[str]:
    return _answer(deletions.start(services, caller(router.current_event), DeletionScope.ACCOUNT))


@router.get(
    "/deletions/<deletionId>",
    summary="How far a deletion has got",
    responses=answers(200, Deletion, "The deletion.", errors=(*AUTHENTICATED, 404)),
    tags=["deletion"],
)
def get_deletion(
    deletion_id: Annotated[str, Path(alias="deletionId", description="From a DELETE's answer.")],
    services: ServicesDep,
) -> Response[str]:
    return model_response(200, deletions.get(services, caller(router.current_event), deletion_id))
