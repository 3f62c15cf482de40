"""Pure: what to ask Rekognition for each feature, and what a job's results and outcome are."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

import botocore.session
from botocore.model import Shape
from botocore.validate import ParamValidator

from imagejobs.errors import ErrorCode, FeatureFailure
from imagejobs.model import Feature, JobStatus
from imagejobs.records import JobError, Usage

SUMMARY_TOP_LABELS = 10


@cache
def response_shape(operation: str) -> Shape:
    # Loading the service model costs ~50 ms once; the worker's own client has already paid for it.
    shape = botocore.session.get_session().get_service_model("rekognition").operation_model(operation).output_shape
    if shape is None:
        raise LookupError(f"{operation} has no output shape")
    return shape


def is_valid_response(feature: Feature, response: object) -> bool:
    """Whether a stored answer has the shape of the operation's real answer (botocore's own model): a
    corrupt or tampered cache entry must be recomputed, never fed to the results or crash the job."""
    if not isinstance(response, dict) or not isinstance(response.get(feature.response_items_key), list):
        return False
    return not ParamValidator().validate(response, response_shape(feature.operation)).has_errors()


@dataclass(frozen=True)
class Outcome:
    status: JobStatus
    results: dict[str, list[Any]]
    feature_errors: dict[str, JobError] | None
    error: JobError | None
    summary: dict[str, Any]
    usage: Usage = field(default_factory=Usage)


def outcome_of(responses: dict[Feature, dict[str, Any] | FeatureFailure], usage: Usage | None = None) -> Outcome:
    """SUCCEEDED when every feature answered, PARTIAL when some did, FAILED (FEATURE_FAILED) when none."""
    results: dict[str, list[Any]] = {}
    failures: dict[str, JobError] = {}
    for feature, response in responses.items():
        if isinstance(response, FeatureFailure):
            failures[feature.value] = JobError(ErrorCode.FEATURE_FAILED, response.message)
        else:
            results[feature.result_key] = list(response.get(feature.response_items_key, []))
    if not failures:
        status, error = JobStatus.SUCCEEDED, None
    elif results:
        status, error = JobStatus.PARTIAL, None
    else:
        status = JobStatus.FAILED
        error = JobError(
            ErrorCode.FEATURE_FAILED,
            "Rekognition could not analyse this image: "
            + "; ".join(f"{name}: {e.message}" for name, e in failures.items()),
        )
    return Outcome(status, results, failures or None, error, summarize(results), usage or Usage())


def summarize(results: dict[str, list[Any]]) -> dict[str, Any]:
    """A small, float-free digest kept on the job record (the full results live in S3)."""
    summary: dict[str, Any] = {}
    if "labels" in results:
        summary["labels"] = [label["Name"] for label in results["labels"][:SUMMARY_TOP_LABELS]]
    if "faces" in results:
        summary["faceCount"] = len(results["faces"])
    if "text" in results:
        lines = [t["DetectedText"] for t in results["text"] if t.get("Type") == "LINE"]
        summary["textLines"] = len(lines)
    if "moderation" in results:
        summary["moderation"] = sorted({m["Name"] for m in results["moderation"]})
    return summary
