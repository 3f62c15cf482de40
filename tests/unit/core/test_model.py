from __future__ import annotations

import pytest
from pydantic import ValidationError

from imagejobs import keys
from imagejobs.errors import ErrorCode
from imagejobs.model import AnalysisOptions, Feature, JobStatus
from imagejobs.settings import ApiSettings, SettingsError, WorkerSettings, load_settings


def test_options_default_to_labels_at_rekognition_defaults() -> None:
    options = AnalysisOptions()

    assert options.to_json() == {"features": ["LABELS"], "minConfidence": 55.0, "maxLabels": 50}


def test_options_deduplicate_features_in_canonical_order() -> None:
    options = AnalysisOptions.model_validate({"features": ["TEXT", "LABELS", "TEXT"]})

    assert options.features == [Feature.LABELS, Feature.TEXT]


@pytest.mark.parametrize(
    "data",
    [
        {"features": []},
        {"features": ["CELEBRITIES"]},
        {"minConfidence": -1},
        {"minConfidence": 100.5},
        {"maxLabels": 0},
        {"maxLabels": 1001},
        {"unknown": True},
    ],
)
def test_options_reject_out_of_contract_values(data: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        AnalysisOptions.model_validate(data)


def test_options_round_trip_through_json() -> None:
    options = AnalysisOptions.model_validate({"features": ["FACES", "MODERATION"], "minConfidence": 70, "maxLabels": 5})

    assert AnalysisOptions.from_json(options.to_json()) == options


def test_features_name_their_rekognition_operations_and_result_fields() -> None:
    assert [(f.operation, f.result_key, f.response_items_key) for f in Feature] == [
        ("DetectLabels", "labels", "Labels"),
        ("DetectFaces", "faces", "FaceDetails"),
        ("DetectText", "text", "TextDetections"),
        ("DetectModerationLabels", "moderation", "ModerationLabels"),
    ]


def test_only_finished_statuses_are_terminal() -> None:
    assert {s for s in JobStatus if s.is_terminal} == {
        JobStatus.SUCCEEDED,
        JobStatus.PARTIAL,
        JobStatus.FAILED,
    }


def test_error_codes_keep_the_contracts_names() -> None:
    assert {c.value for c in ErrorCode} >= {
        "UPLOAD_MISSING", "FILE_TOO_LARGE", "EMPTY_FILE", "UNSUPPORTED_FORMAT", "DECODE_ERROR",
        "TOO_SMALL", "TOO_MANY_PIXELS", "FEATURE_FAILED", "INTERNAL",
    }  # fmt: skip


def test_keys_are_derived_from_ids_only() -> None:
    batch_id, job_id = keys.new_batch_id(), keys.new_job_id()

    assert keys.upload_key(batch_id, job_id) == f"uploads/{batch_id}/{job_id}"
    assert keys.results_key(batch_id, job_id).startswith(f"derived/{batch_id}/{job_id}/")
    cached = keys.cached_answers_key("alice", "ab" * 32, "0f0f")
    assert cached.startswith("derived/cache/") and cached.endswith("/" + "ab" * 32 + "/0f0f.json")
    assert "alice" not in cached and cached != keys.cached_answers_key("bob", "ab" * 32, "0f0f")
    assert keys.normalized_image_key(batch_id, job_id, "png").endswith("/normalized.png")


@pytest.mark.parametrize("value", ["", "b-123", "j-" + "0" * 31, "x-" + "0" * 32, "b-" + "G" * 32, "../uploads"])
def test_ids_that_we_did_not_mint_are_not_valid(value: str) -> None:
    assert not keys.is_valid_id(value)


def test_minted_ids_are_valid_and_distinct() -> None:
    ids = {keys.new_job_id() for _ in range(100)} | {keys.new_batch_id() for _ in range(100)}

    assert len(ids) == 200 and all(keys.is_valid_id(i) for i in ids)


def test_settings_fail_loudly_without_resource_names() -> None:
    with pytest.raises(SettingsError, match="IMGREC_TABLE_NAME"):
        load_settings(ApiSettings, {})


def test_settings_read_prefixed_environment_and_validate_ranges() -> None:
    env = {
        "IMGREC_TABLE_NAME": "t-1",
        "IMGREC_BUCKET_NAME": "b-1",
        "IMGREC_QUEUE_URL": "http://q/1",
        "IMGREC_MAX_EDGE": "2048",
    }

    settings = load_settings(WorkerSettings, env)

    assert settings.max_edge == 2048 and settings.table_name == "t-1"
    with pytest.raises(SettingsError, match="IMGREC_MAX_EDGE"):
        load_settings(WorkerSettings, {**env, "IMGREC_MAX_EDGE": "20000"})
