"""The local WebSocket API behaves as API Gateway's does where clients and functions can tell: no token no
connection, routes by `action`, the @connections management API (post, 410 Gone, 413 over 128 KB, delete),
the 128 KB message limit, and the idle timeout (1 s here instead of 10 minutes)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def socket_api() -> Iterator[tuple[str, str]]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "local_stack.socket_gateway",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--management-port",
            "0",
            "--idle-timeout",
            "1",
            "--handler",
            "tests.support.socket_handlers.echo_connection_id",
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        match = re.search(r"(ws://\S+) management=(http://[^\s\"]+)", line)
        assert match, line
        yield match.group(1), match.group(2)
    finally:
        process.terminate()
        process.wait(timeout=15)


def test_a_connection_needs_a_token(socket_api: tuple[str, str]) -> None:
    with pytest.raises(InvalidStatus) as refused:
        connect(socket_api[0]).close()
    assert refused.value.response.status_code == 401


def test_routes_replies_and_the_management_api(socket_api: tuple[str, str]) -> None:
    url, management = socket_api
    with connect(f"{url}?token=ann") as socket:
        socket.send(json.dumps({"action": "subscribe"}))
        reply = json.loads(socket.recv(timeout=10))
        assert reply["route"] == "subscribe"
        socket.send(json.dumps({"action": "no-such-route"}))
        assert json.loads(socket.recv(timeout=10))["route"] == "$default"
        connection = f"{management}/@connections/{reply['connectionId']}"

        assert requests.post(connection, data=b'{"hello": 1}', timeout=5).status_code == 200
        assert json.loads(socket.recv(timeout=10)) == {"hello": 1}
        too_big = requests.post(connection, data=b"x" * (128 * 1024 + 1), timeout=5)
        assert too_big.status_code == 413 and too_big.headers["x-amzn-ErrorType"] == "PayloadTooLargeException"
        assert requests.get(connection, timeout=5).json()["Identity"]["SourceIp"] == "127.0.0.1"
        assert requests.delete(connection, timeout=5).status_code == 204
        with pytest.raises(ConnectionClosed):
            socket.recv(timeout=10)
    gone = requests.post(connection, data=b"{}", timeout=5)
    assert gone.status_code == 410 and gone.headers["x-amzn-ErrorType"] == "GoneException"


def test_a_message_over_128_kb_closes_the_connection(socket_api: tuple[str, str]) -> None:
    with connect(f"{socket_api[0]}?token=ann", max_size=None) as socket:
        socket.send("x" * (128 * 1024 + 1))
        with pytest.raises(ConnectionClosed) as closed:
            socket.recv(timeout=10)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009


def test_an_idle_connection_is_closed(socket_api: tuple[str, str]) -> None:
    with connect(f"{socket_api[0]}?token=ann") as socket, pytest.raises(ConnectionClosed) as closed:
        socket.recv(timeout=15)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1001
