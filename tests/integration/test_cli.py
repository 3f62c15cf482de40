"""`imgrec` as a user runs it (a subprocess) against the real embedded stack (the session `stack` fixture)."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.support.images import photo_like

RUN_TIMEOUT = 400


def _env(stack: Any, token: str, state_dir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "IMGREC_API_URL": stack.api_url,
        "IMGREC_TOKEN": token,
        "IMGREC_STATE_DIR": str(state_dir),
    }


def _imgrec(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "imgrec.cli", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _get(stack: Any, token: str, path: str) -> dict[str, Any]:
    answer = requests.get(stack.api_url + path, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert answer.status_code == 200, answer.text
    data: dict[str, Any] = answer.json()
    return data


def _batches(stack: Any, token: str) -> list[dict[str, Any]]:
    batches: list[dict[str, Any]] = _get(stack, token, "/batches?limit=100")["batches"]
    return batches


def _all_jobs(stack: Any, token: str, batch_id: str) -> Iterator[dict[str, Any]]:
    next_token: str | None = None
    while True:
        query = f"?limit=100&nextToken={next_token}" if next_token else "?limit=100"
        page = _get(stack, token, f"/batches/{batch_id}/jobs{query}")
        yield from page["jobs"]
        next_token = page.get("nextToken")
        if not next_token:
            return


def _wait_until_submitted(stack: Any, token: str, at_least: int, proc: subprocess.Popen[str]) -> None:
    """Polls the API (not the client) until `at_least` jobs of the caller's batch have left AWAITING_UPLOAD."""
    deadline = time.monotonic() + RUN_TIMEOUT
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        batches = _batches(stack, token)
        if batches:
            counts = batches[0]["counts"]
            if batches[0]["total"] - counts["AWAITING_UPLOAD"] >= at_least:
                return
        time.sleep(0.2)
    raise AssertionError("the first run never got going")


