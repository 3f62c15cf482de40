"""Local stack benchmark (issue 15): the embedded stack `make up` runs, before and after in one run.

Each stack is `python -m local_stack` started from a source tree (the "before" tree is a temporary git
worktree of `--before`, default `main`), with the stub recognizer answering each call after 200 ms, and
driven over HTTP exactly as a client would. All stacks are up together and their runs interleaved round
by round, so that each sees the same load on a shared machine:

1. throughput: 100 distinct images x 4 features (LABELS, FACES, TEXT, MODERATION); time from submit to the
   last job finished, against the sequential bound (every Rekognition call one after another: 100 x 4 x 0.2 s),
   and the CPU each process of the stack used meanwhile;
2. small calls: `GET /jobs/{id}` on one kept-alive connection, idle stack, p50 and p95;
3. idle: CPU per minute while nobody calls;
4. quota (each stack alone, `--quota-runs` runs): the same 100 x 4 with a 3-TPS quota per API in the
   recognizer: calls per second over the quota (4 APIs x 3 TPS), and every job must end SUCCEEDED.

Before each timed run and each small-call series every stack must be quiet (the previous run's tail, stream
consumers catching up and deletes, lands on no measurement, of its own stack or another's).

    .venv/bin/python bench/bench_local_stack.py [--images 100] [--rounds 3] [--before main] [--workers N ...]
"""

from __future__ import annotations

import argparse
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.support.images import photo_like  # noqa: E402

FEATURES = ["LABELS", "FACES", "TEXT", "MODERATION"]
LATENCY_MS = 200
TPS = 3
TERMINAL = {"SUCCEEDED", "PARTIAL", "FAILED"}
IDLE_SECONDS = 30
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Stack:
    process: subprocess.Popen[bytes]
    api_url: str

    def cpu_seconds(self) -> dict[str, float]:
        """CPU used so far by the stack's process and each child, named by its command line."""
        found = {"supervisor": _cpu(self.process.pid)}
        for pid in _children(self.process.pid):
            command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            module = command[2].decode() if len(command) > 2 else str(pid)
            label = module.rsplit(".", 1)[-1]
            if module == "local_stack.poller":
                label = command[command.index(b"--function-name") + 1].decode()
            found[label] = found.get(label, 0.0) + _cpu(pid)  # the worker's processes add up
        return found


def _cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            found += [int(p) for p in (task / "children").read_text().split()]
        except FileNotFoundError:  # a thread that just ended
            continue
    return found


@contextmanager
def local_stack(tree: Path, tps: int | None, log: Path, workers: int | None = None) -> Iterator[Stack]:
    env = {
        **os.environ,
        "IMGREC_WORKERS": str(workers or ""),  # the "before" tree has one process and ignores it
        "IMGREC_RECOGNIZER_LATENCY_MS": str(LATENCY_MS),
        "IMGREC_RECOGNIZER_TPS": str(tps or ""),
        "IMGREC_RATE_LIMIT": "1000000",  # the WAF emulation is not what is measured
        "IMGREC_LOG_DIR": str(log.with_suffix("")),
        "POWERTOOLS_LOG_LEVEL": "INFO",
    }
    port = free_port()
    arguments = ["--port", str(port), "--aws-port", str(free_port()), "--recognizer-port", str(free_port())]
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "local_stack", *arguments, "--recognizer", "stub"],
            cwd=tree,
            env={**env, "PYTHONPATH": str(tree)},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    api_url = f"http://127.0.0.1:{port}/api"
    try:
        deadline = time.monotonic() + 180
        while b"Press Ctrl-C" not in log.read_bytes():
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the stack in {tree} did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.1)
        yield Stack(process=process, api_url=api_url)
    finally:
        process.send_signal(2)  # Ctrl-C
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class Client:
    def __init__(self, api_url: str) -> None:
        self.api_url = api_url
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer bench-{uuid.uuid4().hex[:8]}"

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        answer = self.session.request(method, self.api_url + path, timeout=60, **kwargs)
        answer.raise_for_status()
        return answer.json() if answer.content else None


@dataclass
class Run:
    seconds: float
    statuses: dict[str, int]
    cpu: dict[str, float]


