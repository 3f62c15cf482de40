"""The signature-verification snippets of docs/notifications.md, run as written against deliveries signed by
the sender's own code: a receiver who copies them accepts our deliveries (either secret during a rotation)
and refuses a changed body, a foreign secret and a stale timestamp."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from imagejobs.signing import new_secret, signed_headers

DOC = Path(__file__).resolve().parents[3] / "docs" / "notifications.md"
BODY = b'{"id":"evt-5b0c0f0e9a8d4c6e8f7a6b5c4d3e2f1a","type":"job.finished","version":1,"data":{"jobId":"j-1"}}'
EVENT_ID = "evt-5b0c0f0e9a8d4c6e8f7a6b5c4d3e2f1a"


def _snippet(language: str, marker: str) -> str:
    blocks = re.findall(rf"```{language}\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)
    [block] = [b for b in blocks if marker in b]
    return block


def _python_verify() -> Callable[..., Any]:
    namespace: dict[str, Any] = {}
    # The documented code, run as written.
    exec(_snippet("python", "def verify("), namespace)
    verify: Callable[..., Any] = namespace["verify"]
    return verify


def _node_verify(tmp_path: Path) -> Callable[..., Any]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed")
    script = tmp_path / "verify.cjs"
    script.write_text(
        _snippet("js", "function verify(")
        + """
const [secret, headers, body] = JSON.parse(require("node:fs").readFileSync(0, "utf8"));
try {
  process.stdout.write(JSON.stringify({ event: verify(secret, headers, Buffer.from(body, "utf8")) }));
} catch (error) {
  process.stdout.write(JSON.stringify({ error: error.message }));
}
""",
        encoding="utf-8",
    )

    def verify(secret: str, headers: dict[str, str], body: bytes) -> Any:
        run = subprocess.run(
            [node, str(script)],
            input=json.dumps([secret, headers, body.decode()]),
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        )
        answer = json.loads(run.stdout)
        if "error" in answer:
            raise ValueError(answer["error"])
        return answer["event"]

    return verify


@pytest.fixture(params=["python", "node"])
def verify(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[..., Any]:
    return _python_verify() if request.param == "python" else _node_verify(tmp_path)


def test_a_delivery_signed_by_the_sender_is_accepted_with_either_secret_of_a_rotation(
    verify: Callable[..., Any],
) -> None:
    old, new = new_secret(), new_secret()
    headers = signed_headers([new, old], EVENT_ID, int(time.time()), BODY)
    assert len(headers["webhook-signature"].split()) == 2
    for secret in (new, old):
        assert verify(secret, headers, BODY) == json.loads(BODY)


def test_a_changed_body_a_foreign_secret_and_a_stale_timestamp_are_refused(verify: Callable[..., Any]) -> None:
    secret = new_secret()
    now = int(time.time())
    headers = signed_headers([secret], EVENT_ID, now, BODY)
    with pytest.raises(ValueError, match="signature"):
        verify(secret, headers, BODY.replace(b"j-1", b"j-2"))
    with pytest.raises(ValueError, match="signature"):
        verify(new_secret(), headers, BODY)
    stale = signed_headers([secret], EVENT_ID, now - 600, BODY)
    with pytest.raises(ValueError, match="timestamp"):
        verify(secret, stale, BODY)
