"""Entry point of the WebSocket API's routes (api/logic/live.py says what each does)."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from typing import Any

import boto3
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.config import Config

from api.logic.live import Live, handle
from imagejobs.live_connections import SocketConnections
from imagejobs.notify_store import NotifyStore
from imagejobs.observability import logger
from imagejobs.settings import SocketSettings, load_settings

_CONFIG = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=2, read_timeout=5)


@cache
def live() -> Live:
    settings = load_settings(SocketSettings)
    session = boto3.session.Session()
    return Live(
        store=NotifyStore(session.client("dynamodb", config=_CONFIG), settings.table_name),
        replies=SocketConnections(
            lambda endpoint: session.client("apigatewaymanagementapi", endpoint_url=endpoint, config=_CONFIG)
        ),
        management_url=settings.socket_management_url,
        clock=lambda: datetime.now(UTC),
    )


def reset_clients() -> None:
    live.cache_clear()


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return handle(live(), event)
