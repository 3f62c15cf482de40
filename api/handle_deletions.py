"""Entry point of the deletion Lambda: the deletions queue. Each message names a deletion to go on with
(`api/logic/deletions.py`); a run removes a bounded number of jobs, then hands over to a fresh message, so a
deletion of any size proceeds in short, retryable steps. Repeated messages only find less to do."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.utilities.data_classes import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from api.adapters.clients import get_services
from api.errors import NotFoundError
from api.logic import deletions
from api.logic.services import Services
from imagejobs.deletions import DeletionStatus
from imagejobs.observability import logger, metrics, tracer


def handle_record(record: SQSRecord, services: Services) -> None:
    try:
        identifier = str(json.loads(record.body)["deletionId"])
    except (ValueError, KeyError, TypeError):
        logger.error("malformed deletion message dropped", message_id=record.message_id)
        return
    try:
        outcome = deletions.run(services, identifier, deletions.BACKGROUND_JOBS_PER_RUN)
    except NotFoundError:
        logger.warning("message for an unknown deletion dropped", deletion_id=identifier)
        return
    if outcome.record.status is not DeletionStatus.COMPLETED:
        # More to do, or a job being analysed to wait for: a fresh message, later if something was busy.
        services.deletions.send(identifier, deletions.BUSY_RETRY_SECONDS if outcome.waiting else 0)


def handle_deletions(event: dict[str, Any], services: Services) -> dict[str, Any]:
    failures = []
    for raw in event.get("Records", []):
        record = SQSRecord(raw)
        try:
            handle_record(record, services)
        except Exception:
            logger.exception("deletion run failed", message_id=record.message_id)
            failures.append({"itemIdentifier": record.message_id})
    return {"batchItemFailures": failures}


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return handle_deletions(event, get_services())
