"""Progress text: the live terminal line and the plain log line."""

from __future__ import annotations

import io

from imgrec.progress import (
    LogDisplay,
    Progress,
    Snapshot,
    TerminalDisplay,
    human_duration,
    log_line,
    status_line,
)


def _snapshot(**overrides: object) -> Snapshot:
    values: dict[str, object] = {
        "files_total": 300,
        "files_done": 100,
        "bytes_total": 3_000_000,
        "bytes_done": 1_000_000,
        "elapsed": 10.0,
        "jobs_total": 100,
        "jobs_succeeded": 80,
        "jobs_failed": 2,
        "phase": "upload",
    }
    values.update(overrides)
    return Snapshot(**values)  # type: ignore[arg-type]


def test_eta_follows_the_byte_rate() -> None:
    snap = _snapshot()
    assert snap.rate == 10.0
    assert snap.eta == 20.0  # 2 MB left at 100 kB/s


def test_the_terminal_line_shows_files_bytes_rate_eta_and_jobs() -> None:
    line = status_line(_snapshot())
    assert line == ("uploaded 100/300 files, 1.0 MB/3.0 MB, 10.0 files/s, ETA 0:20 | analysed 82/100, failed 2")


def test_after_uploads_the_line_shows_analysis_only() -> None:
    line = status_line(_snapshot(phase="analyse", files_done=300, bytes_done=3_000_000))
    assert line.startswith("uploads done (300 files)")
    assert "analysed 82/100" in line


def test_the_log_line_is_key_value() -> None:
    assert log_line(_snapshot()) == (
        "imgrec progress phase=upload uploaded=100/300 bytes=1000000/3000000 rate=10.0/s eta=20s "
        "succeeded=80 failed=2 total=100"
    )


def test_durations() -> None:
    assert human_duration(None) == "--:--"
    assert human_duration(75) == "1:15"
    assert human_duration(3725) == "1:02:05"


def test_terminal_display_redraws_one_line_and_log_display_writes_lines() -> None:
    clock = iter([0.0, 1.0, 1.0, 1.0, 1.0]).__next__
    progress = Progress(clock=clock)
    progress.start_uploads(2, 20)
    tty, log = io.StringIO(), io.StringIO()
    terminal = TerminalDisplay(progress, tty, interval=0)
    plain = LogDisplay(progress, log, interval=0)
    progress.add_bytes(10)
    progress.file_uploaded()
    terminal.refresh(force=True)
    terminal.message("imgrec batch created batch=b-1")
    plain.refresh(force=True)

    assert tty.getvalue().count("\r\x1b[K") >= 2
    assert "imgrec batch created batch=b-1\n" in tty.getvalue()
    assert log.getvalue().startswith("imgrec progress phase=upload uploaded=1/2 bytes=10/20")
    assert "\r" not in log.getvalue()


def test_the_upload_rate_stops_moving_once_uploads_are_done() -> None:
    now = [0.0]
    progress = Progress(clock=lambda: now[0])
    progress.start_uploads(10, 100)
    for _ in range(10):
        progress.file_uploaded()
    now[0] = 5.0
    progress.uploads_finished()
    now[0] = 60.0  # a long wait for the analysis

    snap = progress.snapshot()
    assert snap.phase == "analyse"
    assert snap.rate == 2.0
