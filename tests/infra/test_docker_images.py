"""Build the images and run compose for real, where a Docker engine exists (CI machines here have none:
these tests skip and say so). Everything else about the images is checked offline in the other modules."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from tests.infra.conftest import REPO
from tests.infra.test_runtime_dependencies import NEVER_IN_THE_LAMBDA_IMAGE

pytestmark = pytest.mark.docker

LAMBDA_TAG = "imgrec-lambda:test"


@pytest.fixture(scope="module")
def engine() -> Any:
    import docker
    from docker.errors import DockerException

    try:
        client = docker.from_env(timeout=10)
        client.ping()
    except DockerException as error:
        pytest.skip(f"no Docker engine reachable: {error}")
    return client


@pytest.fixture(scope="module")
def lambda_image(engine: Any) -> Iterator[Any]:
    image, _ = engine.images.build(path=str(REPO), dockerfile="Dockerfile", tag=LAMBDA_TAG, rm=True)
    yield image
    engine.images.remove(LAMBDA_TAG, force=True)


def test_lambda_image_defaults_to_the_worker_handler(lambda_image):
    assert lambda_image.attrs["Config"]["Cmd"] == ["worker.handle_jobs.lambda_handler"]


def test_lambda_image_imports_every_handler_and_no_local_or_test_package(engine, lambda_image):
    script = (
        "import importlib.metadata as m, json;"
        "import api.handle_api, api.handle_pre_sign_up, api.handle_pre_traffic, api.handle_deletions,"
        " worker.handle_jobs, worker.handle_dead_letters, worker.handle_index;"
        "print(json.dumps(sorted(d.metadata['Name'].lower() for d in m.distributions())))"
    )
    output = engine.containers.run(
        LAMBDA_TAG, entrypoint=["python3", "-c", script], remove=True, environment={"AWS_REGION": "us-east-1"}
    )
    installed = set(json.loads(output))

    assert not installed & NEVER_IN_THE_LAMBDA_IMAGE


def compose(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["docker", "compose", "--file", str(REPO / "compose.yaml"), *arguments],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        timeout=1800,
    )


@pytest.mark.slow
def test_compose_stack_comes_up_healthy_and_serves_the_api_and_web_app(engine):
    if shutil.which("docker") is None:
        pytest.skip("the docker CLI (with the compose plugin) is not installed")
    up = compose("up", "--build", "--detach", "--wait", "--wait-timeout", "600")
    try:
        assert up.returncode == 0, up.stderr
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen("http://127.0.0.1:8000/api/health", timeout=5) as answer:
                    assert json.loads(answer.read())["status"] == "ok"
                    break
            except OSError:
                assert time.monotonic() < deadline, "the gateway never answered"
                time.sleep(1)
        with urllib.request.urlopen("http://127.0.0.1:8000/", timeout=5) as page:
            assert page.status == 200
    finally:
        compose("down", "--volumes", "--remove-orphans")
