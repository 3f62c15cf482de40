"""The library commands of `imgrec` as a user runs them (subprocesses) against the embedded stack:
`batches`, `search`, `delete`, `query`, and `analyze` recovering from a batch that no longer exists and
re-analysing a file whose content changed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.support.api import ApiClient
from tests.support.images import photo_like

TIMEOUT = 300


def imgrec(stack: Any, token: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "IMGREC_API_URL": stack.api_url,
        "IMGREC_TOKEN": token,
        "IMGREC_STATE_DIR": str(tmp_path / "state"),
    }
    return subprocess.run(
        [sys.executable, "-m", "imgrec.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def _folder(tmp_path: Path, seeds: range) -> Path:
    folder = tmp_path / "photos"
    folder.mkdir(exist_ok=True)
    for seed in seeds:
        (folder / f"photo-{seed}.jpg").write_bytes(photo_like(seed=seed))
    return folder


def _rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_batches_search_and_delete_from_the_command_line(stack: Any, tmp_path: Path) -> None:
    token = f"cli-lib-{uuid.uuid4().hex[:8]}"
    folder = _folder(tmp_path, range(90, 93))
    out = tmp_path / "out.jsonl"
    analysed = imgrec(
        stack, token, tmp_path, "analyze", str(folder), "--out", str(out), "--name", "Balcony", "--tag", "home",
        "--features", "LABELS,FACES",
    )  # fmt: skip
    assert analysed.returncode == 0, analysed.stderr
    api = ApiClient(stack.api_url, token=token)
    batch_id = api.job(_rows(out)[0]["jobId"])["batchId"]
    api.wait_indexed(batch_id, 3)
    jobs = {job["jobId"]: job for job in api.jobs_of(batch_id)}
    label = next(iter(jobs.values()))["results"]["labels"][0]["Name"]
    expected = {j for j, job in jobs.items() if label in {item["Name"] for item in job["results"]["labels"]}}

    listed = imgrec(stack, token, tmp_path, "batches", "--tag", "home")
    found = imgrec(stack, token, tmp_path, "search", "--label", label, "--json")
    refused = imgrec(stack, token, tmp_path, "delete", "--batch", batch_id)  # no --yes, no terminal
    deleted = imgrec(stack, token, tmp_path, "delete", "--batch", batch_id, "--yes")
    after = imgrec(stack, token, tmp_path, "batches")

    assert listed.returncode == 0 and batch_id in listed.stdout and "Balcony" in listed.stdout
    assert {json.loads(line)["jobId"] for line in found.stdout.splitlines()} == expected
    assert f"matches={len(expected)}" in found.stderr
    assert refused.returncode == 2 and "--yes" in refused.stderr
    assert deleted.returncode == 0 and "COMPLETED" in deleted.stdout and "jobs=3" in deleted.stdout
    assert after.stdout.strip() == "no batches"


def test_analyze_starts_a_new_batch_when_its_saved_one_no_longer_exists(stack: Any, tmp_path: Path) -> None:
    token = f"cli-gone-{uuid.uuid4().hex[:8]}"
    folder = _folder(tmp_path, range(94, 96))
    out = tmp_path / "out.jsonl"
    first = imgrec(stack, token, tmp_path, "analyze", str(folder), "--out", str(out))
    assert first.returncode == 0, first.stderr
    api = ApiClient(stack.api_url, token=token)
    old_batch = api.job(_rows(out)[0]["jobId"])["batchId"]
    assert api.request("DELETE", f"/batches/{old_batch}").status_code == 200

    again = imgrec(stack, token, tmp_path, "analyze", str(folder), "--out", str(out))

    assert again.returncode == 0, again.stderr
    assert f"batch {old_batch} no longer exists" in again.stderr
    rows = _rows(out)
    assert len(rows) == 2 and {row["status"] for row in rows} == {"SUCCEEDED"}
    assert {api.job(row["jobId"])["batchId"] for row in rows} != {old_batch}


def test_analyze_sends_again_a_file_whose_content_changed_and_not_one_only_touched(stack: Any, tmp_path: Path) -> None:
    token = f"cli-changed-{uuid.uuid4().hex[:8]}"
    folder = _folder(tmp_path, range(97, 99))
    out = tmp_path / "out.jsonl"
    assert imgrec(stack, token, tmp_path, "analyze", str(folder), "--out", str(out)).returncode == 0
    before = {row["path"]: row["jobId"] for row in _rows(out)}
    changed, touched = folder / "photo-97.jpg", folder / "photo-98.jpg"
    changed.write_bytes(photo_like(seed=199))
    os.utime(touched)

    again = imgrec(stack, token, tmp_path, "analyze", str(folder), "--out", str(out))

    assert again.returncode == 0, again.stderr
    assert f"file changed since it was sent, analysing it again path={changed}" in again.stderr
    assert str(touched) not in again.stderr
    after = {row["path"]: row["jobId"] for row in _rows(out)}
    assert after[str(changed)] != before[str(changed)]
    assert after[str(touched)] == before[str(touched)]


def test_query_runs_a_named_query_on_the_local_analytics_files(stack: Any, tmp_path: Path) -> None:
    pytest.importorskip("duckdb", reason="the analytics group is not installed")
    token = f"cli-query-{uuid.uuid4().hex[:8]}"
    client = ApiClient(stack.api_url, token=token)
    batch_id, jobs = client.analyze([("q.jpg", photo_like(seed=7))], features=["LABELS", "FACES"])
    client.wait_indexed(batch_id, 1)

    rows: list[dict[str, Any]] = []
    for _ in range(50):  # the analytics record follows the index by a moment
        answer = imgrec(
            stack, token, tmp_path, "query", "--named", "faces-per-batch", "--endpoint-url", stack.aws_url,
            "--format", "jsonl",
        )  # fmt: skip
        assert answer.returncode == 0, answer.stderr
        rows = [row for row in map(json.loads, answer.stdout.splitlines()) if row["batch_id"] == batch_id]
        if rows:
            break
    listed = imgrec(stack, token, tmp_path, "query", "--list")

    assert rows == [
        {
            "batch_id": batch_id,
            "images": 1,
            "faces": len(jobs[0]["results"]["faces"]),
            "images_with_faces": int(bool(jobs[0]["results"]["faces"])),
        }
    ]
    assert "top-labels-by-day" in listed.stdout and "label_names" in listed.stdout
