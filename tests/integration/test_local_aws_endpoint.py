"""The local AWS endpoint's HTTP server (waitress) answers what botocore sends, on kept-alive connections."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def emulator_url() -> Iterator[str]:
    """The emulator as `make up` runs it: a process of its own (its moto patches stay out of this one)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "local_stack.aws", "--host", "127.0.0.1", "--port", "0"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        for line in process.stdout:
            if found := re.search(r"listening on (http://[0-9.:]+)", line):
                yield found.group(1)
                break
        else:
            pytest.fail("the emulator stopped before it listened")
    finally:
        process.terminate()
        process.wait(timeout=15)


def test_an_empty_put_with_expect_continue_is_answered_and_the_connection_goes_on(emulator_url: str) -> None:
    """botocore sends `Expect: 100-continue` on every PutObject, an empty one too; waitress alone left a
    request without a body waiting for its body for ever."""
    s3 = boto3.client(
        "s3",
        endpoint_url=emulator_url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=boto3.session.Config(read_timeout=10, retries={"max_attempts": 1}),
    )
    s3.create_bucket(Bucket="expect-continue")

    s3.put_object(Bucket="expect-continue", Key="empty", Body=b"")
    s3.put_object(Bucket="expect-continue", Key="one", Body=b"1")

    assert s3.get_object(Bucket="expect-continue", Key="empty")["Body"].read() == b""
    assert s3.get_object(Bucket="expect-continue", Key="one")["Body"].read() == b"1"
