"""Priming: each kind of request a job makes goes once through its client during Lambda's init phase, answered
in-process, so that the first event does not pay what botocore computes on an operation's first use.

botocore builds per-operation state lazily: the operation's input, output and error shapes, and the aliased
event names its handlers are found by. A warm invocation finds them built; the first one after init built
them, ~20 ms of CPU for a job's requests (cProfile of the first invocation against a warm one,
bench/bench_worker_io.py). Here each request runs the client's whole path (validation, serialization,
signing, handlers, parsing) once, but a `before-send` handler answers it: botocore's documented way for a
handler to supply the response. Nothing reaches the network, no permission is used, nothing is written.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from aiobotocore.awsrequest import AioAWSResponse
from botocore import xform_name
from botocore.awsrequest import HTTPHeaders
from botocore.exceptions import ClientError

from imagejobs.detect_requests import detect_request
from imagejobs.model import AnalysisOptions, Feature
from imagejobs.observability import logger

# The kinds of request a job makes that the init phase has no real call for: TransactWriteItems, GetObject,
# PutObject, one Detect* per feature. (GetItem is warmed by the real read it makes: worker/runtime.py.)
PRIMED_REQUESTS = 3 + len(Feature)

# The answer each primed operation gets: status, headers, body. A missing S3 object is the cached-answer
# lookup's usual miss; every JSON-protocol success parses from an empty object.
Reply = tuple[int, dict[str, str], bytes]
_MISSING_OBJECT: Reply = (404, {}, b"<Error><Code>NoSuchKey</Code><Message>primed</Message></Error>")
_STORED_OBJECT: Reply = (200, {"ETag": '"primed"'}, b"")
_JSON_OK: Reply = (200, {"Content-Type": "application/x-amz-json-1.0"}, b"{}")


class _Body:
    """The raw body an AioAWSResponse reads."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    async def read(self) -> bytes:
        return self._data


def _answer_with(status: int, headers: dict[str, str], body: bytes) -> Callable[..., AioAWSResponse]:
    def answer(request: Any, **_: Any) -> AioAWSResponse:
        answer_headers = HTTPHeaders.from_dict({**headers, "Content-Length": str(len(body))})
        return AioAWSResponse(request.url, status, answer_headers, _Body(body))

    return answer


@contextlib.contextmanager
def _answered(client: Any, operation: str, reply: Reply) -> Iterator[None]:
    """While inside, the client's `operation` is answered by `reply` instead of being sent."""
    event = f"before-send.{client.meta.service_model.service_id.hyphenize()}.{operation}"
    handler = _answer_with(*reply)
    client.meta.events.register_first(event, handler, unique_id=f"imgrec-priming-{operation}")
    try:
        yield
    finally:
        client.meta.events.unregister(event, handler, unique_id=f"imgrec-priming-{operation}")


async def prime(clients: Any, table: str, bucket: str) -> int:
    """One answered request per kind in PRIMED_REQUESTS (worker/process_job.py makes them); returns how many went
    through to a parsed answer. A failure only means a colder first event."""
    key = {"pk": {"S": "PRIMING"}, "sk": {"S": "-"}}
    item = {**key, "status": {"S": "QUEUED"}, "version": {"N": "1"}, "results": {"M": {"l": {"L": [{"BOOL": True}]}}}}
    transaction = {
        "TransactItems": [
            {
                "Put": {
                    "TableName": table,
                    "Item": item,
                    "ConditionExpression": "#v = :v",
                    "ExpressionAttributeNames": {"#v": "version"},
                    "ExpressionAttributeValues": {":v": {"N": "0"}},
                }
            },
            {
                "Update": {
                    "TableName": table,
                    "Key": key,
                    "UpdateExpression": "ADD #n :one SET #f = :f",
                    "ExpressionAttributeNames": {"#n": "n", "#f": "finishedAt"},
                    "ExpressionAttributeValues": {":one": {"N": "1"}, ":f": {"S": "-"}},
                }
            },
        ]
    }
    s3, dynamodb, rekognition = clients.s3, clients.dynamodb, clients.rekognition
    image = {"S3Object": {"Bucket": bucket, "Name": "priming/normalized.jpg"}}
    requests: list[tuple[Any, str, Reply, Callable[[], Awaitable[Any]]]] = [
        (dynamodb, "TransactWriteItems", _JSON_OK, lambda: dynamodb.transact_write_items(**transaction)),
        (s3, "GetObject", _MISSING_OBJECT, lambda: s3.get_object(Bucket=bucket, Key="priming/a", Range="bytes=0-9")),
        (s3, "PutObject", _STORED_OBJECT, lambda: s3.put_object(Bucket=bucket, Key="priming/b", Body=b"{}")),
        *((rekognition, feature.operation, _JSON_OK, _detect(rekognition, feature, image)) for feature in Feature),
    ]
    primed = 0
    for client, operation, reply, call in requests:
        with _answered(client, operation, reply):
            try:
                await call()
            except ClientError:  # an answered error (the missing object) parsed as the real one would be
                pass
            except Exception as error:  # only a colder first event
                logger.warning("priming failed", operation=operation, error=type(error).__name__)
                continue
        primed += 1
    return primed


def _detect(client: Any, feature: Feature, image: dict[str, Any]) -> Callable[[], Awaitable[Any]]:
    """The call a job makes for `feature` with the default options (the same parameter shapes)."""
    request = detect_request(feature, image, AnalysisOptions(features=[feature]))
    method = getattr(client, xform_name(feature.operation))
    return lambda: method(**request)
