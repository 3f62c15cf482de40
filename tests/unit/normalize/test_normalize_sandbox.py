"""The normalizer in child processes: same answers as in-process, and a hard CPU and memory budget per image
that holds whatever the bytes (the cheap refusals are turned off here to reach it), without hanging the
caller, without harming an image normalized next to it, and without leaving processes behind."""

from __future__ import annotations

import os
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from imagejobs.errors import ErrorCode, JobFailure, TransientError
from tests.fixtures.corpus import gif_sub_block_bomb, jpeg_scan_bomb, png_flat_rgba, sample
from worker.normalize import NormalizeLimits, normalize
from worker.normalize.sandbox.parent import NormalizeBudget, NormalizerUnavailableError, SandboxedNormalizer

LIMITS = NormalizeLimits()
# Cheap refusals off: only the sandbox's OS limits stand between these inputs and the machine.
NO_PREFLIGHT_SCANS = NormalizeLimits(max_jpeg_scans=1_000_000)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxedNormalizer]:
    # A generous wall-clock deadline, so on a loaded machine it is the CPU limit that stops the bomb (the
    # deadline has a test of its own, with a child that hangs).
    running = SandboxedNormalizer(NormalizeBudget(cpu_seconds=1, memory_mb=384, wall_seconds=120), processes=2)
    started = running.pids
    try:
        yield running
    finally:
        running.close()
        assert running.pids == []
        assert not any(_alive(pid) for pid in started)


def _outcome(normalizer, name: str) -> str:
    try:
        return normalizer(sample(name), LIMITS).record.sha256
    except JobFailure as failure:
        return f"{failure.code.value}: {failure.message}"


@pytest.mark.parametrize(
    "name",
    ["jpeg_orientation_6", "png_rgba", "heic_rotated", "avif_rotated", "gif_comment_70k", "jpeg_compliant_metadata"],
)
def test_children_give_the_same_answer_as_the_function(sandbox, name):
    assert _outcome(sandbox, name) == _outcome(normalize, name)


@pytest.mark.parametrize("name", ["jpeg_truncated", "png_claims_100000x100000", "jpeg_scan_bomb", "svg"])
def test_children_give_the_same_refusals_as_the_function(sandbox, name):
    assert _outcome(sandbox, name) == _outcome(normalize, name)


def test_a_scan_bomb_past_the_walk_is_stopped_by_the_cpu_budget_while_another_image_goes_through(sandbox):
    # ~1,900 scans over a 16 MP canvas: several seconds of libjpeg, far over the 1 s budget.
    bomb = jpeg_scan_bomb((4000, 4000), 1900)
    finished: list[str] = []
    outcomes: dict[str, object] = {}

    def run(label: str, data: bytes) -> None:
        try:
            outcomes[label] = sandbox(data, NO_PREFLIGHT_SCANS)
        except JobFailure as failure:
            outcomes[label] = failure
        finished.append(label)

    threads = [threading.Thread(target=run, args=("bomb", bomb))]
    threads[0].start()
    threads.append(threading.Thread(target=run, args=("photo", sample("jpeg_orientation_6"))))
    threads[1].start()
    for thread in threads:
        thread.join(timeout=60)

    failure = outcomes["bomb"]
    assert isinstance(failure, JobFailure)
    assert failure.code is ErrorCode.TOO_COMPLEX
    assert "more than 1 s of CPU time" in failure.message
    assert finished == ["photo", "bomb"]  # the other image did not wait for the bomb
    assert outcomes["photo"].record.sha256 == normalize(sample("jpeg_orientation_6")).record.sha256  # type: ignore[union-attr]
    assert _outcome(sandbox, "png_rgba") == _outcome(normalize, "png_rgba")  # a fresh child took its place


def test_an_image_over_the_memory_budget_ends_too_complex_and_the_child_is_replaced(sandbox):
    # 10000 x 10000 RGBA (the pixel cap) decodes to 400 MB: over a 384 MB address space by itself.
    data = png_flat_rgba((10_000, 10_000))
    before = set(sandbox.pids)

    with pytest.raises(JobFailure) as failure:
        sandbox(data, LIMITS)

    assert failure.value.code is ErrorCode.TOO_COMPLEX
    assert "more than 384 MB of memory" in failure.value.message
    assert set(sandbox.pids) != before
    assert _outcome(sandbox, "jpeg_orientation_6") == _outcome(normalize, "jpeg_orientation_6")


