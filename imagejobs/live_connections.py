"""Posting to live connections through API Gateway's management API (`POST /@connections/{id}`), one
client per management endpoint (a connection records the endpoint of the API it was made on)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from imagejobs.aws_errors import error_code, translate


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
