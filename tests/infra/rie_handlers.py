"""Stand-in worker handlers run under awslambdaric by the real Runtime Interface Emulator (stdlib only:
they run in the emulator's own venv). They answer the way the worker's contract says."""

from __future__ import annotations

from typing import Any


def report_bad_records(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Partial batch response: records whose body is "bad" failed (ReportBatchItemFailures)."""
    return {"batchItemFailures": [{"itemIdentifier": r["messageId"]} for r in event["Records"] if r["body"] == "bad"]}


def crash(event: dict[str, Any], context: Any) -> dict[str, Any]:
    raise RuntimeError("worker crashed")
