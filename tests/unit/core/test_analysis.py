from __future__ import annotations

from imagejobs.detect_requests import detect_request
from imagejobs.errors import ErrorCode, FeatureFailure
from imagejobs.model import AnalysisOptions, Feature, JobStatus
from worker.analysis import outcome_of

LABELS = {"Labels": [{"Name": "Cat", "Confidence": 99.0}, {"Name": "Animal", "Confidence": 99.0}]}
TEXT = {"TextDetections": [{"DetectedText": "STOP", "Type": "LINE"}, {"DetectedText": "STOP", "Type": "WORD"}]}


def test_every_feature_answering_is_succeeded_with_items_unchanged() -> None:
    outcome = outcome_of({Feature.LABELS: LABELS, Feature.TEXT: TEXT})

    assert outcome.status is JobStatus.SUCCEEDED and outcome.error is None and outcome.feature_errors is None
    assert outcome.results == {"labels": LABELS["Labels"], "text": TEXT["TextDetections"]}
    assert outcome.summary == {"labels": ["Cat", "Animal"], "textLines": 1}


def test_some_features_failing_is_partial_with_per_feature_errors() -> None:
    outcome = outcome_of({Feature.LABELS: LABELS, Feature.TEXT: FeatureFailure("DetectText: bad image")})

    assert outcome.status is JobStatus.PARTIAL
    assert outcome.feature_errors is not None and outcome.feature_errors["TEXT"].code is ErrorCode.FEATURE_FAILED
    assert "text" not in outcome.results


def test_every_feature_failing_is_failed_feature_failed() -> None:
    outcome = outcome_of({Feature.FACES: FeatureFailure("DetectFaces: nope")})

    assert outcome.status is JobStatus.FAILED
    assert outcome.error is not None and outcome.error.code is ErrorCode.FEATURE_FAILED
    assert "nope" in outcome.error.message


def test_requests_carry_the_jobs_options() -> None:
    options = AnalysisOptions.model_validate({"features": ["LABELS"], "minConfidence": 70, "maxLabels": 9})

    assert detect_request(Feature.LABELS, b"img", options) == {
        "Image": {"Bytes": b"img"},
        "MaxLabels": 9,
        "MinConfidence": 70,
    }
    assert detect_request(Feature.TEXT, b"img", options)["Filters"] == {"WordFilter": {"MinConfidence": 70}}
    assert detect_request(Feature.MODERATION, b"img", options)["MinConfidence"] == 70
    assert detect_request(Feature.FACES, b"img", options)["Attributes"] == ["DEFAULT"]
