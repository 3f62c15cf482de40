"""Pure: the parameters of each Rekognition Detect* call, and the cache key they give a job's answers.

The worker builds its calls here, and the index and deletions name the same cached answers from a job's
record (owner, options and the normalized image's SHA-256), so the two can never disagree.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from imagejobs import keys
from imagejobs.model import AnalysisOptions, Feature


def detect_request(feature: Feature, image: bytes, options: AnalysisOptions) -> dict[str, Any]:
    source = {"Bytes": image}
    if feature is Feature.LABELS:
        return {"Image": source, "MaxLabels": options.max_labels, "MinConfidence": options.min_confidence}
    if feature is Feature.FACES:
        return {"Image": source, "Attributes": ["DEFAULT"]}
    if feature is Feature.TEXT:
        return {"Image": source, "Filters": {"WordFilter": {"MinConfidence": options.min_confidence}}}
    return {"Image": source, "MinConfidence": options.min_confidence}


def request_digest(request: dict[str, Any]) -> str:
    """Identifies a Detect* call's parameters (everything but the image itself)."""
    parameters = {name: value for name, value in request.items() if name != "Image"}
    return hashlib.sha256(json.dumps(parameters, sort_keys=True).encode()).hexdigest()[:16]


def cache_keys(owner: str, image_sha256: str, options: AnalysisOptions) -> list[str]:
    """The cached answers a job with these options and this normalized image reads or writes."""
    return [
        keys.cached_response_key(owner, image_sha256, feature, request_digest(detect_request(feature, b"", options)))
        for feature in options.features
    ]