def _finish(proc: subprocess.Popen[str], stack: Any, token: str) -> tuple[str, str]:
    """Waits for the CLI; if it never ends, fails with what the API says is still pending (not the CLI's fault
    when jobs stay PROCESSING)."""
    try:
        return proc.communicate(timeout=RUN_TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
        pending = [
            (job["jobId"], job["status"], job["updatedAt"])
            for batch in _batches(stack, token)
            for job in _all_jobs(stack, token, batch["batchId"])
            if job["status"] not in ("SUCCEEDED", "PARTIAL", "FAILED")
        ]
        raise AssertionError(
            f"imgrec still waiting after {RUN_TIMEOUT}s; batches: {_batches(stack, token)}; "
            f"jobs not finished: {pending}; client log tail: {err[-1500:]}"
        ) from None


@pytest.fixture
def photos(tmp_path: Path) -> Path:
    folder = tmp_path / "photos"
    (folder / "more").mkdir(parents=True)
    for i in range(300):
        # Small but over Rekognition's 80 px minimum; a third in a subfolder, a third PNG.
        target = folder / "more" if i % 3 == 0 else folder
        fmt, ext = ("PNG", "png") if i % 3 == 1 else ("JPEG", "jpg")
        (target / f"photo-{i:03d}.{ext}").write_bytes(photo_like(96, 96, seed=i, fmt=fmt))
    return folder


@pytest.mark.timeout(900)
def test_300_images_killed_part_way_then_resumed_give_300_results_and_no_duplicate_job(
    stack: Any, photos: Path, tmp_path: Path
) -> None:
    token = f"cli-{uuid.uuid4().hex[:8]}"
    env = _env(stack, token, tmp_path / "state")
    out = tmp_path / "results.jsonl"
    command = ["analyze", str(photos), "--out", str(out), "--concurrency", "8"]

    # Given a run killed (no chance to clean up) once part of the images are uploaded and submitted.
    first = _imgrec(*command, env=env)
    _wait_until_submitted(stack, token, at_least=60, proc=first)
    first.send_signal(signal.SIGKILL)
    first.communicate(timeout=30)
    assert not out.exists()

    # When the same command runs again.
    second = _imgrec(*command, env=env)
    _, err = _finish(second, stack, token)

    # Then every image has its result line, all succeeded, and the API holds one job per image.
    assert second.returncode == 0, err
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(lines) == 300
    assert sorted(Path(line["path"]).name for line in lines) == sorted(p.name for p in photos.rglob("photo-*"))
    assert {line["status"] for line in lines} == {"SUCCEEDED"}
    assert all(isinstance(line["labels"], list) and line["faceCount"] is None for line in lines)  # LABELS only
    (batch,) = _batches(stack, token)
    assert batch["total"] == 300
    assert batch["counts"]["SUCCEEDED"] == 300
    jobs = list(_all_jobs(stack, token, batch["batchId"]))
    assert len({job["jobId"] for job in jobs}) == 300
    assert {line["jobId"] for line in lines} == {job["jobId"] for job in jobs}
    assert "already_uploaded=" in err and "already_uploaded=0 " not in err


def test_bad_inputs_are_reported_without_stopping_the_rest_then_status_and_results(stack: Any, tmp_path: Path) -> None:
    token = f"cli-{uuid.uuid4().hex[:8]}"
    env = _env(stack, token, tmp_path / "state")
    folder = tmp_path / "mixed"
    folder.mkdir()
    for i in range(3):
        (folder / f"good-{i}.jpg").write_bytes(photo_like(120, 90, seed=100 + i))
    (folder / "not-an-image.jpg").write_bytes(b"%PDF-1.4 this is not a picture at all")
    (folder / "readme.txt").write_text("skipped: not an image extension inside a folder")
    os.mkfifo(folder / "camera-pipe.jpg")  # cannot be read as a file (chmod 000 would not stop root)
    notes = tmp_path / "notes.txt"
    notes.write_text("named on the command line, so reported")
    missing = tmp_path / "does-not-exist"
    out = tmp_path / "results.csv"

    run = _imgrec("analyze", str(folder), str(notes), str(missing), "--out", str(out), env=env)
    _, err = run.communicate(timeout=RUN_TIMEOUT)

    assert run.returncode == 1, err
    rows = {Path(row["path"]).name: row for row in csv.DictReader(out.open(newline=""))}
    assert set(rows) == {
        "good-0.jpg",
        "good-1.jpg",
        "good-2.jpg",
        "not-an-image.jpg",
        "camera-pipe.jpg",
        "notes.txt",
        "does-not-exist",
    }
    assert {rows[f"good-{i}.jpg"]["status"] for i in range(3)} == {"SUCCEEDED"}
    assert (rows["not-an-image.jpg"]["status"], rows["not-an-image.jpg"]["errorCode"]) == (
        "FAILED",
        "UNSUPPORTED_FORMAT",
    )
    assert rows["camera-pipe.jpg"]["errorCode"] == "NOT_A_FILE"
    assert rows["notes.txt"]["errorCode"] == "UNSUPPORTED_FORMAT"
    assert rows["does-not-exist"]["errorCode"] == "NOT_FOUND"
    for name in ("not-an-image.jpg", "camera-pipe.jpg", "notes.txt", "does-not-exist"):
        assert name in err  # listed on the terminal too

    (batch,) = _batches(stack, token)
    assert batch["total"] == 4  # only the files worth sending got a job

    status = _imgrec("status", batch["batchId"], env=env)
    text, _ = status.communicate(timeout=60)
    assert status.returncode == 0
    assert f"batch {batch['batchId']}: 4 images, done" in text

    again = tmp_path / "again.jsonl"
    results = _imgrec("results", batch["batchId"], "--out", str(again), env=env)
    results.communicate(timeout=60)
    assert results.returncode == 1  # one image failed
    lines = [json.loads(line) for line in again.read_text().splitlines()]
    assert sorted(line["status"] for line in lines) == ["FAILED", "SUCCEEDED", "SUCCEEDED", "SUCCEEDED"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode; the FIFO case covers it")
def test_a_file_without_read_permission_is_reported(stack: Any, tmp_path: Path) -> None:
    token = f"cli-{uuid.uuid4().hex[:8]}"
    locked = tmp_path / "locked.jpg"
    locked.write_bytes(photo_like(120, 90, seed=7))
    locked.chmod(0)
    out = tmp_path / "r.jsonl"

    run = _imgrec("analyze", str(locked), "--out", str(out), env=_env(stack, token, tmp_path / "state"))
    run.communicate(timeout=RUN_TIMEOUT)

    assert run.returncode == 1
    (line,) = [json.loads(line) for line in out.read_text().splitlines()]
    assert line["errorCode"] == "UNREADABLE"


def test_an_unknown_token_sees_nothing_and_a_wrong_url_says_what_to_do(stack: Any, tmp_path: Path) -> None:
    env = _env(stack, "someone-else", tmp_path / "state")
    status = _imgrec("status", "b-" + "0" * 32, env=env)
    _, err = status.communicate(timeout=60)
    assert status.returncode == 2
    assert "NOT_FOUND" in err

    env["IMGREC_API_URL"] = "http://127.0.0.1:9/api"
    env["IMGREC_TOKEN"] = "do-not-print-me"
    status = _imgrec("status", "b-" + "0" * 32, env=env)
    _, err = status.communicate(timeout=60)
    assert status.returncode == 2
    assert "cannot reach the imgrec API at http://127.0.0.1:9/api" in err
    assert "do-not-print-me" not in err
