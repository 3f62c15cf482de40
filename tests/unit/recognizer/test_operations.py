from __future__ import annotations

import base64

import pytest

from local_stack.recognizer.errors import InvalidParameterError
from local_stack.recognizer.operations import (
    TextFilters,
    filter_text,
    parse_face_keys,
    parse_image_ref,
    parse_label_selection,
    parse_text_filters,
    select_face_keys,
    select_labels,
    select_moderation,
)


def label(name: str, confidence: float, category: str = "Animals and Pets") -> dict:
    return {
        "Name": name,
        "Confidence": confidence,
        "Instances": [],
        "Parents": [],
        "Aliases": [],
        "Categories": [{"Name": category}],
    }


CANDIDATES = [label("Cat", 90), label("Animal", 95), label("Cup", 60, "Food and Beverage"), label("Text", 40)]


def test_labels_default_to_min_confidence_55_best_first() -> None:
    chosen = select_labels(CANDIDATES, parse_label_selection({}))
    assert [item["Name"] for item in chosen] == ["Animal", "Cat", "Cup"]


def test_max_labels_and_min_confidence_apply() -> None:
    selection = parse_label_selection({"MinConfidence": 30, "MaxLabels": 3})
    assert [item["Name"] for item in select_labels(CANDIDATES, selection)] == ["Animal", "Cat", "Cup"]
    selection = parse_label_selection({"MinConfidence": 30})
    assert len(select_labels(CANDIDATES, selection)) == 4


def test_label_inclusion_and_category_exclusion_filters() -> None:
    selection = parse_label_selection(
        {
            "MinConfidence": 0,
            "Settings": {
                "GeneralLabels": {
                    "LabelCategoryExclusionFilters": ["Food and Beverage"],
                    "LabelExclusionFilters": ["Animal"],
                }
            },
        }
    )
    assert [item["Name"] for item in select_labels(CANDIDATES, selection)] == ["Cat", "Text"]
    selection = parse_label_selection({"Settings": {"GeneralLabels": {"LabelInclusionFilters": ["Cup"]}}})
    assert [item["Name"] for item in select_labels(CANDIDATES, selection)] == ["Cup"]


@pytest.mark.parametrize(
    "payload",
    [
        {"MinConfidence": 101},
        {"MinConfidence": "high"},
        {"MaxLabels": -1},
        {"Features": ["COLORS"]},
        {"MaxLabels": True},
    ],
)
def test_bad_label_parameters_are_invalid(payload: dict) -> None:
    with pytest.raises(InvalidParameterError):
        parse_label_selection(payload)


def test_image_ref_needs_exactly_one_source() -> None:
    data = base64.b64encode(b"abc").decode()
    assert parse_image_ref({"Image": {"Bytes": data}}).inline == b"abc"
    s3 = parse_image_ref({"Image": {"S3Object": {"Bucket": "b", "Name": "k"}}}).s3
    assert s3 is not None and (s3.bucket, s3.name) == ("b", "k")
    for payload in (
        {},
        {"Image": {}},
        {"Image": {"Bytes": data, "S3Object": {"Bucket": "b", "Name": "k"}}},
        {"Image": {"Bytes": "!!not base64!!"}},
        {"Image": {"S3Object": {"Bucket": "b"}}},
    ):
        with pytest.raises(InvalidParameterError):
            parse_image_ref(payload)


FACE = {
    "BoundingBox": {},
    "Landmarks": [],
    "Pose": {},
    "Quality": {},
    "Confidence": 99.0,
    "Smile": {},
    "AgeRange": {},
    "Emotions": [],
}


def test_face_attributes_default_all_and_single() -> None:
    assert set(select_face_keys(FACE, parse_face_keys({}))) == {
        "BoundingBox",
        "Landmarks",
        "Pose",
        "Quality",
        "Confidence",
    }
    assert select_face_keys(FACE, parse_face_keys({"Attributes": ["ALL"]})) == FACE
    assert "Smile" in select_face_keys(FACE, parse_face_keys({"Attributes": ["SMILE"]}))
    assert "AgeRange" not in select_face_keys(FACE, parse_face_keys({"Attributes": ["SMILE"]}))
    with pytest.raises(InvalidParameterError):
        parse_face_keys({"Attributes": ["MOOD"]})


def text_item(
    text: str,
    kind: str,
    item_id: int,
    confidence: float,
    box: tuple[float, float, float, float],
    parent: int | None = None,
) -> dict:
    left, top, width, height = box
    item = {
        "DetectedText": text,
        "Type": kind,
        "Id": item_id,
        "Confidence": confidence,
        "Geometry": {
            "BoundingBox": {"Left": left, "Top": top, "Width": width, "Height": height},
            "Polygon": [],
        },
    }
    if parent is not None:
        item["ParentId"] = parent
    return item


TEXT = [
    text_item("OPEN NOW", "LINE", 0, 95, (0.1, 0.1, 0.4, 0.1)),
    text_item("tiny", "LINE", 1, 90, (0.6, 0.8, 0.05, 0.01)),
    text_item("OPEN", "WORD", 2, 97, (0.1, 0.1, 0.2, 0.1), parent=0),
    text_item("NOW", "WORD", 3, 60, (0.3, 0.1, 0.2, 0.1), parent=0),
    text_item("tiny", "WORD", 4, 90, (0.6, 0.8, 0.05, 0.01), parent=1),
]


def test_text_without_filters_is_unchanged() -> None:
    assert filter_text(TEXT, TextFilters()) == TEXT


def test_word_filter_drops_words_and_their_emptied_lines() -> None:
    filters = parse_text_filters({"Filters": {"WordFilter": {"MinConfidence": 70, "MinBoundingBoxHeight": 0.05}}})
    assert [item["DetectedText"] for item in filter_text(TEXT, filters)] == ["OPEN NOW", "OPEN"]


def test_regions_of_interest_keep_words_mostly_inside() -> None:
    filters = parse_text_filters(
        {"Filters": {"RegionsOfInterest": [{"BoundingBox": {"Left": 0.5, "Top": 0.7, "Width": 0.5, "Height": 0.3}}]}}
    )
    assert [item["DetectedText"] for item in filter_text(TEXT, filters)] == ["tiny", "tiny"]
    polygon = parse_text_filters(
        {
            "Filters": {
                "RegionsOfInterest": [{"Polygon": [{"X": 0.0, "Y": 0.0}, {"X": 0.25, "Y": 0.0}, {"X": 0.25, "Y": 0.5}]}]
            }
        }
    )
    assert [item["DetectedText"] for item in filter_text(TEXT, polygon)] == ["OPEN NOW", "OPEN"]


def test_moderation_min_confidence_and_order() -> None:
    labels = [
        {"Name": "Explicit Nudity", "ParentName": "Explicit", "TaxonomyLevel": 2, "Confidence": 70.0},
        {"Name": "Explicit", "ParentName": "", "TaxonomyLevel": 1, "Confidence": 70.0},
        {"Name": "Alcohol", "ParentName": "", "TaxonomyLevel": 1, "Confidence": 40.0},
    ]
    assert [item["Name"] for item in select_moderation(labels, 50)] == ["Explicit", "Explicit Nudity"]
