"""Entry point of the webhook sender Lambda: the delivery queue (worker/webhook_sender.py says what it does).

The messages of a batch are delivered concurrently (threads: each mostly waits on a receiver), so one slow
receiver costs its own timeout, not the batch's. A message whose delivery must be tried again is hidden for
the retry's delay (ChangeMessageVisibility) and reported failed, so the queue shows it again then.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from functools import cache
from typing import Any

import boto3
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from imagejobs.aws_errors import translate
from imagejobs.callback_urls import UrlPolicy
from imagejobs.notify_store import NotifyStore
from imagejobs.observability import logger, metrics, tracer
from imagejobs.settings import WebhookSenderSettings, load_settings
from imagejobs.webhooks import DeliveryMessage
from worker.adapters.webhook_http import WebhookPoster
from worker.sqs_records import SqsRecord, records_of
from worker.webhook_sender import Outcome, Schedule, Sender

_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 5}, connect_timeout=2, read_timeout=10, max_pool_connections=16
)
PARALLEL_DELIVERIES = 10


@cache
def _settings() -> WebhookSenderSettings:
    return load_settings(WebhookSenderSettings)


@cache
def _clients() -> dict[str, Any]:
    session = boto3.session.Session()
    return {name: session.client(name, config=_CONFIG) for name in ("dynamodb", "sqs")}


@cache
def sender() -> Sender:
    settings, clients = _settings(), _clients()
    return Sender(
        store=NotifyStore(clients["dynamodb"], settings.table_name),
        poster=WebhookPoster(UrlPolicy(allow_loopback=settings.webhooks_allow_loopback)),
        schedule=Schedule(delays=settings.webhook_retry_delays, lease_seconds=settings.webhook_lease_seconds),
        clock=lambda: datetime.now(UTC),
    )


def reset_clients() -> None:
    for cached in (_settings, _clients, sender):
        cached.cache_clear()


def _deliver(record: SqsRecord) -> Outcome | None:
    """None when the message failed as a whole (it comes back after the queue's visibility timeout)."""
    try:
        message = DeliveryMessage.from_body(record.body)
    except (ValueError, KeyError, TypeError):
        logger.error("malformed delivery message dropped", message_id=record.message_id, body=record.body[:300])
        return Outcome(True, "malformed")
    try:
        return sender().deliver(message)
    except Exception:
        logger.exception("delivery not handled", delivery_id=message.delivery_id)
        return None


def _hide(queue_url: str, receipt_handle: str, seconds: int) -> None:
    try:
        _clients()["sqs"].change_message_visibility(
            QueueUrl=queue_url, ReceiptHandle=receipt_handle, VisibilityTimeout=seconds
        )
    except (ClientError, BotoCoreError) as error:
        raise translate(error, "SQS ChangeMessageVisibility") from error


def handle_deliveries(event: dict[str, Any]) -> dict[str, Any]:
    records = records_of(event)
    sender()  # settings and clients first: a misconfigured version fails as a whole (and its smoke probe)
    with ThreadPoolExecutor(max_workers=PARALLEL_DELIVERIES) as pool:
        outcomes = list(pool.map(_deliver, records))
    failures = []
    for record, outcome in zip(records, outcomes, strict=True):
        if outcome is None:
            failures.append({"itemIdentifier": record.message_id})
        elif not outcome.done:
            _hide(_settings().webhook_queue_url, record.receipt_handle, outcome.delay)
            failures.append({"itemIdentifier": record.message_id})
    metrics.add_metric(name="WebhookMessages", unit="Count", value=len(records))
    return {"batchItemFailures": failures}


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return handle_deliveries(event)
