"""A whole invocation that fails in a worker process reaches `stack.invocation_errors` in the supervisor:
the poller logs it, the supervisor reads the log record."""

from __future__ import annotations

import json

import pytest

from local_stack.embedded import EmbeddedStack, StackOptions
from local_stack.log_lines import parse
from local_stack.poller import InvocationError, report


def test_a_failed_invocation_logged_by_a_poller_is_collected_by_the_stack(capsys: pytest.CaptureFixture[str]) -> None:
    report(InvocationError("imgrec-worker raised RuntimeError: worker crashed"))
    report(ConnectionError("the emulator went away"))
    lines = capsys.readouterr().out.strip().splitlines()
    stack = EmbeddedStack(StackOptions())

    for line in lines:
        record = parse(line)
        assert record is not None
        stack._on_record("worker", record)

    assert [json.loads(line)["message"] for line in lines] == ["invocation failed", "polling failed"]
    assert len(stack.invocation_errors) == 1
    assert isinstance(stack.invocation_errors[0], InvocationError)
    assert "worker crashed" in str(stack.invocation_errors[0])
