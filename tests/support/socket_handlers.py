"""A WebSocket route function for tests of the local WebSocket API itself: accepts every connection and
answers each message with its connection id (through the management API, as a real function replies)."""

from __future__ import annotations

import json
import os
import urllib.request
from typing import Any


def echo_connection_id(event: dict[str, Any], context: Any) -> dict[str, Any]:
    context_ = event["requestContext"]
    if context_["routeKey"] not in ("$connect", "$disconnect"):
        url = f"{os.environ['IMGREC_SOCKET_MANAGEMENT_URL']}/@connections/{context_['connectionId']}"
        body = json.dumps({"connectionId": context_["connectionId"], "route": context_["routeKey"]}).encode()
        urllib.request.urlopen(urllib.request.Request(url, data=body, method="POST"), timeout=5).close()
    return {"statusCode": 200}
