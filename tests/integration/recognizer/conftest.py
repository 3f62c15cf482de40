"""Running recognizers (stub and models) and a moto S3 server, all on 127.0.0.1 with ephemeral ports."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.config import Config
from botocore.validate import ParamValidator
from PIL import Image

from local_stack.recognizer import RecognizerConfig, RecognizerServer, start_recognizer

MODEL = botocore.session.get_session().get_service_model("rekognition")
CREDENTIALS = {"region_name": "us-east-1", "aws_access_key_id": "local", "aws_secret_access_key": "local"}


def assert_valid_response(operation: str, response: dict[str, Any]) -> None:
    """botocore's own validator against the operation's output shape: unknown keys and wrong types fail."""
    answer = {key: value for key, value in response.items() if key != "ResponseMetadata"}
    report = ParamValidator().validate(answer, MODEL.operation_model(operation).output_shape)
    assert not report.has_errors(), report.generate_report()


def rekognition_client(url: str, **config: Any) -> Any:
    return boto3.client("rekognition", endpoint_url=url, config=Config(**config), **CREDENTIALS)


def jpeg(image: Image.Image, quality: int = 92) -> bytes:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


@pytest.fixture(scope="session")
def photos() -> dict[str, bytes]:
    """Public-domain photos that ship inside scikit-image, encoded here (never committed)."""
    from skimage import data

    return {name: jpeg(Image.fromarray(getattr(data, name)())) for name in ("chelsea", "coffee", "astronaut")}


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture(scope="session")
def stub_server(s3_endpoint: str) -> Iterator[RecognizerServer]:
    with start_recognizer(RecognizerConfig(backend="stub", s3_endpoint_url=s3_endpoint)) as server:
        yield server


@pytest.fixture(scope="session")
def models_server(s3_endpoint: str) -> Iterator[RecognizerServer]:
    with start_recognizer(RecognizerConfig(backend="models", s3_endpoint_url=s3_endpoint)) as server:
        yield server


@pytest.fixture(params=["stub", "models"])
def any_server(request: pytest.FixtureRequest) -> RecognizerServer:
    return request.getfixturevalue(f"{request.param}_server")  # type: ignore[no-any-return]


@pytest.fixture
def client_for() -> Callable[..., Any]:
    return rekognition_client
