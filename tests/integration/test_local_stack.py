"""The local stack itself, as a user meets it: `python -m local_stack` (what `make up` runs) starts, says where
everything is, fails fast on a busy port, stops every process it started, and keeps its terminal readable;
its gateway answers as API Gateway does."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests

from local_stack.gateway import Gateway, start_gateway
from local_stack.rate_limit import RateLimiter
from local_stack.services import SERVICES, Context, LayoutOptions, by_name
from local_stack.supervisor import Supervisor
from tests.support.api import ApiClient
from tests.support.images import photo_like

REPO = Path(__file__).resolve().parents[2]
WORKERS = 2
# Every long-running service, the worker counted once per execution environment (provision exits).
PROCESSES = sum(s.instances(LayoutOptions(worker_processes=WORKERS)) for s in SERVICES if not s.one_shot)
START_TIMEOUT = 120


@contextmanager
def busy_port() -> Iterator[int]:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder.getsockname()[1]


def run_local_stack(*arguments: str, timeout: float = START_TIMEOUT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "local_stack", *arguments],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.mark.parametrize(
    ("flag", "variable"),
    [
        ("--port", "PORT"),
        ("--aws-port", "AWS_PORT"),
        ("--recognizer-port", "RECOGNIZER_PORT"),
        ("--socket-port", "SOCKET_PORT"),
    ],
)
def test_a_busy_port_fails_fast_with_a_sentence_that_names_it_and_how_to_choose_another(
    flag: str, variable: str
) -> None:
    ports = {"--port": "0", "--aws-port": "0", "--recognizer-port": "0", "--socket-port": "0"}
    with busy_port() as port:
        ports[flag] = str(port)
        finished = run_local_stack(*[part for item in ports.items() for part in item], timeout=60)

    assert finished.returncode != 0
    assert f"port {port}" in finished.stderr and "already in use" in finished.stderr
    assert f"make up {variable}=" in finished.stderr and f"IMGREC_{variable}=" in finished.stderr
    assert "imgrec is running" not in finished.stdout


def test_the_aws_emulator_on_a_busy_port_exits_instead_of_waiting_forever() -> None:
    with busy_port() as port:
        finished = subprocess.run(
            [sys.executable, "-m", "local_stack.aws", "--port", str(port)],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    assert finished.returncode != 0 and str(port) in finished.stderr and "in use" in finished.stderr


def test_the_api_answers_503_until_the_supervisor_says_the_stack_is_up(tmp_path: Path) -> None:
    api = by_name("api")
    context = Context(host="127.0.0.1", ports={"api": 0}, urls={}, web_origins=())
    settings = {
        "IMGREC_TABLE_NAME": "imgrec-jobs",
        "IMGREC_BUCKET_NAME": "imgrec-images",
        "IMGREC_QUEUE_URL": "http://127.0.0.1:9/123456789012/imgrec-jobs",
        "IMGREC_DELETIONS_QUEUE_URL": "http://127.0.0.1:9/123456789012/imgrec-deletions",
    }
    supervisor = Supervisor(log_dir=tmp_path, environment={**os.environ, **settings})
    try:
        child = supervisor.start(api, api.arguments(context), {})
        supervisor.wait_until_up([child])

        starting = requests.get(f"{child.url}/api/health", timeout=10)
        assert (starting.status_code, starting.headers["Retry-After"]) == (503, "1")
        assert starting.json()["error"]["code"] == "SERVICE_UNAVAILABLE"
        assert requests.get(f"{child.url}/", timeout=10).status_code == 200  # the web app is served meanwhile

        child.send({"event": "ready", "health": {"recognizer": "stub"}})
        deadline = time.monotonic() + 30
        while (answer := requests.get(f"{child.url}/api/health", timeout=10)).status_code == 503:
            assert time.monotonic() < deadline, "still 503 after the ready message"
            time.sleep(0.05)
        assert answer.status_code == 200 and answer.json()["recognizer"] == "stub"
    finally:
        supervisor.stop()
    assert json.loads((tmp_path / "api.log").read_text().splitlines()[0])["service"] == "imgrec-api"


def test_the_session_stack_is_healthy_once_started(stack: Any) -> None:
    assert requests.get(f"{stack.api_url}/health", timeout=10).status_code == 200


# The gateway over real HTTP, with stand-in handlers (named as such) instead of the API.


def crashing_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    raise RuntimeError("the function fell over")


def fake_api_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": '{"ok": true}'}


@contextmanager
def gateway_serving(gateway: Gateway) -> Iterator[tuple[str, int]]:
    running = start_gateway(gateway)
    try:
        host, port = running.server.server_address[:2]
        yield str(host), int(port)
    finally:
        running.stop()


def test_a_handler_crash_is_answered_502_and_the_connection_stays_usable() -> None:
    with gateway_serving(Gateway(handler=crashing_handler)) as (host, port):
        connection = http.client.HTTPConnection(host, port, timeout=10)
        connection.request("GET", "/api/batches", headers={"Authorization": "Bearer alice"})
        crashed = connection.getresponse()
        body = json.loads(crashed.read())
        connection.request("GET", "/api/batches", headers={"Authorization": "Bearer alice"})
        again = connection.getresponse()
        again.read()

    assert (crashed.status, body) == (502, {"message": "Internal server error"})
    assert again.status == 502  # same kept-alive connection: the crash did not drop it


def test_small_answers_keep_the_connection_alive() -> None:
    with gateway_serving(Gateway(handler=fake_api_handler)) as (host, port):
        connection = http.client.HTTPConnection(host, port, timeout=10)
        sockets = set()
        for _ in range(3):
            connection.request("GET", "/api/batches", headers={"Authorization": "Bearer alice"})
            answer = connection.getresponse()
            answer.read()
            assert answer.status == 200 and not answer.will_close
            sockets.add(id(connection.sock))

    assert len(sockets) == 1


@pytest.mark.parametrize("length", [b"abc", b"-5"])
def test_a_bad_content_length_is_400_in_the_error_envelope(length: bytes) -> None:
    with (
        gateway_serving(Gateway(handler=fake_api_handler)) as (host, port),
        socket.create_connection((host, port)) as raw,
    ):
        raw.sendall(
            b"POST /api/batches HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer a\r\nContent-Length: "
            + length
            + b"\r\n\r\n"
        )
        raw.settimeout(10)
        reply = b""
        while chunk := raw.recv(65536):  # the gateway closes after answering
            reply += chunk

    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400")
    assert json.loads(body)["error"]["code"] == "VALIDATION_ERROR"


def test_a_caller_over_the_rate_limit_gets_429_with_retry_after_over_http() -> None:
    with gateway_serving(Gateway(handler=fake_api_handler, rate_limiter=RateLimiter(limit=2))) as (host, port):
        url = f"http://{host}:{port}/api/batches"
        alice = [requests.get(url, headers={"Authorization": "Bearer alice"}, timeout=10) for _ in range(3)]
        bob = requests.get(url, headers={"Authorization": "Bearer bob"}, timeout=10)

    assert [a.status_code for a in alice] == [200, 200, 429]
    assert alice[2].headers["Retry-After"] == "60"
    assert alice[2].json()["error"]["code"] == "RATE_LIMITED" and bob.status_code == 200


# The whole `make up` in a subprocess.


def children_of(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        found |= {int(p) for p in (task / "children").read_text().split()}
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


@contextmanager
def make_up(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], dict[str, str]]]:
    """`python -m local_stack` on ephemeral ports; yields the process and the addresses it printed."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "local_stack",
            "--port",
            "0",
            "--aws-port",
            "0",
            "--recognizer-port",
            "0",
            "--socket-port",
            "0",
            "--recognizer",
            "stub",
            "--workers",
            str(WORKERS),
            "--log-dir",
            str(tmp_path / "logs"),
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        printed: dict[str, str] = {}
        for line in process.stdout:
            if match := re.match(r"\s+(web app|API|AWS emulator|logs)\s+(\S+)", line):
                printed[match.group(1)] = match.group(2)
            if "Press Ctrl-C" in line:
                break
        assert {"API", "logs"} <= set(printed), process.stderr.read() if process.stderr else ""
        yield process, printed
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_ctrl_c_stops_every_process_and_the_terminal_shows_one_line_per_event(tmp_path: Path) -> None:
    with make_up(tmp_path) as (process, printed):
        children = children_of(process.pid)
        _, jobs = ApiClient(printed["API"], token="carol").analyze([("c.jpg", photo_like(seed=7))])
        process.send_signal(signal.SIGINT)
        out, _ = process.communicate(timeout=60)

    assert process.returncode == 0 and len(children) == PROCESSES
    assert not [pid for pid in children if alive(pid)]
    lines = out.splitlines()
    assert not [line for line in lines if line.lstrip().startswith("{")], "JSON on the terminal"
    assert any("imgrec-api" in line and "batch created" in line for line in lines)
    assert any("imgrec-worker" in line and "job finished" in line and "status=SUCCEEDED" in line for line in lines)
    assert jobs[0]["status"] == "SUCCEEDED"
    logs = Path(printed["logs"])
    for process_name, function in (("api", "imgrec-api"), ("worker", "imgrec-worker")):
        records = [json.loads(line) for line in (logs / f"{process_name}.log").read_text().splitlines()]
        assert records and {record["service"] for record in records} == {function}


def test_killing_make_up_outright_stops_every_process_it_started(tmp_path: Path) -> None:
    with make_up(tmp_path) as (process, _):
        children = children_of(process.pid)
        process.kill()  # SIGKILL: no chance to clean up; each child sees its stdin pipe close
        process.wait()
        deadline = time.monotonic() + 60
        while (left := [pid for pid in children if alive(pid)]) and time.monotonic() < deadline:
            time.sleep(0.1)

    assert len(children) == PROCESSES and left == []
