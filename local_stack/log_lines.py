"""Log lines of the local stack: what its own processes write, and what `make up`'s terminal shows.

Every process writes structured JSON lines on stdout (the Lambdas through Powertools, the local parts
through `emit`); the supervisor files them per process and prints one human line per notable event.
"""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import UTC, datetime
from typing import Any

# Messages worth a line on the terminal, with the fields shown (in this order) when present.
NOTABLE: dict[str, tuple[str, ...]] = {
    "batch created": ("batch_id", "images"),
    "images added": ("batch_id", "images"),
    "batch submitted": ("batch_id", "queued", "missing", "rejected"),
    "batch closed": ("batch_id", "closed"),
    "job finished": ("job_id", "status", "batch_id"),
    "job rejected": ("job_id", "code", "reason"),
    "job dead-lettered": ("job_id", "batch_id"),
}
ERROR_LEVELS = frozenset({"ERROR", "CRITICAL"})
# Fields that are context, not news, in a generic error line.
_CONTEXT_FIELDS = frozenset(
    {
        "level",
        "location",
        "message",
        "timestamp",
        "service",
        "cold_start",
        "function_name",
        "function_memory_size",
        "function_arn",
        "function_request_id",
        "xray_trace_id",
        "sampling_rate",
        "exception",
        "exception_name",
        "stack_trace",
        "message_id",
    }
)


def emit(level: str, message: str, **fields: Any) -> None:
    """One JSON line on stdout, shaped like Powertools' (level, message, timestamp, service, fields)."""
    record = {
        "level": level,
        "message": message,
        "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "service": os.environ.get("POWERTOOLS_SERVICE_NAME", "imgrec-local"),
        **fields,
    }
    sys.stdout.write(json.dumps(record, default=str) + "\n")
    sys.stdout.flush()


def parse(line: str) -> dict[str, Any] | None:
    """The record of a JSON log line, or None for anything else (tracebacks, library output)."""
    text = line.strip()
    if not text.startswith("{"):
        return None
    try:
        record = json.loads(text)
    except ValueError:
        return None
    return record if isinstance(record, dict) and "message" in record else None


def human_line(process: str, record: dict[str, Any]) -> str | None:
    """The terminal's line for a record, or None when the record is not news."""
    message = str(record.get("message"))
    level = str(record.get("level", "INFO")).upper()
    if message in NOTABLE:
        shown = [(name, record[name]) for name in NOTABLE[message] if record.get(name) not in (None, "")]
    elif level in ERROR_LEVELS:
        shown = [(name, value) for name, value in record.items() if name not in _CONTEXT_FIELDS]
        message = f"{level} {message}"
        if record.get("exception_name"):
            shown.append(("exception", record["exception_name"]))
    else:
        return None
    fields = " ".join(f"{name}={_short(value)}" for name, value in shown)
    return f"{time.strftime('%H:%M:%S')} {process:<12} {message}" + (f"  {fields}" if fields else "")


def _short(value: Any, limit: int = 120) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    text = text.replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"
