"""Progress: thread-safe counters, a pure formatter, and two displays (one live line on a terminal, plain
key=value log lines otherwise)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol, TextIO


@dataclass(frozen=True)
class Snapshot:
    files_total: int
    files_done: int
    bytes_total: int
    bytes_done: int
    elapsed: float
    jobs_total: int
    jobs_succeeded: int
    jobs_failed: int
    phase: str  # "upload" | "analyse"

    @property
    def rate(self) -> float:
        return self.files_done / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def eta(self) -> float | None:
        if self.elapsed <= 0 or self.files_done >= self.files_total:
            return None
        if self.bytes_total and self.bytes_done:
            return (self.bytes_total - self.bytes_done) / (self.bytes_done / self.elapsed)
        if self.files_done:
            return (self.files_total - self.files_done) / self.rate
        return None


class Progress:
    """Counters updated from upload threads and read by the display."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self._started = clock()
        self.files_total = self.bytes_total = self.files_done = self.bytes_done = 0
        self.jobs_total = self.jobs_succeeded = self.jobs_failed = 0
        self.phase = "upload"
        self._upload_seconds: float | None = None

    def uploads_finished(self) -> None:
        """Freezes the upload clock: rate and ETA describe the uploads, not the wait that follows."""
        with self._lock:
            self._upload_seconds = self._clock() - self._started
            self.phase = "analyse"

    def start_uploads(self, files: int, size: int) -> None:
        with self._lock:
            self.files_total, self.bytes_total = files, size
            self._started = self._clock()

    def add_bytes(self, n: int) -> None:
        with self._lock:
            self.bytes_done += n

    def file_uploaded(self) -> None:
        with self._lock:
            self.files_done += 1

    def set_jobs(self, counts: Mapping[str, int], total: int) -> None:
        with self._lock:
            self.jobs_total = total
            self.jobs_succeeded = int(counts.get("SUCCEEDED", 0))
            self.jobs_failed = int(counts.get("FAILED", 0)) + int(counts.get("PARTIAL", 0))

    def snapshot(self) -> Snapshot:
        with self._lock:
            return Snapshot(
                files_total=self.files_total,
                files_done=self.files_done,
                bytes_total=self.bytes_total,
                bytes_done=self.bytes_done,
                elapsed=self._upload_seconds if self._upload_seconds is not None else self._clock() - self._started,
                jobs_total=self.jobs_total,
                jobs_succeeded=self.jobs_succeeded,
                jobs_failed=self.jobs_failed,
                phase=self.phase,
            )


def human_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if abs(n) < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} GB"  # pragma: no cover - the loop returns at GB


def human_duration(seconds: float | None) -> str:
    if seconds is None:
        return "--:--"
    seconds = round(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def status_line(s: Snapshot) -> str:
    """The live line: uploads (files, bytes, rate, ETA), then analysis (done, failed)."""
    jobs_done = s.jobs_succeeded + s.jobs_failed
    analysed = f"analysed {jobs_done}/{s.jobs_total}, failed {s.jobs_failed}"
    if s.phase == "upload":
        return (
            f"uploaded {s.files_done}/{s.files_total} files, "
            f"{human_bytes(s.bytes_done)}/{human_bytes(s.bytes_total)}, "
            f"{s.rate:.1f} files/s, ETA {human_duration(s.eta)} | {analysed}"
        )
    return f"uploads done ({s.files_done} files) | {analysed}"


def log_line(s: Snapshot) -> str:
    """The same facts as key=value pairs, for logs and CI output."""
    eta = s.eta
    return (
        f"imgrec progress phase={s.phase} uploaded={s.files_done}/{s.files_total} "
        f"bytes={s.bytes_done}/{s.bytes_total} rate={s.rate:.1f}/s "
        f"eta={'-' if eta is None else f'{eta:.0f}s'} "
        f"succeeded={s.jobs_succeeded} failed={s.jobs_failed} total={s.jobs_total}"
    )


class Display(Protocol):
    def refresh(self, force: bool = False) -> None: ...
    def message(self, text: str) -> None: ...
    def finish(self) -> None: ...


class TerminalDisplay:
    """One line redrawn in place on a terminal."""

    def __init__(self, progress: Progress, stream: TextIO, interval: float = 0.2) -> None:
        self._progress, self._stream, self._interval = progress, stream, interval
        self._last = 0.0
        self._shown = False

    def refresh(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last < self._interval:
            return
        self._last = now
        self._stream.write("\r\x1b[K" + status_line(self._progress.snapshot()))
        self._stream.flush()
        self._shown = True

    def message(self, text: str) -> None:
        self._stream.write(("\r\x1b[K" if self._shown else "") + text + "\n")
        self._shown = False
        self.refresh(force=True)

    def finish(self) -> None:
        self.refresh(force=True)
        self._stream.write("\n")
        self._stream.flush()


class LogDisplay:
    """Plain lines, one every `interval` seconds, for pipes, files and CI."""

    def __init__(self, progress: Progress, stream: TextIO, interval: float = 5.0) -> None:
        self._progress, self._stream, self._interval = progress, stream, interval
        self._last = time.monotonic()

    def refresh(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last < self._interval:
            return
        self._last = now
        self._stream.write(log_line(self._progress.snapshot()) + "\n")
        self._stream.flush()

    def message(self, text: str) -> None:
        self._stream.write(text + "\n")
        self._stream.flush()

    def finish(self) -> None:
        self.refresh(force=True)
