"""SandboxedNormalizer: the worker's normalizer port, run in long-lived child processes with OS limits.

Python threads cannot be stopped, so an image that makes a decoder spin or swell would hold a worker slot
and its memory for as long as it likes. Here each normalization runs in a child process (started once,
reused for every image) under a memory cap (RLIMIT_AS), a CPU budget per image (RLIMIT_CPU, raised before
each job) and a deadline the parent enforces itself (2x the CPU budget + 1 s, for whatever does not burn
CPU). A child that goes over, crashes or falls silent is killed and replaced, and the job ends TOO_COMPLEX
with a sentence naming the budget. The parent never waits on a child without a deadline.

Children are plain `python -m` processes on pipes (no fork of the multithreaded worker; no
multiprocessing, whose queues need /dev/shm, absent in AWS Lambda), with a minimal environment: no AWS
credentials. This bounds resources; it is not a security boundary (same user, no seccomp).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import queue
import select
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from imagejobs.errors import ErrorCode, JobFailure, TransientError
from imagejobs.observability import logger
from worker.normalize.model import NormalizedImage, NormalizeLimits
from worker.normalize.sandbox.protocol import (
    PREFIX,
    Header,
    ProtocolError,
    decode_header,
    decode_prefix,
    encode_frame,
    image_from_json,
    limits_to_json,
)

# A child imports Pillow and the normalizer (0.5-2 s here); a cold Lambda disk can be far slower.
START_SECONDS = 30.0
# Closing: how long a child gets to exit after its stdin closes before it is killed.
STOP_SECONDS = 2.0
# Linux's default cap for an unprivileged process (/proc/sys/fs/pipe-max-size).
_PIPE_BYTES = 1024 * 1024
_ENVIRONMENT = ("PATH", "LD_LIBRARY_PATH", "LANG", "LC_ALL", "TMPDIR")
# The directory that holds the `worker` package, so children import the same code in Lambda (/var/task).
_CODE_ROOT = str(Path(__file__).resolve().parents[3])


class NormalizerUnavailableError(TransientError):
    """No child could be started or reached: an infrastructure problem, so the job is retried later."""


@dataclass(frozen=True)
class NormalizeBudget:
    """What one image may use in a child. The wall-clock deadline defaults to 2x the CPU budget + 1 s: room
    for a child that shares the CPU with the other and with the worker, and a stop for one that hangs."""

    cpu_seconds: int
    memory_mb: int
    wall_seconds: float | None = None

    @property
    def deadline_seconds(self) -> float:
        return self.wall_seconds if self.wall_seconds is not None else 2.0 * self.cpu_seconds + 1.0


class _DeadlinePassedError(Exception):
    """The image's deadline passed while waiting on its child."""


class _Child:
    """One child process and its two pipe ends; used by one thread at a time."""

    def __init__(self, python: str, budget: NormalizeBudget) -> None:
        command = [
            python,
            "-m",
            "worker.normalize.sandbox.child",
            f"--memory-mb={budget.memory_mb}",
            f"--cpu-seconds={budget.cpu_seconds}",
        ]
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and module, no shell
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=_child_environment(), close_fds=True
        )
        assert self.process.stdin is not None and self.process.stdout is not None
        self._to_child = self.process.stdin.fileno()
        self._from_child = self.process.stdout.fileno()
        for fd in (self._to_child, self._from_child):
            os.set_blocking(fd, False)
            # 1 MB pipes instead of 64 KB: a 3 MB photo crosses in 3 writes, not 48 context switches.
            with contextlib.suppress(OSError):
                fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, _PIPE_BYTES)
        self.ready = False
        self.retired = False

    @property
    def pid(self) -> int:
        return self.process.pid

    def wait_ready(self) -> None:
        header, _ = self.receive(time.monotonic() + START_SECONDS)
        if header.get("kind") != "ready":
            raise ProtocolError("first frame is not 'ready'")
        self.ready = True

    def send(self, header: Header, payload: bytes, deadline: float) -> None:
        for buffer in encode_frame(header, payload):
            view = memoryview(buffer)
            while view:
                _wait(self._to_child, deadline, writing=True)
                try:
                    written = os.write(self._to_child, view[: 1 << 20])
                except BlockingIOError:
                    continue
                view = view[written:]

    def receive(self, deadline: float) -> tuple[Header, bytes]:
        header_length, payload_length = decode_prefix(self._read(PREFIX.size, deadline))
        header = decode_header(self._read(header_length, deadline))
        return header, self._read(payload_length, deadline)

    def _read(self, size: int, deadline: float) -> bytes:
        buffer = bytearray()
        while len(buffer) < size:
            _wait(self._from_child, deadline, writing=False)
            try:
                chunk = os.read(self._from_child, min(size - len(buffer), 1 << 20))
            except BlockingIOError:
                continue
            if not chunk:
                raise EOFError("the child closed its end")
            buffer += chunk
        return bytes(buffer)

    def stop(self, *, kill: bool) -> int:
        """End the child (politely unless `kill`) and reap it; returns its exit status."""
        self.retired = True
        if kill:
            self.process.kill()
        else:
            self._close_pipes()
        try:
            status = self.process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            status = self.process.wait()
        self._close_pipes()
        return status

    def _close_pipes(self) -> None:
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None and not stream.closed:
                # A pipe whose other end is gone may fail to flush on close; it is closed all the same.
                with contextlib.suppress(OSError):
                    stream.close()


