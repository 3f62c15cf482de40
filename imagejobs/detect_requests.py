"""Pure: the parameters of each Rekognition Detect* call, and the one cached-answer document a job's
answers live in.

The worker builds its calls here, and the index and deletions name the same cached document from a job's
record (owner, options and the normalized image's SHA-256), so the two can never disagree.

Rekognition reads the normalized image from S3 (`S3Object`): the worker has already stored it, and sending
it in the call (`Bytes`) would carry it base64-encoded and hashed for the signature, once per feature.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from imagejobs import keys
from imagejobs.model import AnalysisOptions, Feature

ImageSource = dict[str, Any]  # {"S3Object": {"Bucket", "Name"}} or {"Bytes": ...}
CACHE_VERSION = 1


def s3_image(bucket: str, key: str) -> ImageSource:
    return {"S3Object": {"Bucket": bucket, "Name": key}}


def detect_parameters(feature: Feature, options: AnalysisOptions) -> dict[str, Any]:
    """Everything a Detect* call sends but the image."""
    if feature is Feature.LABELS:
        return {"MaxLabels": options.max_labels, "MinConfidence": options.min_confidence}
    if feature is Feature.FACES:
        return {"Attributes": ["DEFAULT"]}
    if feature is Feature.TEXT:
        return {"Filters": {"WordFilter": {"MinConfidence": options.min_confidence}}}
    return {"MinConfidence": options.min_confidence}


def detect_request(feature: Feature, image: ImageSource, options: AnalysisOptions) -> dict[str, Any]:
    return {"Image": image, **detect_parameters(feature, options)}


def parameters_digest(options: AnalysisOptions) -> str:
    """Identifies the calls a job makes: its features and each call's parameters (not the image)."""
    calls = {feature.operation: detect_parameters(feature, options) for feature in options.features}
    return hashlib.sha256(json.dumps(calls, sort_keys=True).encode()).hexdigest()[:16]


def cache_key(owner: str, image_sha256: str, options: AnalysisOptions) -> str:
    """The one document holding a job's raw Rekognition answers: the same normalized bytes analysed with the
    same options for the same owner reuse it (duplicates, retries after a crash) instead of paying again."""
    return keys.cached_answers_key(owner, image_sha256, parameters_digest(options))


def cache_keys(owner: str, image_sha256: str, options: AnalysisOptions) -> list[str]:
    """The cached documents a job with these options and this normalized image reads or writes."""
    return [cache_key(owner, image_sha256, options)]


def cache_document(answers: dict[Feature, dict[str, Any]]) -> dict[str, Any]:
    return {"version": CACHE_VERSION, "answers": {feature.operation: answer for feature, answer in answers.items()}}


def cached_answers(document: Any) -> dict[str, Any]:
    """The answers of a stored document by operation name ({} for anything that is not one of ours; each
    answer is still checked against Rekognition's shape before use)."""
    if not isinstance(document, dict) or document.get("version") != CACHE_VERSION:
        return {}
    answers = document.get("answers")
    return answers if isinstance(answers, dict) else {}
