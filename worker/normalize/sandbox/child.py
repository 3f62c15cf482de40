"""A normalizer child: `python -m worker.normalize.sandbox.child --memory-mb N --cpu-seconds S`.

Reads job frames on stdin, answers on the stdout it was started with, one job at a time, until stdin
closes (the parent exited or closed it). Its address space is capped at start (RLIMIT_AS) and its CPU time
before each job (RLIMIT_CPU: the kernel sends SIGXCPU, whose default action ends the process, when a job
goes over). Everything a job raises is answered, never swallowed: JobFailure as itself, MemoryError as
TOO_COMPLEX, anything else with its traceback for the parent to log; after either of the last two the
child exits, so the next job starts in a fresh process.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import resource
import signal
import sys
import time
import traceback
from pathlib import Path
from typing import Any, BinaryIO

from worker.normalize.sandbox.protocol import (
    PREFIX,
    Header,
    decode_header,
    decode_prefix,
    encode_frame,
    image_to_json,
    limits_from_json,
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--memory-mb", type=int, required=True)
    parser.add_argument("--cpu-seconds", type=int, required=True)
    args = parser.parse_args()
    # Ctrl-C in a terminal reaches the whole process group; the parent decides when children stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # SIGXCPU would otherwise dump core
    memory = args.memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    # Replies go to the stdout we were given; whatever a library prints goes to stderr instead.
    replies = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    requests = sys.stdin.buffer
    try:
        _serve(requests, replies, args.cpu_seconds, args.memory_mb)
    except BrokenPipeError:
        pass  # the parent closed our pipes: nobody is left to answer
    finally:
        with contextlib.suppress(OSError):
            replies.close()


def _warm_up(normalize: Any) -> None:
    """Pillow registers its format plugins and codecs on the first image it opens, and the first large decode
    faults in fresh memory: pay both before saying ready (a Lambda's init phase), not on a user's image."""
    import io

    from PIL import Image

    for kind, size in (("PNG", (160, 120)), ("JPEG", (4032, 3024))):  # a phone photo's size, DCT-scaled
        sample = io.BytesIO()
        Image.new("RGB", size, (90, 120, 150)).save(sample, kind)
        with contextlib.suppress(Exception):  # only a warm-up: a real image decides for itself
            normalize(sample.getvalue())


def _serve(requests: BinaryIO, replies: BinaryIO, cpu_seconds: int, memory_mb: int) -> None:
    from PIL import Image

    from imagejobs.errors import ErrorCode, JobFailure
    from worker.normalize import normalize

    _warm_up(normalize)
    _send(replies, {"kind": "ready", "pid": os.getpid()})
    while True:
        request = _receive(requests)
        if request is None:
            return
        header, data = request
        # Acknowledged before any work: a child that dies before this frame never saw the image.
        _send(replies, {"kind": "accepted"})
        meter = _Meter()
        try:
            limits = limits_from_json(header["limits"])
            Image.MAX_IMAGE_PIXELS = limits.max_pixels  # Pillow's own bomb guard agrees with the cap
            _arm_cpu_limit(cpu_seconds)
            image = normalize(data, limits)
        except JobFailure as failure:
            _send(replies, {"kind": "failed", "code": failure.code.value, "message": failure.message, **meter.read()})
            continue
        except MemoryError:
            message = f"Decoding the image needed more than {memory_mb:,} MB of memory, the budget for one image."
            failed = {"kind": "failed", "code": ErrorCode.TOO_COMPLEX.value, "message": message, "budget": "memory"}
            _send(replies, {**failed, "exiting": True, **meter.read()})
            return
        except Exception as error:  # answered with its traceback; the parent logs it and fails the job
            crashed = {"kind": "crashed", "error": repr(error), "traceback": traceback.format_exc()}
            _send(replies, {**crashed, "exiting": True})
            return
        del data
        _send(replies, {"kind": "ok", "image": image_to_json(image), **meter.read()}, image.data)


def _arm_cpu_limit(seconds: int) -> None:
    """Soft RLIMIT_CPU at what this process has used so far plus the job's budget (whole seconds)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    soft = math.ceil(usage.ru_utime + usage.ru_stime) + seconds
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    resource.setrlimit(resource.RLIMIT_CPU, (soft if hard == resource.RLIM_INFINITY else min(soft, hard), hard))


class _Meter:
    """CPU time and peak resident memory of one job (the peak is reset per job where the kernel allows)."""

    _STATUS = Path("/proc/self/status")

    def __init__(self) -> None:
        # Resets VmHWM to the current RSS. Not Linux, or not allowed: the peak is the process's lifetime peak.
        with contextlib.suppress(OSError):
            Path("/proc/self/clear_refs").write_text("5")
        self._cpu = time.process_time()

    def read(self) -> Header:
        peak_kb = 0
        try:
            for line in self._STATUS.read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak_kb = int(line.split()[1])
        except OSError:
            peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return {"cpuSeconds": round(time.process_time() - self._cpu, 4), "peakRssMb": round(peak_kb / 1024, 1)}


def _send(stream: BinaryIO, header: Header, payload: bytes = b"") -> None:
    prefix, body = encode_frame(header, payload)
    stream.write(prefix)
    stream.write(body)
    stream.flush()


def _receive(stream: BinaryIO) -> tuple[Header, bytes] | None:
    prefix = stream.read(PREFIX.size)
    if len(prefix) < PREFIX.size:
        return None  # stdin closed: the parent is done with us
    header_length, payload_length = decode_prefix(prefix)
    header = decode_header(stream.read(header_length))
    payload = stream.read(payload_length)
    if len(payload) < payload_length:
        return None
    return header, payload


if __name__ == "__main__":
    main()