def _wait(fd: int, deadline: float, *, writing: bool) -> None:
    """Until `fd` can be written (or read, or is at EOF), or the deadline passes. poll, not select: the
    worker may hold more than select's 1,024 descriptors."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise _DeadlinePassedError
    poller = select.poll()
    poller.register(fd, select.POLLOUT if writing else select.POLLIN)
    if not poller.poll(remaining * 1000):
        raise _DeadlinePassedError


def _child_environment() -> dict[str, str]:
    env = {name: os.environ[name] for name in _ENVIRONMENT if name in os.environ}
    inherited = os.environ.get("PYTHONPATH")
    env["PYTHONPATH"] = _CODE_ROOT + (os.pathsep + inherited if inherited else "")
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    # Fewer glibc arenas: each reserves address space that RLIMIT_AS counts.
    env["MALLOC_ARENA_MAX"] = "2"
    return env


class _DiedIdleError(Exception):
    """The child was gone before it read the request: not the image's doing."""


class SandboxedNormalizer:
    """`normalize(data, limits)` in child processes: the same contract (a NormalizedImage or a JobFailure),
    plus TOO_COMPLEX when an image exceeds its budget, and NormalizerUnavailableError (transient) when no
    child can run at all. Thread-safe; `processes` jobs run at once, further callers wait for a child."""

    def __init__(
        self, budget: NormalizeBudget, processes: int = 2, python: str | None = None, *, start: bool = True
    ) -> None:
        self.budget = budget
        self._python = python or sys.executable
        # One entry per slot: an idle child, or None for a slot whose child must be (re)started.
        self._idle: queue.SimpleQueue[_Child | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._live: set[_Child] = set()
        self._closed = False
        for _ in range(processes):
            self._idle.put(None)
        if start:
            self.start()

    def start(self, wait: bool = False) -> None:
        """Start a child in every empty idle slot now (they import in the background), instead of on the
        first image that needs one: call it during a Lambda's init phase, with `wait` to have them ready
        (imports done) before init ends, so the first invocation does not wait for them."""
        slots: list[_Child | None] = []
        while True:
            try:
                slots.append(self._idle.get_nowait())
            except queue.Empty:
                break
        try:
            for index, child in enumerate(slots):
                if child is None:
                    slots[index] = self._spawn()
            for child in slots:
                if wait and child is not None and not child.ready:
                    child.wait_ready()
        finally:
            for child in slots:
                self._idle.put(child)

    def __call__(self, data: bytes, limits: NormalizeLimits) -> NormalizedImage:
        child = self._idle.get()
        try:
            child = child if child is not None else self._spawn()
            try:
                return self._run(child, data, limits)
            except _DiedIdleError:
                logger.warning("normalizer child died while idle", pid=child.pid)
            child = self._spawn()  # once: the image has not been seen by anyone yet
            try:
                return self._run(child, data, limits)
            except _DiedIdleError as error:
                raise NormalizerUnavailableError("normalizer children keep dying while idle") from error
        finally:
            self._release(child)

    @property
    def pids(self) -> list[int]:
        with self._lock:
            return sorted(child.pid for child in self._live)

    def close(self) -> None:
        """Stop every child (idle ones now, busy ones when their job returns). Safe to call twice."""
        with self._lock:
            self._closed = True
        slots = 0
        while True:
            try:
                child = self._idle.get_nowait()
            except queue.Empty:
                break
            slots += 1
            if child is not None:
                self._retire(child, kill=False)
        for _ in range(slots):
            self._idle.put(None)  # wakes callers still waiting for a slot: they get NormalizerUnavailableError

    def _run(self, child: _Child, data: bytes, limits: NormalizeLimits) -> NormalizedImage:
        try:
            if not child.ready:
                child.wait_ready()
        except (_DeadlinePassedError, EOFError, OSError, ProtocolError) as error:
            self._retire(child, kill=True)
            raise NormalizerUnavailableError(f"a normalizer child did not start: {error!r}") from error
        deadline = time.monotonic() + self.budget.deadline_seconds
        try:
            child.send({"limits": limits_to_json(limits)}, data, deadline)
            accepted, _ = child.receive(deadline)
        except (OSError, EOFError) as error:  # BrokenPipeError, or EOF before it took the image
            self._retire(child, kill=True)
            raise _DiedIdleError from error
        except (_DeadlinePassedError, ProtocolError) as error:
            self._retire(child, kill=True)
            raise NormalizerUnavailableError("a normalizer child stopped reading its input") from error
        if accepted.get("kind") != "accepted":
            self._retire(child, kill=True)
            raise NormalizerUnavailableError(f"a normalizer child answered {accepted.get('kind')!r} to a job")
        return self._answer(child, deadline)

    def _answer(self, child: _Child, deadline: float) -> NormalizedImage:
        try:
            header, payload = child.receive(deadline)
        except _DeadlinePassedError:
            self._retire(child, kill=True)
            raise self._over_budget(child, None) from None
        except (EOFError, OSError):
            status = self._retire(child, kill=False)
            raise self._over_budget(child, status) from None
        except ProtocolError as error:
            self._retire(child, kill=True)
            logger.error("normalizer child broke the protocol", pid=child.pid, error=repr(error))
            raise _internal() from error
        return self._interpret(child, header, payload)

    def _interpret(self, child: _Child, header: Header, payload: bytes) -> NormalizedImage:
        kind = header.get("kind")
        if header.get("exiting"):
            self._retire(child, kill=False)
        if kind == "ok":
            try:
                image = image_from_json(header.get("image", {}), payload)
            except ProtocolError as error:
                self._retire(child, kill=True)
                logger.error("normalizer child sent a malformed image", pid=child.pid, error=repr(error))
                raise _internal() from error
            logger.debug("image normalized", cpu_seconds=header.get("cpuSeconds"), peak_rss_mb=header.get("peakRssMb"))
            return image
        if kind == "failed":
            try:
                code = ErrorCode(str(header.get("code")))
            except ValueError:
                code = ErrorCode.INTERNAL
            if header.get("budget"):
                logger.warning(
                    "image over its normalize budget", reason=header["budget"], peak_rss_mb=header.get("peakRssMb")
                )
            raise JobFailure(code, str(header.get("message", "")))
        self._retire(child, kill=False)
        logger.error("normalizer crashed", error=header.get("error"), traceback=header.get("traceback"))
        raise _internal()

    def _over_budget(self, child: _Child, status: int | None) -> JobFailure:
        """The sentence for a child that had to be killed (status None) or died during a job."""
        budget = self.budget
        if status is None:
            reason = "deadline"
            message = f"Decoding the image took longer than {budget.deadline_seconds:.0f} s, the limit for one image."
        elif status == -signal.SIGXCPU:
            reason = "cpu"
            message = f"Decoding the image used more than {budget.cpu_seconds} s of CPU time, the budget for one image."
        else:
            reason = "crash"
            stopped = f"signal {signal.Signals(-status).name}" if status < 0 else f"exit status {status}"
            message = f"The image decoder stopped abnormally ({stopped}) while reading this image."
        logger.warning("image over its normalize budget", reason=reason, pid=child.pid, status=status)
        return JobFailure(ErrorCode.TOO_COMPLEX, message)

    def _spawn(self) -> _Child:
        if self._closed:
            raise NormalizerUnavailableError("the normalizer sandbox is closed")
        try:
            child = _Child(self._python, self.budget)
        except OSError as error:
            raise NormalizerUnavailableError(f"cannot start a normalizer child: {error!r}") from error
        with self._lock:
            self._live.add(child)
        return child

    def _retire(self, child: _Child, *, kill: bool) -> int | None:
        if child.retired:
            return child.process.returncode
        status = child.stop(kill=kill)
        with self._lock:
            self._live.discard(child)
        return status

    def _release(self, child: _Child | None) -> None:
        """Give the slot back, whatever happens (a lost slot would make callers wait forever): with its
        child, or with a fresh one in place of a retired child (started now, so the next image does not
        wait for it), or empty when none can be started."""
        slot: _Child | None = None
        try:
            if child is not None and not child.retired and not self._closed:
                slot = child
                return
            if child is not None:
                self._retire(child, kill=False)
            if not self._closed:
                try:
                    slot = self._spawn()
                except NormalizerUnavailableError as error:
                    logger.error("normalizer child could not be replaced", error=repr(error))
        finally:
            self._idle.put(slot)


def _internal() -> JobFailure:
    return JobFailure(ErrorCode.INTERNAL, "The image could not be normalized because of an internal error.")
