"""Stopping a run at the worst moments and running the same command again, against the FAKE API."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from imgrec.analyze import AnalyzeConfig, AnalyzeRun, fingerprint
from imgrec.client import AnalysisRequest, ImageSpec, ImgrecClient
from imgrec.progress import LogDisplay, Progress
from imgrec.results import ResultWriter
from imgrec.scan import scan
from imgrec.state import PendingIntent, RunState
from tests.unit.cli.conftest import MakeImages
from tests.unit.cli.fake_imgrec_api import FakeImgrecApi


def _spawn(fake: FakeImgrecApi, folder: Path, out: Path, state: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "IMGREC_API_URL": fake.api_url, "IMGREC_TOKEN": "alice"}
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "imgrec.cli",
            "analyze",
            str(folder),
            "--out",
            str(out),
            "--state",
            str(state),
            "--concurrency",
            "4",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for_uploads(fake: FakeImgrecApi, count: int, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 30
    while fake.count("upload") < count:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the run did not get going"
        time.sleep(0.01)


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_a_run_stopped_part_way_resumes_without_duplicate_jobs_or_uploads(
    fake_api: FakeImgrecApi, make_images: MakeImages, tmp_path: Path, how: signal.Signals
) -> None:
    images = make_images(300, size=16)
    out, state = tmp_path / "out.jsonl", tmp_path / "run.sqlite"
    fake_api.upload_delay = 0.005

    first = _spawn(fake_api, images[0].parent, out, state)
    _wait_for_uploads(fake_api, 100, first)
    first.send_signal(how)
    _, err = first.communicate(timeout=30)
    uploaded_before = fake_api.count("upload")

    assert first.returncode == (-signal.SIGKILL if how == signal.SIGKILL else 130)
    if how == signal.SIGTERM:
        assert "run the same command again to resume" in err
    assert uploaded_before < 300
    assert not out.exists()

    second = _spawn(fake_api, images[0].parent, out, state)
    _, err = second.communicate(timeout=60)

    assert second.returncode == 0, err
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert sorted(line["path"] for line in lines) == sorted(str(p) for p in images)
    assert {line["status"] for line in lines} == {"SUCCEEDED"}
    assert len(fake_api.batches) == 1
    assert len(fake_api.jobs) == 300  # not one job created twice
    # What was uploaded and recorded is not sent again: only the few in flight or not yet recorded.
    resent = fake_api.count("upload") - 300
    assert resent < 60, resent


def _analyze_in_process(fake: FakeImgrecApi, folder: Path, state: Path, out: Path, log: io.StringIO) -> int:
    progress = Progress()
    run = AnalyzeRun(
        ImgrecClient(fake.api_url, "alice"),
        RunState(str(state)),
        AnalyzeConfig(paths=(str(folder),), request=AnalysisRequest()),
        LogDisplay(progress, log),
        progress,
    )
    writer = ResultWriter(str(out))
    outcome = run.run(writer)
    writer.close()
    return outcome.failed


def _crash_inside_a_slot_request(fake: FakeImgrecApi, folder: Path, state_path: Path, first_chunk: int | None) -> None:
    """A run that committed its intent, whose call reached the API, and that died before recording the answer.

    With `first_chunk`, the batch was created (and recorded) with that many files first, and the lost
    request is the extension that follows.
    """
    config = AnalyzeConfig(paths=(str(folder),))
    client = ImgrecClient(fake.api_url, "alice")
    state = RunState(str(state_path))
    state.bind(fingerprint(client.api_url, config))
    state.record_scan(scan(config.paths))
    if first_chunk is not None:
        intent = state.begin_slots(first_chunk)
        assert intent is not None
        created = client.create_batch(_specs(intent), config.request, idempotency_key=intent.key)
        state.finish_slots(intent, created.batch_id, created.jobs)
    intent = state.begin_slots(500)
    assert intent is not None
    if intent.batch_id is None:
        client.create_batch(_specs(intent), config.request, idempotency_key=intent.key)
    else:
        client.add_images(intent.batch_id, _specs(intent), idempotency_key=intent.key)
    state.close()  # the crash: the answer is never recorded


def _specs(intent: PendingIntent) -> list[ImageSpec]:
    return [ImageSpec(Path(f.path).name, f.content_type, f.size) for f in intent.files]


@pytest.mark.parametrize("first_chunk", [None, 3], ids=["create", "extend"])
def test_a_crash_after_a_slot_request_reached_the_api_creates_nothing_twice(
    fake_api: FakeImgrecApi, make_images: MakeImages, tmp_path: Path, first_chunk: int | None
) -> None:
    images = make_images(7)
    state_path, log = tmp_path / "run.sqlite", io.StringIO()
    _crash_inside_a_slot_request(fake_api, images[0].parent, state_path, first_chunk)
    assert len(fake_api.jobs) == 7

    failed = _analyze_in_process(fake_api, images[0].parent, state_path, tmp_path / "out.jsonl", log)

    # The call is repeated under the same key, and the API answers with what it already made.
    assert failed == 0
    assert len(fake_api.batches) == 1
    assert len(fake_api.jobs) == 7
    assert "repeating an unanswered upload-slot request" in log.getvalue()
    assert "unused_slots" not in log.getvalue()


def test_an_api_that_ignores_idempotency_keys_leaves_unused_slots_and_the_client_says_so(
    fake_api: FakeImgrecApi, make_images: MakeImages, tmp_path: Path
) -> None:
    fake_api.honour_idempotency_key = False
    images = make_images(7)
    state_path, log = tmp_path / "run.sqlite", io.StringIO()
    _crash_inside_a_slot_request(fake_api, images[0].parent, state_path, first_chunk=3)

    failed = _analyze_in_process(fake_api, images[0].parent, state_path, tmp_path / "out.jsonl", log)

    assert failed == 0
    assert len(fake_api.jobs) == 11  # 4 slots made twice: the API cannot tell a repeat from a new request
    assert "imgrec warning unused_slots=4" in log.getvalue()
    assert len((tmp_path / "out.jsonl").read_text().splitlines()) == 7
