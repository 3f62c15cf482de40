"""Where events go, as boto3 adapters: the event topic (SNS), the webhook delivery queue (SQS) and live
connections (API Gateway's management API, `@connections`). SDK failures are translated at this boundary."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from imagejobs.aws_errors import translate
from imagejobs.events import Event
from imagejobs.live_connections import SocketConnections
from imagejobs.webhook_queue import WebhookQueue

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
