"""The analytics SQL — the very text of the template's Athena named queries — on DuckDB over the files
the pipeline wrote into the local S3 (`imgrec query`'s engine), compared with the jobs' own results."""

from __future__ import annotations

import time
import uuid
from collections import Counter
from typing import Any

import pytest

from imgrec.analytics import Answer, named_query, run
from tests.support.api import ApiClient
from tests.support.images import photo_like

pytest.importorskip("duckdb", reason="the analytics group is not installed (uv sync --group analytics)")
SOURCE = "s3://imgrec-images/analytics/jobs/"


def _rows(answer: Answer) -> list[dict[str, Any]]:
    return [dict(zip(answer.columns, row, strict=True)) for row in answer.rows]


def _query_until(stack: Any, sql: str, ready: Any, timeout: float = 30) -> list[dict[str, Any]]:
    """The indexer writes analytics records from the table's stream, just after the jobs finish."""
    deadline = time.monotonic() + timeout
    while True:
        rows = _rows(run(sql, source=SOURCE, endpoint_url=stack.aws_url))
        if ready(rows) or time.monotonic() > deadline:
            return rows
        time.sleep(0.3)


@pytest.fixture(scope="module")
def analysed(stack: Any) -> tuple[str, list[dict[str, Any]]]:
    client = ApiClient(stack.api_url, token=f"analytics-{uuid.uuid4().hex[:8]}")
    images = [(f"a-{seed}.jpg", photo_like(seed=seed)) for seed in range(80, 86)]
    batch_id, jobs = client.analyze(images, features=["LABELS", "FACES", "MODERATION"])
    client.wait_indexed(batch_id, len(jobs))
    return batch_id, jobs


def test_faces_per_batch_counts_the_batchs_images_and_faces(stack: Any, analysed: Any) -> None:
    batch_id, jobs = analysed
    assert any(job["results"]["faces"] for job in jobs), "these seeds give the stub's faces to some images"

    rows = _query_until(
        stack, named_query("faces-per-batch"), lambda rows: any(r["batch_id"] == batch_id for r in rows)
    )

    [mine] = [row for row in rows if row["batch_id"] == batch_id]
    assert mine["images"] == len(jobs)
    assert mine["faces"] == sum(len(job["results"]["faces"]) for job in jobs)
    assert mine["images_with_faces"] == sum(bool(job["results"]["faces"]) for job in jobs)


def test_top_labels_by_day_counts_images_per_label(stack: Any, analysed: Any) -> None:
    batch_id, jobs = analysed
    sql = named_query("top-labels-by-day").replace(
        "FROM jobs", f"FROM (SELECT * FROM jobs WHERE batch_id = '{batch_id}')"
    )
    expected = Counter(label["Name"] for job in jobs for label in job["results"]["labels"])
    top = sorted(expected.items(), key=lambda pair: (-pair[1], pair[0]))[:10]

    rows = _query_until(stack, sql, lambda rows: sum(r["images"] for r in rows) >= sum(n for _, n in top))

    today = jobs[0]["updatedAt"][:10]
    assert [(row["dt"], row["label"], row["images"]) for row in rows] == [(today, name, n) for name, n in top]


def test_flagged_by_moderation_lists_each_flagged_image_and_label(stack: Any, analysed: Any) -> None:
    batch_id, jobs = analysed
    expected = sorted((job["jobId"], item["Name"]) for job in jobs for item in job["results"]["moderation"])

    assert expected, "these seeds give the stub's moderation labels to some images"
    rows = _query_until(
        stack,
        named_query("flagged-by-moderation"),
        lambda rows: len([r for r in rows if r["batch_id"] == batch_id]) >= len(expected),
    )

    assert sorted((r["job_id"], r["moderation_label"]) for r in rows if r["batch_id"] == batch_id) == expected
