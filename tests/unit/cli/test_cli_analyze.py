"""`imgrec analyze` end to end against the FAKE API, in process: batches, uploads, submits, results."""

from __future__ import annotations

import csv
import io
import json
import os
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from imgrec import cli
from imgrec.analyze import AnalyzeConfig, AnalyzeRun
from imgrec.client import ImgrecClient
from imgrec.progress import LogDisplay, Progress
from imgrec.results import ResultWriter
from imgrec.state import RunState
from tests.unit.cli.conftest import MakeImages
from tests.unit.cli.fake_imgrec_api import FakeImgrecApi


def _run(fake: FakeImgrecApi, *args: str, token: str = "alice") -> int:
    return cli.main(["analyze", *args, "--api", fake.api_url, "--token", token])


def _lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_a_folder_becomes_one_result_line_per_image(
    fake_api: FakeImgrecApi, make_images: MakeImages, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    images = make_images(12)
    out = tmp_path / "out.jsonl"

    code = _run(fake_api, str(images[0].parent), "--out", str(out), "--features", "labels,faces")

    lines = _lines(out)
    assert code == 0
    assert sorted(line["path"] for line in lines) == sorted(str(p) for p in images)
    assert {line["status"] for line in lines} == {"SUCCEEDED"}
    assert all(line["labels"][0]["name"] in ("Thing", "Jpeg") for line in lines)
    assert all(isinstance(line["faceCount"], int) for line in lines)
    (batch,) = fake_api.batches.values()
    assert batch.options == {"features": ["LABELS", "FACES"]}
    assert "succeeded=12 failed=0" in capsys.readouterr().err


def test_more_than_500_images_are_one_batch_created_then_extended(
    fake_api: FakeImgrecApi, make_images: MakeImages, tmp_path: Path
) -> None:
    images = make_images(1101, size=8)
    out = tmp_path / "out.jsonl"

    code = _run(fake_api, str(images[0].parent), "--out", str(out), "--concurrency", "16")

    assert code == 0
    assert len(fake_api.batches) == 1
    assert fake_api.count("create") == 1
    assert [e.detail for e in fake_api.events if e.kind in ("create", "extend")] == [500, 500, 101]
    assert len(_lines(out)) == 1101
    assert max(fake_api.uploads_per_key().values()) == 1


def test_analysis_is_submitted_while_uploads_are_still_running(
    fake_api: FakeImgrecApi, make_images: MakeImages, tmp_path: Path
) -> None:
    fake_api.upload_delay = 0.02
    images = make_images(120)

    code = _run(fake_api, str(images[0].parent), "--out", str(tmp_path / "o.jsonl"), "--concurrency", "2")

    assert code == 0
    submits, uploads = fake_api.times("submit"), fake_api.times("upload")
    assert len(submits) >= 2
    assert submits[0] < uploads[-1]
    queued = [job for e in fake_api.events if e.kind == "submit" for job in e.detail]
    assert len(queued) == len(set(queued)) == 120


def test_uploads_go_on_while_a_submit_call_is_slow(
    fake_api: FakeImgrecApi, make_images: MakeImages, tmp_path: Path
) -> None:
    fake_api.submit_delay = 0.5
    fake_api.upload_delay = 0.01
    images = make_images(150)

    code = _run(fake_api, str(images[0].parent), "--out", str(tmp_path / "o.jsonl"), "--concurrency", "2")

    assert code == 0
    starts, ends, uploads = fake_api.times("submit-start"), fake_api.times("submit"), fake_api.times("upload")
    during = [sum(1 for u in uploads if start < u < end) for start, end in zip(starts, ends, strict=True)]
    # More than the 2 x concurrency files already handed to the upload threads when the submit began.
    assert max(during) > 10, during


def test_failures_are_listed_and_the_exit_status_is_1(
    fake_api: FakeImgrecApi, make_images: MakeImages, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    images = make_images(3)
    not_an_image = images[0].parent / "fake.jpg"
    not_an_image.write_bytes(b"this is text, not a JPEG")
    text_file = tmp_path / "notes.txt"
    text_file.write_text("hello")
    empty = images[0].parent / "empty.png"
    empty.write_bytes(b"")
    missing = tmp_path / "nowhere"
    fifo = tmp_path / "pipe.jpg"
    os.mkfifo(fifo)
    out = tmp_path / "out.csv"

    code = _run(fake_api, str(images[0].parent), str(missing), str(text_file), str(fifo), "--out", str(out))

    rows = {Path(row["path"]).name: row for row in csv.DictReader(out.open(newline=""))}
    assert code == 1
    assert {name: rows[name]["status"] for name in rows if rows[name]["status"] != "SUCCEEDED"} == {
        "fake.jpg": "FAILED",
        "nowhere": "FAILED",
        "notes.txt": "FAILED",
        "pipe.jpg": "FAILED",
        "empty.png": "FAILED",
    }
    assert rows["fake.jpg"]["errorCode"] == "UNSUPPORTED_FORMAT"
    assert rows["nowhere"]["errorCode"] == "NOT_FOUND"
    assert rows["pipe.jpg"]["errorCode"] == "NOT_A_FILE"
    assert rows["empty.png"]["errorCode"] == "EMPTY_FILE"
    assert sum(1 for row in rows.values() if row["status"] == "SUCCEEDED") == 3
    err = capsys.readouterr().err
    assert "failed=5" in err
    assert "NOT_FOUND" in err
    assert str(missing) in err


def test_a_file_the_api_refuses_as_too_large_is_isolated(
    fake_api: FakeImgrecApi, make_images: MakeImages, tmp_path: Path
) -> None:
    images = make_images(9, size=10)
    images[4].write_bytes(images[4].read_bytes() + b"x" * 5000)
    fake_api.max_upload_bytes = 1000
    out = tmp_path / "out.jsonl"

    code = _run(fake_api, str(images[0].parent), "--out", str(out))

    rows = {Path(str(line["path"])).name: line for line in _lines(out)}
    assert code == 1
    assert rows[images[4].name]["errorCode"] == "FILE_TOO_LARGE"
    assert sum(1 for line in rows.values() if line["status"] == "SUCCEEDED") == 8
    assert len(fake_api.jobs) == 8  # no slot was made for the refused file


def test_polling_honours_retry_after(fake_api: FakeImgrecApi, make_images: MakeImages, tmp_path: Path) -> None:
    fake_api.processing_seconds = 0.5
    fake_api.retry_after = "0.3"
    images = make_images(3)
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        time.sleep(seconds)

    progress = Progress()
    run = AnalyzeRun(
        ImgrecClient(fake_api.api_url, "alice"),
        RunState(str(tmp_path / "state.sqlite")),
        AnalyzeConfig(paths=(str(images[0].parent),)),
        LogDisplay(progress, io.StringIO()),
        progress,
        sleep=sleep,
    )
    writer = ResultWriter(str(tmp_path / "o.jsonl"))
    outcome = run.run(writer)
    writer.close()

    assert outcome.succeeded == 3
    assert slept
    assert set(slept) == {0.3}


def test_running_the_same_command_again_creates_nothing_new(
    fake_api: FakeImgrecApi, make_images: MakeImages, tmp_path: Path
) -> None:
    images = make_images(20)
    out = tmp_path / "out.jsonl"
    assert _run(fake_api, str(images[0].parent), "--out", str(out)) == 0
    first = out.read_text()

    assert _run(fake_api, str(images[0].parent), "--out", str(out)) == 0

    assert len(fake_api.jobs) == 20
    assert fake_api.count("upload") == 20
    assert sorted(out.read_text().splitlines()) == sorted(first.splitlines())


def test_files_added_later_join_the_same_batch(
    fake_api: FakeImgrecApi, make_images: MakeImages, tmp_path: Path
) -> None:
    images = make_images(5)
    out = tmp_path / "out.jsonl"
    assert _run(fake_api, str(images[0].parent), "--out", str(out)) == 0
    for index in range(5, 8):  # three more in the same folder (the first five untouched)
        (images[0].parent / f"img{index:05d}.jpg").write_bytes(images[0].read_bytes()[:4] + bytes([index]) * 64)

    assert _run(fake_api, str(images[0].parent), "--out", str(out)) == 0

    assert len(fake_api.batches) == 1
    assert len(fake_api.jobs) == 8
    assert len(_lines(out)) == 8


def test_an_interrupted_network_resumes_without_duplicates(
    fake_api: FakeImgrecApi, make_images: MakeImages, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    images = make_images(40)
    out = tmp_path / "out.jsonl"
    fake_api.fail_uploads_with_503 = 10_000  # S3 is down: the run stops with exit 2

    code = _run(fake_api, str(images[0].parent), "--out", str(out), "--concurrency", "2")

    assert code == 2
    assert "Try again later" in capsys.readouterr().err
    assert not out.exists()
    fake_api.fail_uploads_with_503 = 0

    assert _run(fake_api, str(images[0].parent), "--out", str(out), "--concurrency", "2") == 0

    assert len(fake_api.jobs) == 40
    assert len(_lines(out)) == 40


def test_an_unreachable_api_says_what_to_do_and_never_prints_the_token(
    make_images: MakeImages,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("IMGREC_API_URL", f"http://127.0.0.1:{port}/api")
    monkeypatch.setenv("IMGREC_TOKEN", "tok-very-secret")
    images = make_images(2)

    code = cli.main(["analyze", str(images[0].parent), "--out", str(tmp_path / "o.jsonl")])

    captured = capsys.readouterr()
    assert code == 2
    assert "cannot reach the imgrec API" in captured.err
    assert "make up" in captured.err
    assert "tok-very-secret" not in captured.err + captured.out


def test_a_refused_token_is_exit_2_with_advice(fake_api: FakeImgrecApi, capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["status", "b-x", "--api", fake_api.api_url, "--token", " "])
    assert code == 2
    assert "IMGREC_TOKEN" in capsys.readouterr().err


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        cli.main(["analyze", "x.jpg", "--features", "LABELS,COLOURS"])
    assert caught.value.code == 2
    assert "COLOURS" in capsys.readouterr().err


def test_status_and_results_of_a_batch(
    fake_api: FakeImgrecApi, make_images: MakeImages, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    images = make_images(4)
    (images[0].parent / "bad.jpg").write_bytes(b"nope")
    assert _run(fake_api, str(images[0].parent), "--out", str(tmp_path / "o.jsonl")) == 1
    (batch_id,) = fake_api.batches
    capsys.readouterr()

    assert cli.main(["status", batch_id, "--api", fake_api.api_url, "--token", "alice"]) == 0
    status = capsys.readouterr().out
    assert f"batch {batch_id}: 5 images, done" in status
    assert "SUCCEEDED       4" in status

    out = tmp_path / "again.csv"
    assert cli.main(["results", batch_id, "--out", str(out), "--api", fake_api.api_url, "--token", "alice"]) == 1
    rows = list(csv.DictReader(out.open(newline="")))
    assert sorted(row["path"] for row in rows) == sorted(["bad.jpg", *(p.name for p in images)])

    assert cli.main(["status", batch_id, "--api", fake_api.api_url, "--token", "mallory"]) == 2


def test_expired_upload_forms_are_replaced_by_fresh_slots_once_per_run(
    fake_api: FakeImgrecApi, make_images: MakeImages, tmp_path: Path
) -> None:
    images = make_images(4)
    state_path = tmp_path / "state.sqlite"
    fake_api.fail_uploads_with_503 = 10_000  # the first run stops before uploading anything
    assert _run(fake_api, str(images[0].parent), "--state", str(state_path)) == 2
    fake_api.fail_uploads_with_503 = 0
    log = io.StringIO()
    progress = Progress()
    # Resumed after the forms' expiry (the fake's forms expire in 2099).
    run = AnalyzeRun(
        ImgrecClient(fake_api.api_url, "alice"),
        RunState(str(state_path)),
        AnalyzeConfig(paths=(str(images[0].parent),)),
        LogDisplay(progress, log),
        progress,
        now=lambda: datetime(2100, 1, 1, tzinfo=UTC),
    )
    writer = ResultWriter(str(tmp_path / "o.jsonl"))
    outcome = run.run(writer)
    writer.close()

    assert outcome.succeeded == 4
    assert "expired_upload_forms=4" in log.getvalue()
    assert len(fake_api.jobs) == 8  # four fresh slots; the four expired ones stay unused