def analyze(stack: Stack, images: int, seed: int) -> Run:
    client = Client(stack.api_url)
    data = [photo_like(seed=seed + i) for i in range(images)]
    body = {
        "images": [{"filename": f"{i}.jpg", "contentType": "image/jpeg", "size": len(d)} for i, d in enumerate(data)],
        "options": {"features": FEATURES},
    }
    created = client.call("POST", "/batches", json=body)
    uploads = requests.Session()
    for slot, image in zip(created["jobs"], data, strict=True):
        form = slot["upload"]
        uploads.post(form["url"], data=form["fields"], files={"file": ("f.jpg", image)}, timeout=60).raise_for_status()
    batch_id = created["batchId"]
    cpu_before = stack.cpu_seconds()
    started = time.monotonic()
    client.call("POST", f"/batches/{batch_id}/submit")
    while True:
        counts = client.call("GET", f"/batches/{batch_id}")["counts"]
        if sum(counts.get(status, 0) for status in TERMINAL) >= images:
            break
        time.sleep(0.1)
    seconds = time.monotonic() - started
    cpu_after = stack.cpu_seconds()
    cpu = {name: cpu_after[name] - cpu_before.get(name, 0.0) for name in cpu_after}
    return Run(seconds=seconds, statuses={k: v for k, v in counts.items() if v}, cpu=cpu)


def small_calls(stack: Stack, calls: int) -> tuple[float, float]:
    client = Client(stack.api_url)
    created = client.call(
        "POST", "/batches", json={"images": [{"filename": "a.jpg", "contentType": "image/jpeg", "size": 10}]}
    )
    job_id = created["jobs"][0]["jobId"]
    client.call("GET", f"/jobs/{job_id}")  # the connection is open and the handler warm
    times = []
    for _ in range(calls):
        started = time.perf_counter()
        client.call("GET", f"/jobs/{job_id}")
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1]


def settle(stacks: list[Stack], quiet: float = 0.25, longest: float = 90.0) -> float:
    """Wait until every stack is quiet: together under `quiet` of a core over a second (idle ones use ~0.1).
    A run's tail (stream consumers catching up, deletes, batching windows) must not land on the next
    measurement, of this stack or another. Returns the seconds waited."""
    started = time.monotonic()
    while time.monotonic() - started < longest:
        before = sum(sum(stack.cpu_seconds().values()) for stack in stacks)
        time.sleep(1.0)
        if sum(sum(stack.cpu_seconds().values()) for stack in stacks) - before < quiet:
            break
    return time.monotonic() - started


def idle_cpu(stacks: list[Stack], seconds: float) -> list[float]:
    """CPU seconds per minute each whole stack uses while nobody calls it (pollers waiting)."""
    time.sleep(5)  # the last jobs' deletes and the pollers' batching windows settle
    before = [sum(stack.cpu_seconds().values()) for stack in stacks]
    time.sleep(seconds)
    after = [sum(stack.cpu_seconds().values()) for stack in stacks]
    return [(a - b) * 60 / seconds for a, b in zip(after, before, strict=True)]


@dataclass
class Variant:
    label: str
    tree: Path
    workers: int | None = None


def measure(
    variants: list[Variant], images: int, rounds: int, work: Path, quota_runs: int = 1
) -> dict[str, dict[str, Any]]:
    """All stacks up at once, their throughput runs interleaved round by round (so each sees the same
    machine load), then each one's quota run on its own."""
    found: dict[str, dict[str, Any]] = {v.label: {"runs": [], "p50": [], "p95": []} for v in variants}
    with ExitStack() as running:
        stacks = {
            v.label: running.enter_context(local_stack(v.tree, None, work / f"{i}-throughput.log", v.workers))
            for i, v in enumerate(variants)
        }
        for round_number in range(rounds):
            for i, (label, stack) in enumerate(stacks.items()):
                print(f"[{label}] round {round_number + 1}…", file=sys.stderr, flush=True)
                settle(list(stacks.values()))
                found[label]["runs"].append(analyze(stack, images, seed=10_000 * (round_number + 1) + 1000 * i))
                settle(list(stacks.values()))
                p50, p95 = small_calls(stack, 200)
                found[label]["p50"].append(p50)
                found[label]["p95"].append(p95)
        idle = idle_cpu(list(stacks.values()), IDLE_SECONDS)
    for i, v in enumerate(variants):
        found[v.label]["idle"] = idle[i]
        print(f"[{v.label}] quota…", file=sys.stderr, flush=True)
        with local_stack(v.tree, TPS, work / f"{i}-quota.log", v.workers) as stack:
            settle([stack])
            found[v.label]["quota"] = []
            refusals = work / f"{i}-quota" / "recognizer.log"  # a tree that keeps one log has none
            refused_before = _refused(refusals)
            for run in range(quota_runs):
                found[v.label]["quota"].append(analyze(stack, images, seed=900_000 + 1000 * i + 100 * run))
                settle([stack])
            found[v.label]["refused"] = _refused(refusals) - refused_before if refusals.exists() else None
    return found