def test_the_sub_block_gif_is_refused_inside_a_small_memory_budget(sandbox):
    # Pillow's parser would need ~1.8 GB for it; the walk refuses it first, well inside 384 MB.
    with pytest.raises(JobFailure) as failure:
        sandbox(gif_sub_block_bomb(20_000_000), LIMITS)

    assert failure.value.code is ErrorCode.TOO_COMPLEX
    assert "extension data into more than" in failure.value.message


def test_a_child_killed_while_idle_is_replaced_without_failing_the_image(sandbox):
    for pid in sandbox.pids:
        os.kill(pid, 9)

    assert _outcome(sandbox, "png_rgba") == _outcome(normalize, "png_rgba")


# ------------------------------------------------------------------------ the parent, against fake children


def _fake_child(tmp_path: Path, body: str) -> str:
    """An executable standing in for `python -m worker.normalize.sandbox.child`: it speaks the protocol
    (or fails to) as `body` says; its arguments are ignored."""
    script = tmp_path / "fake_child"
    script.write_text(
        f"#!{sys.executable}\n"
        + textwrap.dedent(
            """
            import json, signal, struct, sys, time
            signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # a closed parent ends the fake quietly
            out = sys.stdout.buffer
            def send(header, payload=b""):
                raw = json.dumps(header).encode()
                out.write(struct.pack(">II", len(raw), len(payload)) + raw + payload)
                out.flush()
            def receive():
                h, p = struct.unpack(">II", sys.stdin.buffer.read(8))
                request = json.loads(sys.stdin.buffer.read(h)), sys.stdin.buffer.read(p)
                send({"kind": "accepted"})
                return request
            """
        )
        + textwrap.dedent(body)
    )
    script.chmod(0o755)
    return str(script)


def test_a_crash_inside_the_child_ends_internal_with_its_traceback_logged(tmp_path, caplog):
    python = _fake_child(
        tmp_path,
        """
        send({"kind": "ready"})
        receive()
        send({"kind": "crashed", "error": "ValueError('boom')", "traceback": "Traceback: fake-trace", "exiting": True})
        """,
    )
    fake = SandboxedNormalizer(NormalizeBudget(cpu_seconds=1, memory_mb=256), processes=1, python=python)
    try:
        with pytest.raises(JobFailure) as failure:
            fake(b"any bytes", LIMITS)
    finally:
        fake.close()

    assert failure.value.code is ErrorCode.INTERNAL
    logged = [record for record in caplog.records if record.getMessage() == "normalizer crashed"]
    assert len(logged) == 1
    assert "fake-trace" in str(vars(logged[0]))  # the worker's structured log line carries the traceback


def test_a_child_that_never_answers_is_killed_at_the_deadline(tmp_path):
    python = _fake_child(tmp_path, 'send({"kind": "ready"})\nreceive()\ntime.sleep(600)\n')
    fake = SandboxedNormalizer(NormalizeBudget(cpu_seconds=1, memory_mb=256), processes=1, python=python)
    pid = fake.pids[0]
    try:
        with pytest.raises(JobFailure) as failure:
            fake(b"any bytes", LIMITS)
    finally:
        fake.close()

    assert failure.value.code is ErrorCode.TOO_COMPLEX
    assert "longer than 3 s" in failure.value.message  # 2 x 1 s + 1 s
    assert not _alive(pid)


def test_children_that_cannot_start_make_the_job_transient_not_failed(tmp_path):
    fake = SandboxedNormalizer(
        NormalizeBudget(cpu_seconds=1, memory_mb=256), processes=1, python=_fake_child(tmp_path, "sys.exit(3)\n")
    )
    try:
        with pytest.raises(NormalizerUnavailableError) as error:
            fake(b"any bytes", LIMITS)
    finally:
        fake.close()

    assert isinstance(error.value, TransientError)


def test_a_closed_sandbox_refuses_work_instead_of_blocking():
    closed = SandboxedNormalizer(NormalizeBudget(cpu_seconds=1, memory_mb=256), processes=1)
    closed.close()

    with pytest.raises(NormalizerUnavailableError):
        closed(sample("jpeg_compliant"), LIMITS)
    assert closed.pids == []


def test_a_lazy_sandbox_starts_a_child_only_for_an_image_that_needs_one():
    lazy = SandboxedNormalizer(NormalizeBudget(cpu_seconds=1, memory_mb=256), processes=2, start=False)
    try:
        assert lazy.pids == []
        assert _outcome(lazy, "jpeg_compliant") == _outcome(normalize, "jpeg_compliant")
        assert len(lazy.pids) == 1
        lazy.start()
        assert len(lazy.pids) == 2
    finally:
        lazy.close()
