"""Live progress in the browser: the web app follows a batch through the WebSocket API (the embedded stack's
own endpoint, with API Gateway's semantics) with polling turned off, and recovers when the connection is
dropped mid-batch (reconnects, subscribes again and catches up with one read)."""

from __future__ import annotations

import itertools
import json
import re
from typing import Any

import pytest
import requests

from tests.browser.test_web_app import _payload, sign_in_with_keyboard, wait_settled
from tests.support.images import photo_like

pytestmark = pytest.mark.browser
_callers = itertools.count()


def open_live_app(browser: Any, stack: Any) -> Any:
    """The web app with `progressPolling: false`: only live events can move its progress."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.errors = []  # type: ignore[attr-defined]
    page.on("pageerror", lambda error: page.errors.append(str(error)))  # type: ignore[attr-defined]

    def no_polling(route: Any) -> None:
        response = route.fetch()
        config = {**response.json(), "progressPolling": False}
        route.fulfill(response=response, body=json.dumps(config))

    page.route("**/config.json", no_polling)
    page.goto(stack.web_url)
    return page


def batch_reads(page: Any) -> list[dict[str, Any]]:
    """The answers to GET /batches/{id} (the progress read), as the page received them."""
    answers: list[dict[str, Any]] = []

    def on_response(response: Any) -> None:
        if response.request.method == "GET" and re.search(r"/api/batches/b-[0-9a-f]{32}$", response.url):
            answers.append(response.json())

    page.on("response", on_response)
    return answers


def start_batch(page: Any, count: int, seed: int) -> None:
    files = [_payload(f"live-{i}.jpg", photo_like(seed=seed + i), "image/jpeg") for i in range(count)]
    page.set_input_files("#pick-files", files=files)
    page.click("#start")


def statuses(page: Any) -> list[str]:
    return sorted(page.locator("#gallery .card").evaluate_all("cards => cards.map(c => c.dataset.status)"))


def test_progress_moves_from_websocket_events_with_polling_disabled(browser: Any, stack: Any) -> None:
    page = open_live_app(browser, stack)
    reads = batch_reads(page)
    sign_in_with_keyboard(page, f"live-{next(_callers)}")
    page.wait_for_function("() => window.imgrecApp.live.open")

    start_batch(page, 3, seed=1300)
    wait_settled(page)
    page.wait_for_selector("#gallery .card >> nth=2")

    assert statuses(page) == ["SUCCEEDED"] * 3
    # One read after subscribing (to catch up), which saw the jobs still to do; everything after came as events.
    assert len(reads) == 1 and reads[0]["done"] is False, reads
    assert page.evaluate("() => window.imgrecApp.live.received") == 4  # three job.finished, one batch.completed
    assert page.evaluate("() => window.imgrecApp.polling") in (False, None)
    assert page.errors == []  # type: ignore[attr-defined]
    page.context.close()


def _connections_of(stack: Any, caller: str) -> list[str]:
    from local_stack import names

    items = stack.client("dynamodb").scan(
        TableName=names.TABLE_NAME,
        FilterExpression="begins_with(pk, :conn) AND #owner = :owner",
        ExpressionAttributeNames={"#owner": "owner"},
        ExpressionAttributeValues={":conn": {"S": "CONN#"}, ":owner": {"S": caller}},
    )["Items"]
    return [item["connectionId"]["S"] for item in items]


def test_the_web_app_recovers_when_the_socket_drops_mid_batch(browser: Any, stack: Any) -> None:
    page = open_live_app(browser, stack)
    caller = f"live-{next(_callers)}"
    sign_in_with_keyboard(page, caller)
    page.wait_for_function("() => window.imgrecApp.live.open")
    dropped: list[str] = []

    def drop_then_submit(route: Any) -> None:
        # As the submit goes out, the server closes the page's connection (API Gateway's DeleteConnection):
        # the jobs then finish while the page is disconnected.
        for connection_id in _connections_of(stack, caller):
            answer = requests.delete(f"{stack.socket_management_url}/@connections/{connection_id}", timeout=10)
            assert answer.status_code == 204
            dropped.append(connection_id)
        route.continue_()

    page.route("**/api/batches/*/submit", drop_then_submit)
    start_batch(page, 3, seed=1310)
    wait_settled(page)
    page.wait_for_selector("#gallery .card >> nth=2")

    assert dropped, "the connection was not dropped"
    assert statuses(page) == ["SUCCEEDED"] * 3
    assert page.evaluate("() => window.imgrecApp.live.opens") >= 2  # it reconnected
    assert page.evaluate("() => window.imgrecApp.live.open")
    assert page.errors == []  # type: ignore[attr-defined]
    page.context.close()
