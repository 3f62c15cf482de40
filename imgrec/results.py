"""One results line per image, from the API's job representation: pure mapping plus JSONL/CSV writers."""

from __future__ import annotations

import csv
import json
import os
import sys
import tempfile
from collections.abc import Mapping, Sequence
from typing import Any, TextIO

from imgrec.contract import TERMINAL_STATUSES

FIELDS = ("path", "jobId", "status", "errorCode", "errorMessage", "labels", "faceCount", "text", "moderation")
TOP_LABELS = 5
SUCCEEDED = "SUCCEEDED"
TERMINAL = frozenset(TERMINAL_STATUSES)
LOCAL_FAILURE = "FAILED"  # the status of a file reported by the client itself (never sent)

Row = dict[str, Any]


def _items(results: Mapping[str, Any] | None, key: str) -> list[Mapping[str, Any]] | None:
    if not results or results.get(key) is None:
        return None
    return [item for item in results[key] if isinstance(item, Mapping)]


def top_labels(results: Mapping[str, Any] | None, limit: int = TOP_LABELS) -> list[dict[str, Any]] | None:
    labels = _items(results, "labels")
    if labels is None:
        return None
    ranked = sorted(labels, key=lambda label: float(label.get("Confidence", 0.0)), reverse=True)
    return [
        {"name": str(label.get("Name", "")), "confidence": round(float(label.get("Confidence", 0.0)), 1)}
        for label in ranked[:limit]
    ]


def detected_text(results: Mapping[str, Any] | None) -> str | None:
    detections = _items(results, "text")
    if detections is None:
        return None
    # Rekognition returns every LINE and every WORD of it: the lines alone read as the text.
    lines = [d for d in detections if d.get("Type") == "LINE"] or detections
    return " | ".join(str(d.get("DetectedText", "")) for d in lines)


def moderation_flags(results: Mapping[str, Any] | None) -> list[str] | None:
    labels = _items(results, "moderation")
    if labels is None:
        return None
    return [str(label.get("Name", "")) for label in labels]


def _error(job: Mapping[str, Any]) -> tuple[str | None, str | None]:
    error = job.get("error")
    if isinstance(error, Mapping):
        return str(error.get("code")), str(error.get("message"))
    feature_errors = job.get("featureErrors")
    if isinstance(feature_errors, Mapping) and feature_errors:
        codes = sorted({str(e.get("code")) for e in feature_errors.values() if isinstance(e, Mapping)})
        message = "; ".join(
            f"{feature}: {e.get('message')}" for feature, e in sorted(feature_errors.items()) if isinstance(e, Mapping)
        )
        return ",".join(codes), message
    return None, None


def job_row(path: str, job: Mapping[str, Any]) -> Row:
    results = job.get("results") if isinstance(job.get("results"), Mapping) else None
    faces = _items(results, "faces")
    code, message = _error(job)
    return {
        "path": path,
        "jobId": job.get("jobId"),
        "status": job.get("status"),
        "errorCode": code,
        "errorMessage": message,
        "labels": top_labels(results),
        "faceCount": None if faces is None else len(faces),
        "text": detected_text(results),
        "moderation": moderation_flags(results),
    }


def problem_row(path: str, job_id: str | None, code: str, message: str) -> Row:
    return {
        "path": path,
        "jobId": job_id,
        "status": LOCAL_FAILURE,
        "errorCode": code,
        "errorMessage": message,
        "labels": None,
        "faceCount": None,
        "text": None,
        "moderation": None,
    }


def is_success(row: Row) -> bool:
    return row.get("status") == SUCCEEDED


# Spreadsheets run cells that start with = + - @ (or a tab or carriage return before one) as formulas:
# text read from an image, or a file name, must stay text (the web app's export does the same).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralize_formula(text: str) -> str:
    return f"'{text}" if text.startswith(FORMULA_START) else text


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool | int | float):
        return str(value)  # numbers are numbers, even negative ones
    if isinstance(value, list):
        value = "; ".join(
            f"{item['name']} ({item['confidence']})" if isinstance(item, dict) else str(item) for item in value
        )
    return neutralize_formula(str(value))


class ResultWriter:
    """Writes rows to `path` (CSV when it ends in `.csv`, JSON Lines otherwise) or to stdout for `-`/None.

    A file is written under a temporary name and renamed at `close()`, so a half-written results file never
    replaces a complete one from an earlier run.
    """

    def __init__(self, path: str | None) -> None:
        self.path = None if path in (None, "-") else os.path.abspath(str(path))
        self._csv = bool(self.path and self.path.lower().endswith(".csv"))
        self._tmp: str | None = None
        if self.path is None:
            self._stream: TextIO = sys.stdout
        else:
            directory = os.path.dirname(self.path)
            os.makedirs(directory, exist_ok=True)
            fd, self._tmp = tempfile.mkstemp(prefix=".imgrec-", suffix=".tmp", dir=directory)
            self._stream = open(fd, "w", encoding="utf-8", newline="")  # noqa: SIM115 - closed in close()
        self._writer = csv.DictWriter(self._stream, fieldnames=FIELDS) if self._csv else None
        if self._writer is not None:
            self._writer.writeheader()
        self.count = 0

    def write(self, row: Row) -> None:
        if self._writer is not None:
            self._writer.writerow({key: _csv_cell(row.get(key)) for key in FIELDS})
        else:
            self._stream.write(json.dumps({key: row.get(key) for key in FIELDS}, ensure_ascii=False) + "\n")
        self.count += 1

    def write_all(self, rows: Sequence[Row]) -> None:
        for row in rows:
            self.write(row)

    def close(self) -> None:
        if self._tmp is None or self.path is None:
            self._stream.flush()
            return
        self._stream.close()
        os.replace(self._tmp, self.path)
        self._tmp = None

    def discard(self) -> None:
        if self._tmp is not None:
            self._stream.close()
            os.unlink(self._tmp)
            self._tmp = None
