"""Where events go, as boto3 adapters: the event topic (SNS), the webhook delivery queue (SQS) and live
connections (API Gateway's management API, `@connections`). SDK failures are translated at this boundary."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from imagejobs.aws_errors import error_code, translate
from imagejobs.events import Event
from imagejobs.webhook_queue import WebhookQueue

ClientFactory = Callable[[str], Any]
__all__ = ["EventTopic", "SocketConnections", "WebhookQueue"]


class EventTopic:
    """The topic operators subscribe to; `owner` and `type` attributes let a subscription filter."""

    def __init__(self, sns: Any, topic_arn: str) -> None:
        self._sns = sns
        self._topic_arn = topic_arn

    def publish(self, event: Event, owner: str) -> None:
        try:
            self._sns.publish(
                TopicArn=self._topic_arn,
                Message=event.body().decode(),
                MessageAttributes={
                    "owner": {"DataType": "String", "StringValue": owner},
                    "type": {"DataType": "String", "StringValue": event.type.value},
                    "eventId": {"DataType": "String", "StringValue": event.id},
                },
            )
        except (ClientError, BotoCoreError) as error:
            raise translate(error, "SNS Publish") from error


class SocketConnections:
    """Posts to connections through the management endpoint each one was made on (one client per endpoint)."""

    def __init__(self, client_for: Callable[[str], Any]) -> None:
        self._client_for = client_for
        self._clients: dict[str, Any] = {}

    def _client(self, endpoint: str) -> Any:
        if endpoint not in self._clients:
            self._clients[endpoint] = self._client_for(endpoint)
        return self._clients[endpoint]

    def post(self, endpoint: str, connection_id: str, data: bytes) -> bool:
        try:
            self._client(endpoint).post_to_connection(ConnectionId=connection_id, Data=data)
        except ClientError as error:
            if error_code(error) == "GoneException":
                return False
            raise translate(error, "API Gateway PostToConnection") from error
        except BotoCoreError as error:
            raise translate(error, "API Gateway PostToConnection") from error
        return True
