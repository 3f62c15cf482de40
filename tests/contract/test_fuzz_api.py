"""The API fuzzed from its own OpenAPI document (schemathesis), against the embedded stack: no server
errors, only documented status codes, headers and content types, every body matching its schema,
schema-invalid requests refused and schema-valid ones accepted, 405 for undeclared methods.

`ignored_auth` is left out: locally any non-empty bearer token is a valid identity (design/API.md), so
there is no invalid token to test with; deployed, API Gateway's Cognito authorizer rejects bad JWTs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent
ROOT = HERE.parent.parent
SEED = os.environ.get("IMGREC_FUZZ_SEED", "2")
EXAMPLES = os.environ.get("IMGREC_FUZZ_EXAMPLES", "20")


@pytest.mark.slow
def test_the_api_holds_to_its_openapi_document(stack: object, tmp_path: Path) -> None:
    api_url = stack.api_url  # type: ignore[attr-defined]
    command = [
        str(Path(sys.executable).with_name("st")),
        "--config-file",
        str(HERE / "schemathesis.toml"),
        "run",
        f"{api_url}/openapi.json",
        "--url",
        api_url,
        "--header",
        "Authorization: Bearer fuzzer",
        "--checks",
        "all",
        "--exclude-checks",
        "ignored_auth",
        "--max-examples",
        EXAMPLES,
        "--seed",
        SEED,
        "--generation-database",
        "none",
        "--workers",
        "2",
        "--no-color",
        "--report-dir",
        str(Path(os.environ.get("TMPDIR", "/tmp")) / "imgrec-schemathesis"),
    ]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "tests.contract.fuzz_hooks"}
    run = subprocess.run(
        command, check=False, capture_output=True, text=True, timeout=600, env=env, cwd=HERE.parent.parent
    )

    assert run.returncode == 0, run.stdout[-20000:] + run.stderr[-5000:]
    assert " passed" in run.stdout and " failed" not in run.stdout, run.stdout[-20000:]
    print(run.stdout[-3000:])  # the summary, warnings included, for whoever reads the log
