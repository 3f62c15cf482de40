"""From the API's job representation to one results line, and the JSONL/CSV writers."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from imgrec.results import ResultWriter, job_row, problem_row

JOB = {
    "jobId": "j-1",
    "status": "SUCCEEDED",
    "error": None,
    "results": {
        "labels": [
            {"Name": "Animal", "Confidence": 91.25},
            {"Name": "Dog", "Confidence": 98.04},
            {"Name": "Pet", "Confidence": 60.0},
            {"Name": "Mammal", "Confidence": 90.0},
            {"Name": "Canine", "Confidence": 70.0},
            {"Name": "Grass", "Confidence": 55.5},
        ],
        "faces": [{"Confidence": 99.0}, {"Confidence": 98.0}],
        "text": [
            {"DetectedText": "STOP", "Type": "LINE"},
            {"DetectedText": "STOP", "Type": "WORD"},
            {"DetectedText": "NO ENTRY", "Type": "LINE"},
        ],
        "moderation": [{"Name": "Violence", "ParentName": ""}],
    },
    "featureErrors": None,
}


def test_a_succeeded_job_gives_top_labels_face_count_text_lines_and_flags() -> None:
    row = job_row("/data/dog.jpg", JOB)

    assert row["path"] == "/data/dog.jpg"
    assert row["status"] == "SUCCEEDED"
    assert row["errorCode"] is None
    assert [label["name"] for label in row["labels"]] == ["Dog", "Animal", "Mammal", "Canine", "Pet"]
    assert row["labels"][0]["confidence"] == 98.0
    assert row["faceCount"] == 2
    assert row["text"] == "STOP | NO ENTRY"
    assert row["moderation"] == ["Violence"]


def test_features_not_asked_for_stay_empty_rather_than_zero() -> None:
    row = job_row("a.jpg", {"jobId": "j", "status": "SUCCEEDED", "results": {"labels": [], "faces": None}})
    assert row["labels"] == []
    assert row["faceCount"] is None
    assert row["text"] is None


def test_failed_and_partial_jobs_carry_their_error_codes() -> None:
    failed = job_row("a", {"jobId": "j", "status": "FAILED", "error": {"code": "DECODE_ERROR", "message": "bad"}})
    partial = job_row(
        "b",
        {
            "jobId": "k",
            "status": "PARTIAL",
            "error": None,
            "results": {"labels": [{"Name": "Cat", "Confidence": 90}]},
            "featureErrors": {"TEXT": {"code": "FEATURE_FAILED", "message": "ocr broke"}},
        },
    )
    assert (failed["errorCode"], failed["errorMessage"]) == ("DECODE_ERROR", "bad")
    assert partial["errorCode"] == "FEATURE_FAILED"
    assert partial["errorMessage"] == "TEXT: ocr broke"
    assert partial["labels"] == [{"name": "Cat", "confidence": 90.0}]


def test_jsonl_writer_writes_one_object_per_line_and_replaces_atomically(tmp_path: Path) -> None:
    out = tmp_path / "results.jsonl"
    out.write_text("old complete results\n")
    writer = ResultWriter(str(out))
    writer.write(job_row("/x/a.jpg", JOB))
    assert out.read_text() == "old complete results\n"  # not replaced until closed
    writer.write(problem_row("/x/b.jpg", None, "NOT_FOUND", "no such file"))
    writer.close()

    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [line["path"] for line in lines] == ["/x/a.jpg", "/x/b.jpg"]
    assert lines[1]["status"] == "FAILED"
    assert lines[1]["errorCode"] == "NOT_FOUND"
    assert list(tmp_path.iterdir()) == [out]


def test_csv_is_chosen_by_extension_with_flat_cells(tmp_path: Path) -> None:
    out = tmp_path / "results.CSV"
    writer = ResultWriter(str(out))
    writer.write(job_row("/x/a.jpg", JOB))
    writer.close()

    (row,) = list(csv.DictReader(out.open(newline="")))
    assert row["path"] == "/x/a.jpg"
    assert row["labels"].startswith("Dog (98.0); Animal (91.2)")
    assert row["faceCount"] == "2"
    assert row["moderation"] == "Violence"
    assert row["errorCode"] == ""


def test_a_discarded_writer_leaves_no_file(tmp_path: Path) -> None:
    writer = ResultWriter(str(tmp_path / "r.jsonl"))
    writer.write(job_row("a", JOB))
    writer.discard()
    assert list(tmp_path.iterdir()) == []


def test_csv_cells_that_a_spreadsheet_would_run_as_formulas_stay_text(tmp_path: Path) -> None:
    from imgrec.results import ResultWriter

    out = tmp_path / "results.csv"
    writer = ResultWriter(str(out))
    writer.write(
        {
            "path": '=HYPERLINK("http://evil")',
            "jobId": "j-1",
            "status": "SUCCEEDED",
            "text": "+1 555 0100; -rm; @SUM(A1)",
            "labels": [{"name": "=cmd|' /C calc'!A0", "confidence": 99.0}],
            "faceCount": -1,
        }
    )
    writer.close()

    row = next(csv.DictReader(out.open()))
    assert row["path"] == '\'=HYPERLINK("http://evil")'
    assert row["text"].startswith("'+1") and row["labels"].startswith("'=cmd")
    assert row["faceCount"] == "-1"
