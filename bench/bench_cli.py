"""`imgrec analyze` benchmark (issue 7): N small images against the embedded stack, at --concurrency 1 and 16
in the same run. Reports the client's upload throughput (images/s, from its own `uploads done` line) and the
client process's peak RSS (ru_maxrss of that child alone, from wait4).

Each concurrency level gets a fresh embedded stack (the same starter the test fixture uses, stub recognizer),
so the second level does not pay for the first one's table. By default the client is stopped (SIGTERM, it
saves its state) once its uploads are done, because the analysis that follows measures the stack, not the
client; `--full` waits for the results file instead and reports the whole run too.

    .venv/bin/python bench/bench_cli.py [--images 1000] [--levels 1,16] [--modes analysing,worker-paused] [--full]

Two stack modes: `analysing` (the worker consumes the queue meanwhile, as in real use) and `worker-paused`
(the event pollers are stopped, so the client meets only the API and S3). Note: on the embedded stack as of
2026-11-26 a second 500-image create call (images 501..1000) takes minutes and gigabytes, because moto's
TransactWriteItems deep-copies the whole table for every item; see docs/benchmarks.md ("CLI").
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "Imgrec")

from embedded_stack import embedded_stack  # noqa: E402

from tests.support.images import photo_like  # noqa: E402

MODES = ("analysing", "worker-paused")
UPLOADS_DONE = re.compile(r"imgrec uploads done files=(\d+) bytes=(\d+) seconds=([\d.]+) rate=([\d.]+)/s")


@dataclass
class Measured:
    mode: str
    concurrency: int
    files: int
    upload_bytes: int
    upload_seconds: float
    upload_rate: float
    peak_rss_mb: float
    wall_seconds: float
    exit_code: int


def make_images(folder: Path, count: int) -> int:
    folder.mkdir(parents=True, exist_ok=True)
    total = 0
    for i in range(count):
        data = photo_like(128, 96, seed=i)
        (folder / f"img-{i:05d}.jpg").write_bytes(data)
        total += len(data)
    return total


def run_level(folder: Path, concurrency: int, mode: str, full: bool, work: Path) -> Measured:
    with embedded_stack() as stack:
        if mode == "worker-paused":
            # The queue is not consumed: uploads and submits meet only the API and S3, not the analysis too.
            stack.stop_service("worker")
        env = {
            **os.environ,
            "IMGREC_API_URL": stack.api_url,
            "IMGREC_TOKEN": f"bench-{uuid.uuid4().hex[:8]}",
            "IMGREC_STATE_DIR": str(work / f"state-{mode}-{concurrency}"),
        }
        log_path = work / f"cli-{mode}-{concurrency}.log"
        started = time.monotonic()
        with log_path.open("w") as log:
            proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "imgrec.cli",
                    "analyze",
                    str(folder),
                    "--concurrency",
                    str(concurrency),
                    "--out",
                    str(work / f"results-{mode}-{concurrency}.jsonl"),
                ],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
            peak_kib = _watch(proc, log_path, stop_after_uploads=not full or mode == "worker-paused")
            _, status, _ = os.wait4(proc.pid, 0)
        wall = time.monotonic() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        match = UPLOADS_DONE.search(log_path.read_text())
        if match is None:
            raise SystemExit(f"no 'uploads done' line from the client:\n{log_path.read_text()[-2000:]}")
        return Measured(
            mode=mode,
            concurrency=concurrency,
            files=int(match[1]),
            upload_bytes=int(match[2]),
            upload_seconds=float(match[3]),
            upload_rate=float(match[4]),
            peak_rss_mb=peak_kib / 1024,
            wall_seconds=wall,
            exit_code=proc.returncode,
        )


def _watch(proc: subprocess.Popen[bytes], log_path: Path, stop_after_uploads: bool) -> int:
    """Samples the client's VmHWM until it exits, and stops it once its uploads are done if asked.

    VmHWM, not wait4's ru_maxrss: Linux carries ru_maxrss across exec, so a child of this (large) process
    would report this process's size.
    """
    peak = 0
    stopping = False
    while True:
        try:
            status = Path(f"/proc/{proc.pid}/status").read_text()
        except OSError:
            return peak
        if status.split("State:", 1)[1].split()[0] == "Z":
            return peak
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                peak = max(peak, int(line.split()[1]))
        if stop_after_uploads and not stopping and UPLOADS_DONE.search(log_path.read_text()):
            proc.send_signal(signal.SIGTERM)
            stopping = True
        time.sleep(0.05)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=1000)
    parser.add_argument("--levels", default="1,16")
    parser.add_argument("--modes", default=",".join(MODES), help="analysing: the worker runs meanwhile")
    parser.add_argument("--full", action="store_true", help="wait for every result, not just the uploads")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-cli-"))
    try:
        size = make_images(work / "images", args.images)
        load_before = os.getloadavg()[0]
        results = [
            run_level(work / "images", int(level), mode, args.full, work)
            for mode in args.modes.split(",")
            for level in args.levels.split(",")
        ]
        load_after = os.getloadavg()[0]
    finally:
        shutil.rmtree(work, ignore_errors=True)

    cpu = _cpu_model()
    print(f"imgrec analyze: {args.images} images ({size / 1e6:.1f} MB, 128x96 JPEG), embedded stack (stub)")
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    print(f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, {when}")
    print(f"load average: {load_before:.2f} before, {load_after:.2f} after")
    print()
    print("| stack | --concurrency | uploaded | upload phase s | images/s | client peak RSS MB | wall s | exit |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(
            f"| {r.mode} | {r.concurrency} | {r.files} | {r.upload_seconds:.1f} | {r.upload_rate:.1f} | "
            f"{r.peak_rss_mb:.1f} | {r.wall_seconds:.1f} | {r.exit_code} |"
        )


def _cpu_model() -> str:
    try:
        for line in subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout.splitlines():
            if line.startswith("Model name:"):
                return line.split(":", 1)[1].strip()
    except (OSError, subprocess.CalledProcessError):
        pass
    return platform.processor() or "unknown CPU"


if __name__ == "__main__":
    main()
