"""The API in-process, with in-memory fakes behind its ports: requests are API Gateway proxy events handed
to the resolver, so routing, validation, the error model and the logic are tested without a socket."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from aws_lambda_powertools.event_handler import APIGatewayRestResolver

from api.adapters.clients import get_services
from api.app import create_app
from api.logic.services import Services
from imagejobs.settings import ApiSettings
from local_stack.gateway import build_event
from tests.support.api_fakes import FakeDeletionQueue, FakeLibrary, FakeObjectStorage, FakeQueue, FakeRepository
from tests.support.notify_fakes import FakeDeliveryQueue, FakeNotifyStore

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


@dataclass
class Clock:
    now: datetime = NOW

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: str

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def code(self) -> str:
        return str(self.json()["error"]["code"])


@dataclass
class Api:
    app: APIGatewayRestResolver
    services: Services
    repository: FakeRepository
    objects: FakeObjectStorage
    queue: FakeQueue
    clock: Clock
    library: FakeLibrary
    deletions: FakeDeletionQueue
    webhooks: FakeNotifyStore
    webhook_queue: FakeDeliveryQueue
    stage_prefix: str = "/v1"
    calls: list[dict[str, Any]] = field(default_factory=list)

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        raw: bytes | None = None,
        headers: dict[str, str] | None = None,
        caller: str | None = "alice",
    ) -> Answer:
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else b"")
        sent = {"content-type": "application/json", **{k.lower(): v for k, v in (headers or {}).items()}}
        event = build_event(method, f"/api{path}", sent, data, caller)
        event["requestContext"]["path"] = self.stage_prefix + event["path"]
        answer = self.app.resolve(event, None)
        out = {k: v for k, v in (answer.get("headers") or {}).items()}
        for name, values in (answer.get("multiValueHeaders") or {}).items():
            out[name] = ", ".join(values)
        return Answer(int(answer["statusCode"]), out, answer.get("body") or "")

    def create(self, count: int = 1, **options: Any) -> dict[str, Any]:
        images = [{"filename": f"{i}.jpg", "contentType": "image/jpeg", "size": 100} for i in range(count)]
        answer = self.request("POST", "/batches", {"images": images, **({"options": options} if options else {})})
        assert answer.status == 201, answer.body
        created: dict[str, Any] = answer.json()
        return created


def settings(**overrides: Any) -> ApiSettings:
    values: dict[str, Any] = {
        "table_name": "jobs",
        "bucket_name": "images",
        "queue_url": "https://sqs.local/q",
        "deletions_queue_url": "https://sqs.local/deletions",
        "webhook_queue_url": "https://sqs.local/webhooks",
    }
    return ApiSettings.model_validate({**values, **overrides})


@pytest.fixture
def make_api() -> Iterator[Any]:
    made: list[APIGatewayRestResolver] = []

    def make(cors_origin: str = "", **overrides: Any) -> Api:
        repository, objects, queue, clock = FakeRepository(), FakeObjectStorage(), FakeQueue(), Clock()
        library, deletions = FakeLibrary(repository), FakeDeletionQueue()
        webhooks, webhook_queue = FakeNotifyStore(), FakeDeliveryQueue()
        services = Services(
            settings=settings(cors_origin=cors_origin, **overrides),
            store=repository,
            objects=objects,
            queue=queue,
            library=library,
            deletions=deletions,
            webhooks=webhooks,
            webhook_queue=webhook_queue,
            clock=clock,
        )
        app = create_app(cors_origin)
        app.dependency_overrides[get_services] = lambda: services
        made.append(app)
        return Api(app, services, repository, objects, queue, clock, library, deletions, webhooks, webhook_queue)

    yield make


@pytest.fixture
def api(make_api: Any) -> Api:
    made: Api = make_api()
    return made
