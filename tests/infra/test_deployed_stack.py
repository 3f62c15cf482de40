"""Opt-in end-to-end checks of a deployed stack (`make cloud-test STACK_NAME=…`, CI after staging deploys).

Marked `cloud`: never part of `make test`. IMGREC_E2E_STACK_NAME names the stack; AWS credentials and region
come from the environment. The test user is made (or refreshed) by infra/stack_ops.py.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest
import requests

pytestmark = pytest.mark.cloud
TIMEOUT = 30


@pytest.fixture(scope="module")
def outputs() -> dict[str, str]:
    import boto3

    from tests.infra.test_stack_ops import stack_ops

    stack = os.environ.get("IMGREC_E2E_STACK_NAME")
    if not stack:
        pytest.fail("set IMGREC_E2E_STACK_NAME to the deployed stack to test", pytrace=False)
    return stack_ops.stack_outputs(boto3.client("cloudformation"), stack)  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def token(outputs: dict[str, str]) -> str:
    import boto3

    from tests.infra.test_stack_ops import stack_ops

    return stack_ops.e2e_token(boto3.client("cognito-idp"), outputs)  # type: ignore[no-any-return]


def test_the_web_app_is_served_over_https_with_its_security_headers(outputs: dict[str, str]) -> None:
    answer = requests.get(outputs["WebAppUrl"], timeout=TIMEOUT)

    assert answer.status_code == 200
    assert '<script type="module" src="js/main.js">' in answer.text
    csp = answer.headers["Content-Security-Policy"]
    assert outputs["ApiUrl"].rsplit("/v1", 1)[0] in csp
    assert "max-age=" in answer.headers["Strict-Transport-Security"]
    assert answer.headers["X-Frame-Options"] == "DENY"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    plain = requests.get(outputs["WebAppUrl"].replace("https://", "http://"), timeout=TIMEOUT, allow_redirects=False)
    assert plain.status_code in {301, 302, 307, 308} and plain.headers["Location"].startswith("https://")


def test_the_web_app_config_is_the_stacks_and_the_bucket_is_not_public(outputs: dict[str, str]) -> None:
    config = requests.get(outputs["WebAppUrl"] + "config.json", timeout=TIMEOUT).json()
    assert config == json.loads(outputs["WebAppConfig"])
    direct = requests.get(f"https://{outputs['WebBucketName']}.s3.amazonaws.com/index.html", timeout=TIMEOUT)
    assert direct.status_code == 403


def test_the_api_answers_health_and_refuses_anonymous_callers_in_its_envelope(outputs: dict[str, str]) -> None:
    assert requests.get(outputs["ApiUrl"] + "/health", timeout=TIMEOUT).json() == {"status": "ok"}
    refused = requests.get(outputs["ApiUrl"] + "/batches", timeout=TIMEOUT, headers={"Origin": "https://x.test"})
    assert refused.status_code == 401
    assert set(refused.json()["error"]) == {"code", "message"}


def test_a_signed_in_user_gets_an_image_analysed(outputs: dict[str, str], token: str) -> None:
    from imgrec.client import AnalysisRequest, ImageSpec, ImgrecClient
    from tests.support.images import photo_like

    image = Path(os.environ.get("TMPDIR", "/tmp")) / "imgrec-e2e.jpg"
    image.write_bytes(photo_like(seed=1))
    client = ImgrecClient(outputs["ApiUrl"], token)
    batch = client.create_batch([ImageSpec("e2e.jpg", "image/jpeg", image.stat().st_size)], AnalysisRequest())
    [slot] = batch.jobs
    client.upload(slot.upload, str(image), "image/jpeg")
    client.submit(batch.batch_id)

    deadline = time.monotonic() + 300
    job: dict[str, Any] = {}
    while time.monotonic() < deadline:
        polled = client.get_job(slot.job_id)
        job = polled.data
        if job["status"] in {"SUCCEEDED", "PARTIAL", "FAILED"}:
            break
        time.sleep(polled.retry_after or 2)
    assert job.get("status") == "SUCCEEDED", job
