"""Fixtures of the infrastructure tests: the SAM template as written and as SAM transforms it."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.infra.cfn import Evaluation

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = REPO / "infra" / "template.yaml"


def load_sam_transform() -> ModuleType:
    """infra/ is not a package: load the transform script by path, the same file `make infra-lint` runs."""
    spec = importlib.util.spec_from_file_location("sam_transform", REPO / "infra" / "sam_transform.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def sam_transform() -> ModuleType:
    return load_sam_transform()


@pytest.fixture(scope="session")
def template(sam_transform: ModuleType) -> dict[str, Any]:
    return sam_transform.load_template(TEMPLATE)  # type: ignore[no-any-return]


@pytest.fixture(scope="session")
def resources(template: dict[str, Any]) -> dict[str, Any]:
    """The SAM template's resources as a default deploy has them: conditions and Fn::If applied."""
    return Evaluation(template).resources


@pytest.fixture(scope="session")
def transformed(sam_transform: ModuleType, template: dict[str, Any]) -> dict[str, Any]:
    return sam_transform.transform_template(template)  # type: ignore[no-any-return]


def of_type(resources: dict[str, Any], resource_type: str) -> dict[str, Any]:
    return {name: body for name, body in resources.items() if body["Type"] == resource_type}


def parameter_default(template: dict[str, Any], value: Any) -> Any:
    """The value a property takes on a default deploy: a literal, or the default of the parameter it Refs."""
    if isinstance(value, dict) and set(value) == {"Ref"} and value["Ref"] in template.get("Parameters", {}):
        return template["Parameters"][value["Ref"]]["Default"]
    return value


@pytest.fixture(scope="session")
def aws_emulator() -> Iterator[str]:
    """`python -m local_stack.aws` (the compose/embedded entry point) in its own process on an ephemeral
    loopback port. Its own process, because moto keeps its state per process: resources made here never
    meet those of the embedded stack that other tests run."""
    process = subprocess.Popen(
        [sys.executable, "-m", "local_stack.aws", "--host", "127.0.0.1", "--port", "0"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        match = re.search(r"http://127\.0\.0\.1:\d+", line)
        assert match, f"the AWS emulator did not start: {line!r}"
        yield match.group(0)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def local_client(service: str, endpoint_url: str) -> Any:
    import boto3

    return boto3.client(
        service,
        endpoint_url=endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
