from __future__ import annotations

from imagejobs.detect_requests import cache_key, detect_request, s3_image
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


def test_requests_carry_the_jobs_options_and_point_rekognition_at_the_stored_image() -> None:
    options = AnalysisOptions.model_validate({"features": ["LABELS"], "minConfidence": 70, "maxLabels": 9})
    image = s3_image("images", "derived/b/j/normalized.jpg")

    assert detect_request(Feature.LABELS, image, options) == {
        "Image": {"S3Object": {"Bucket": "images", "Name": "derived/b/j/normalized.jpg"}},
        "MaxLabels": 9,
        "MinConfidence": 70,
    }
    assert detect_request(Feature.TEXT, image, options)["Filters"] == {"WordFilter": {"MinConfidence": 70}}
    assert detect_request(Feature.MODERATION, image, options)["MinConfidence"] == 70
    assert detect_request(Feature.FACES, image, options)["Attributes"] == ["DEFAULT"]


def test_the_cached_document_is_named_by_owner_image_features_and_parameters() -> None:
    labels = AnalysisOptions.model_validate({"features": ["LABELS"]})
    both = AnalysisOptions.model_validate({"features": ["LABELS", "TEXT"]})
    stricter = AnalysisOptions.model_validate({"features": ["LABELS"], "minConfidence": 90})
    sha = "ab" * 32

    names = {cache_key(owner, sha, options) for owner in ("alice", "bob") for options in (labels, both, stricter)}

    assert len(names) == 6 and all(f"/{sha}/" in name for name in names)
    assert cache_key("alice", sha, labels) == cache_key("alice", sha, labels.model_copy())
