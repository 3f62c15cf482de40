"""The index's pure parts: what a finished job becomes (terms, card, counters) and how the indexer reacts
to the table's change records."""

from __future__ import annotations

from typing import Any

import pytest

from imagejobs import index
from imagejobs.index import IndexedImage, indexed_image
from imagejobs.model import AnalysisOptions, Feature, JobStatus
from imagejobs.records import JobRecord
from tests.support.fakes import FakeDocuments, FakeIndex
from worker.indexing import handle_change, handle_stream


def job(status: JobStatus = JobStatus.SUCCEEDED, **changes: Any) -> JobRecord:
    values: dict[str, Any] = {
        "job_id": "j-" + "1" * 32,
        "batch_id": "b-" + "2" * 32,
        "seq": 0,
        "owner": "alice",
        "filename": "a.jpg",
        "content_type": "image/jpeg",
        "declared_size": 10,
        "options": AnalysisOptions(features=list(Feature)),
        "status": status,
        "created_at": "2026-11-27T10:00:00.000Z",
        "updated_at": "2026-11-27T10:00:05.000Z",
        "expires_at": 2_000_000_000,
        "results_key": "derived/b/j/results.json",
        "image": {"width": 10, "height": 8, "key": "derived/b/j/normalized.jpg", "normalization": {"sha256": "f" * 64}},
    }
    return JobRecord(**{**values, **changes})


RESULTS = {
    "labels": [
        {"Name": "Dog", "Confidence": 91.2},
        {"Name": "Pet", "Confidence": 80.0},
        {"Name": "Dog", "Confidence": 50.0},
    ],
    "faces": [{}, {}],
    "text": [
        {"DetectedText": "OPEN DAILY", "Type": "LINE"},
        {"DetectedText": "OPEN,", "Type": "WORD"},
        {"DetectedText": "Daily", "Type": "WORD"},
        {"DetectedText": "open", "Type": "WORD"},
    ],
    "moderation": [{"Name": "Alcohol", "Confidence": 70.0}],
}


def test_a_finished_job_becomes_one_term_per_label_word_moderation_batch_and_image() -> None:
    image = indexed_image(job(), RESULTS)

    terms = {(kind, value): confidence for kind, value, confidence in image.terms()}

    assert terms == {
        ("L", "dog"): 91.2,
        ("L", "pet"): 80.0,
        ("M", "alcohol"): 70.0,
        ("M", "*"): None,
        ("W", "open"): None,
        ("W", "daily"): None,
        ("B", "b-" + "2" * 32): None,
        ("H", "f" * 64): None,
    }
    assert image.face_count == 2
    assert len(image.cache_keys) == 1  # one document holds the answers of every feature


def test_term_items_are_keyed_by_owner_term_and_time_and_never_hold_the_owner() -> None:
    image = indexed_image(job(), RESULTS)

    items = image.term_items()
    card = image.card()

    assert {item["term"]["S"].split("#")[0] for item in items} == {index.owner_digest("alice")}
    assert all(item["at"]["S"] == f"2026-11-27T10:00:00.000Z#{image.job_id}" for item in [*items, card])
    assert "alice" not in repr([*items, card])
    assert IndexedImage.from_card(card) == image.__class__(**{**image.__dict__, "owner": index.owner_digest("alice")})


def test_counting_fits_transactions_of_100_and_uncounting_removes_the_card_last() -> None:
    labels = [{"Name": f"label {n}", "Confidence": 90.0} for n in range(130)]
    image = indexed_image(job(), {**RESULTS, "labels": labels})

    counting = index.counter_transactions("t", image, count=True)
    uncounting = index.counter_transactions("t", image, count=False)

    assert all(len(t["TransactItems"]) <= 100 for t in counting)
    assert counting[0]["TransactItems"][0]["Put"]["Item"]["sk"]["S"] == index.IMAGE_SK
    assert all("attribute_not_exists" in t["TransactItems"][0]["Put"]["ConditionExpression"] for t in counting)
    counted = [i["Update"]["Key"]["sk"]["S"] for t in counting for i in t["TransactItems"] if "Update" in i]
    assert len(counted) == 2 * (130 + 1 + 1)  # names and totals, in the caller's and the batch's scope
    assert uncounting[-1]["TransactItems"][0]["Delete"]["Key"]["sk"]["S"] == index.IMAGE_SK


def _change(name: str, new: JobRecord | None, old: JobRecord | None, sequence: str = "1") -> dict[str, Any]:
    change: dict[str, Any] = {"SequenceNumber": sequence}
    if new is not None:
        change["NewImage"] = new.to_item()
    if old is not None:
        change["OldImage"] = old.to_item()
    return {"eventName": name, "dynamodb": change}


def test_the_terminal_commit_is_indexed_and_recorded_for_analytics_once_per_key() -> None:
    finished = job()
    fake, documents = FakeIndex(), FakeDocuments({finished.results_key: RESULTS})

    first = handle_change(_change("MODIFY", finished, job(JobStatus.PROCESSING)), fake, documents)
    again = handle_change(_change("MODIFY", finished, job(JobStatus.PROCESSING)), fake, documents)

    assert first == again == "indexed"
    [key] = documents.lines
    assert key == f"analytics/jobs/dt=2026-11-27/{finished.job_id}.json"
    assert documents.lines[key]["label_names"] == ["Dog", "Pet"] and documents.lines[key]["face_count"] == 2


def test_only_the_move_to_a_terminal_status_indexes_and_a_failed_job_is_recorded_only() -> None:
    fake, documents = FakeIndex(), FakeDocuments({})
    failed = job(JobStatus.FAILED, results_key=None, image=None)

    assert (
        handle_change(_change("MODIFY", job(JobStatus.PROCESSING), job(JobStatus.QUEUED)), fake, documents) == "ignored"
    )
    assert handle_change(_change("MODIFY", failed, job(JobStatus.PROCESSING)), fake, documents) == "recorded"
    assert fake.indexed == []
    assert handle_change(_change("MODIFY", job(), None), FakeIndex(), FakeDocuments({})) == "gone"


def test_a_removed_job_takes_its_index_and_analytics_record_with_it() -> None:
    finished = job()
    fake, documents = FakeIndex(), FakeDocuments({finished.results_key: RESULTS})
    handle_change(_change("MODIFY", finished, job(JobStatus.PROCESSING)), fake, documents)

    assert handle_change(_change("REMOVE", None, finished), fake, documents) == "unindexed"
    assert fake.removed == [finished.job_id] and documents.lines == {}


def test_a_failure_stops_the_batch_at_that_record_so_order_holds() -> None:
    finished = job()
    records = [
        _change("MODIFY", finished, job(JobStatus.PROCESSING), sequence="10"),
        _change("REMOVE", None, finished, sequence="11"),
    ]
    fake = FakeIndex(fail=True)

    answer = handle_stream({"Records": records}, fake, FakeDocuments({finished.results_key: RESULTS}))

    assert answer == {"batchItemFailures": [{"itemIdentifier": "10"}]}
    assert fake.removed == []


@pytest.mark.parametrize("sk", ["IMAGE", "T#L#dog", "TOTALS"])
def test_changes_of_index_items_themselves_are_ignored(sk: str) -> None:
    item = job().to_item()
    item["sk"] = {"S": sk}
    record = {"eventName": "INSERT", "dynamodb": {"NewImage": item, "SequenceNumber": "1"}}

    assert handle_change(record, FakeIndex(), FakeDocuments({})) == "ignored"
