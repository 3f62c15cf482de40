"""Check result items against botocore's own Rekognition output shapes (unknown keys, wrong types)."""

from __future__ import annotations

from typing import Any

import botocore.session
from botocore.validate import ParamValidator

_MODEL = botocore.session.get_session().get_service_model("rekognition")

_ITEMS = {
    "labels": ("DetectLabels", "Labels"),
    "faces": ("DetectFaces", "FaceDetails"),
    "text": ("DetectText", "TextDetections"),
    "moderation": ("DetectModerationLabels", "ModerationLabels"),
}


def shape_errors(results: dict[str, list[Any]]) -> list[str]:
    """Every problem botocore's validator finds when the items are put back into their response shape."""
    problems: list[str] = []
    for key, items in results.items():
        operation, member = _ITEMS[key]
        shape = _MODEL.operation_model(operation).output_shape
        report = ParamValidator().validate({member: items}, shape)
        if report.has_errors():
            problems.append(f"{key}: {report.generate_report()}")
    return problems