def _refused(log: Path) -> int:
    """Rekognition calls the recognizer refused so far (over the quota: the attempts that were wasted)."""
    return log.read_text().count("rekognition call refused") if log.exists() else 0


@contextmanager
def worktree(ref: str) -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="imgrec-before-"))
    subprocess.run(["git", "worktree", "add", "--detach", str(folder), ref], cwd=REPO, check=True, capture_output=True)
    try:
        yield folder
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(folder)], cwd=REPO, check=False)


def report(results: dict[str, dict[str, Any]], images: int, rounds: int) -> None:
    sequential = images * len(FEATURES) * LATENCY_MS / 1000
    quota_rate = len(FEATURES) * TPS
    print(
        f"\n## Local stack ({platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, load {os.getloadavg()[0]:.1f}; median of {rounds} interleaved rounds)\n"
    )
    print(
        f"| stack | {images} img x 4 features (range) | x sequential bound | CPU s (all processes) | 3-TPS quota run "
        "| quota used (range) | jobs (quota runs) | GET /jobs/{id} p50 / p95 |"
    )
    print("|---|---:|---:|---:|---:|---:|---|---:|")
    for label, found in results.items():
        seconds = sorted(run.seconds for run in found["runs"])
        median = statistics.median(seconds)
        cpu = statistics.median(sum(run.cpu.values()) for run in found["runs"])
        quota = sorted(found["quota"], key=lambda run: run.seconds)
        used = [images * len(FEATURES) / run.seconds / quota_rate for run in quota]
        statuses: dict[str, int] = {}
        for run in quota:
            for status, count in run.statuses.items():
                statuses[status] = statuses.get(status, 0) + count
        print(
            f"| {label} | {median:.1f} s ({seconds[0]:.1f}–{seconds[-1]:.1f}) | {sequential / median:.1f}x "
            f"| {cpu:.1f} | {statistics.median(run.seconds for run in quota):.1f} s "
            f"| {statistics.median(used):.1%} ({used[-1]:.1%}–{used[0]:.1%}) | {statuses} "
            f"| {statistics.median(found['p50']):.1f} / {statistics.median(found['p95']):.1f} ms |"
        )
    print("\nCPU seconds per process, summed over the rounds:\n")
    for label, found in results.items():
        total: dict[str, float] = {}
        for run in found["runs"]:
            for name, value in run.cpu.items():
                total[name] = total.get(name, 0.0) + value
        shown = ", ".join(f"{name} {value:.1f}" for name, value in sorted(total.items(), key=lambda x: -x[1]))
        print(f"- {label}: {shown}")
    print("\nQuota runs: refused attempts per successful call (botocore's retries of a refused call included):\n")
    for label, found in results.items():
        calls = images * len(FEATURES) * len(found["quota"])
        refused = found["refused"]
        print(f"- {label}: " + ("not logged" if refused is None else f"{refused / calls:.2f} ({refused} / {calls})"))
    print("\nIdle (no calls, pollers waiting), CPU seconds per minute:\n")
    for label, found in results.items():
        print(f"- {label}: {found['idle']:.2f}")
    if len(results) >= 2:
        before, after = list(results.values())[:2]
        speed = statistics.median(r.seconds for r in before["runs"]) / statistics.median(
            r.seconds for r in after["runs"]
        )
        latency = statistics.median(after["p50"]) / statistics.median(before["p50"])
        print(f"\nafter/before: throughput {speed:.2f}x, small-call p50 {latency:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=100)
    parser.add_argument("--before", default="main", help="git ref of the 'before' stack")
    parser.add_argument("--skip-before", action="store_true")
    parser.add_argument("--workers", type=int, action="append", help="worker processes of the 'after' stack (repeat)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved throughput runs per stack")
    parser.add_argument("--quota-runs", type=int, default=3, help="quota runs per stack (each stack alone)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="imgrec-bench-stack-"))
    with ExitStack() as trees:
        variants = []
        if not args.skip_before:
            variants.append(Variant(f"before ({args.before})", trees.enter_context(worktree(args.before))))
        for workers in args.workers or [None]:
            label = "after (this tree)" + (f", {workers} worker processes" if workers else "")
            variants.append(Variant(label, REPO, workers))
        results = measure(variants, args.images, args.rounds, work, args.quota_runs)
    report(results, args.images, args.rounds)
    print(f"\nlogs: {work}", file=sys.stderr)


if __name__ == "__main__":
    main()
