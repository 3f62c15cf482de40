"""Worker cost per job (issue 15), before and after in one run: CPU, connections, bytes and requests.

One embedded stack (stub recognizer, moto) serves both trees: the "before" tree is a temporary git worktree
of `--before`; each tree's real `worker.handle_jobs.lambda_handler` runs in a process of its own (one Lambda
execution environment), one record per invocation, on jobs prepared through the API (uploaded, not
submitted, so no poller takes them). Rounds are interleaved so both trees see the same load.

Per tree: CPU per phone-photo job (4032x3024 JPEG, LABELS; the worker process and its normalizer
children), new TCP connections per invocation, bytes sent to Rekognition per job against the image's size,
S3 and DynamoDB requests per job (botocore's before-send events on the worker's client session). After
only: a warm 1-record invocation against one opening its clients anew (cold); the worker module's import
against `import boto3, aioboto3, PIL` (fresh interpreters, interleaved); the first invocation of a new
process after Lambda's init phase against a warm one.

    .venv/bin/python bench/bench_worker_io.py [--before 556bd5e] [--jobs 6] [--rounds 3]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PHONE = (4032, 3024)


# ---------------------------------------------------------------- the child: one execution environment


def _cpu_of_children(pid: int) -> float:
    """CPU seconds of the live processes whose parent is `pid` (the normalizer children)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            total += (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    return total


def _cpu() -> float:
    import resource

    done = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + done.ru_utime + done.ru_stime + _cpu_of_children(os.getpid())


class _Context:
    function_name = "imgrec-worker"
    memory_limit_in_mb = 3072
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:imgrec-worker"
    aws_request_id = "bench"
    function_version = "$LATEST"
    log_group_name = "/aws/lambda/imgrec-worker"
    log_stream_name = "bench"

    def __init__(self) -> None:
        self._deadline = time.monotonic() + 120

    def get_remaining_time_in_millis(self) -> int:
        return int((self._deadline - time.monotonic()) * 1000)


def _records(jobs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One SQS record per job, as the event source mapping delivers them."""
    return [
        {
            "messageId": str(uuid.uuid4()),
            "receiptHandle": "bench",
            "body": json.dumps({"jobId": job["jobId"], "batchId": job["batchId"]}),
            "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": str(int(time.time() * 1000))},
        }
        for job in jobs
    ]


def child(jobs_file: str, cold: bool, batch: int = 1, pause: float = 0.0) -> None:
    """Runs in the tree under test: invokes its handler with `batch` jobs at a time (one SQS batch), prints one
    JSON line per invocation (requests counted per AWS operation too). `pause` seconds between invocations
    let the stack finish what the previous job set off (its stream consumers), so that each invocation
    meets the same quiet stack."""
    import asyncio

    counts = {"connections": 0, "rekognition_bytes": 0, "s3": 0, "dynamodb": 0}
    operations: dict[str, int] = {}
    original = asyncio.base_events.BaseEventLoop.create_connection

    async def counting(self: Any, *args: Any, **kwargs: Any) -> Any:
        counts["connections"] += 1
        return await original(self, *args, **kwargs)

    asyncio.base_events.BaseEventLoop.create_connection = counting  # type: ignore[method-assign]

    from worker.adapters import clients
    from worker.handle_jobs import lambda_handler

    def before_send(request: Any, **kwargs: Any) -> None:
        event = str(kwargs.get("event_name", ""))
        operation = event.removeprefix("before-send.")
        operations[operation] = operations.get(operation, 0) + 1
        if operation == "dynamodb.TransactWriteItems":  # billed per item written (2 units each)
            items = len(json.loads(request.body or b"{}").get("TransactItems", []))
            operations["dynamodb.TransactWriteItems items"] = (
                operations.get("dynamodb.TransactWriteItems items", 0) + items
            )
        if ".rekognition." in event:
            counts["rekognition_bytes"] += len(request.body or b"")
        elif ".s3." in event:
            counts["s3"] += 1
        elif ".dynamodb." in event:
            counts["dynamodb"] += 1

    session = clients._SESSION if hasattr(clients, "_SESSION") else clients.session()  # the before tree's, or ours
    session._session.register("before-send", before_send)
    runtime = None
    if cold:
        from worker import runtime

    jobs = [json.loads(line) for line in Path(jobs_file).read_text().splitlines()]
    for first in range(0, len(jobs), batch):
        time.sleep(pause if first else 0.0)
        group = jobs[first : first + batch]
        records = _records(group)
        if cold and runtime is not None:  # a new environment: new loop and clients, as every invocation was before
            runtime._environments.current = runtime.ExecutionEnvironment()
        before, operations_before = dict(counts), dict(operations)
        cpu, wall = _cpu(), time.perf_counter()
        answer = lambda_handler({"Records": records}, _Context())
        cpu, wall = _cpu() - cpu, time.perf_counter() - wall
        print(
            json.dumps(
                {
                    "cpu": cpu,
                    "wall": wall,
                    "jobs": len(group),
                    "failures": len(answer["batchItemFailures"]),
                    **{name: counts[name] - before[name] for name in counts},
                    "operations": {k: v - operations_before.get(k, 0) for k, v in operations.items()},
                    "image_bytes": sum(job["bytes"] for job in group),
                }
            ),
            flush=True,
        )


# ---------------------------------------------------------------- the parent


def phone_photo(seed: int) -> bytes:
    """A 12 MP photo-like JPEG (noise over gradients, so it compresses like a photo), distinct per seed."""
    from PIL import Image, ImageDraw, ImageFilter

    rng = random.Random(seed)
    small = Image.effect_noise((PHONE[0] // 8, PHONE[1] // 8), 40).convert("RGB")
    draw = ImageDraw.Draw(small)
    for _ in range(12):
        x, y = rng.randrange(small.width), rng.randrange(small.height)
        draw.ellipse(
            (x, y, x + rng.randrange(20, 200), y + rng.randrange(20, 200)),
            fill=tuple(rng.randrange(256) for _ in range(3)),
        )
    image = small.resize(PHONE).filter(ImageFilter.GaussianBlur(1))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=88)
    return out.getvalue()


@contextmanager
def worktree(ref: str) -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="imgrec-before-"))
    subprocess.run(["git", "worktree", "add", "--detach", str(folder), ref], cwd=REPO, check=True, capture_output=True)
    try:
        yield folder
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(folder)], cwd=REPO, check=False)


def small_photo(seed: int) -> bytes:
    from tests.support.images import photo_like

    return photo_like(640, 480, seed=seed)


def prepare(api: Any, count: int, seed: int, small: bool = False, features: tuple[str, ...] = ("LABELS",)) -> Path:
    lines = []
    for index in range(count):
        data = small_photo(seed + index) if small else phone_photo(seed + index)
        created = api.create_batch([(f"phone-{index}.jpg", data)], features=list(features))
        api.upload(created["jobs"][0], data)
        lines.append(
            json.dumps({"jobId": created["jobs"][0]["jobId"], "batchId": created["batchId"], "bytes": len(data)})
        )
    path = Path(tempfile.mkstemp(suffix=".jsonl")[1])
    path.write_text("\n".join(lines) + "\n")
    return path


def _child_code(jobs: Path, cold: bool, batch: int = 1, pause: float = 0.0) -> str:
    return (
        f"import sys; sys.path.insert(0, {str(REPO / 'bench')!r}); import bench_worker_io as b; "
        f"b.child({str(jobs)!r}, {cold}, {batch}, {pause})"
    )


def _rows(stdout: str) -> list[dict[str, Any]]:
    """The child's measurement lines (not the handler's own JSON log lines)."""
    rows = [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]
    return [row for row in rows if "wall" in row]


def run_child(tree: Path, jobs: Path, cold: bool = False, batch: int = 1) -> list[dict[str, Any]]:
    env = {
        **os.environ,
        "PYTHONPATH": str(tree),
        "POWERTOOLS_LOG_LEVEL": "ERROR",
        "POWERTOOLS_METRICS_DISABLED": "true",
    }
    code = _child_code(jobs, cold, batch)
    answer = subprocess.run(
        [sys.executable, "-c", code], cwd=tree, env=env, capture_output=True, text=True, check=False
    )
    rows = _rows(answer.stdout)
    if not rows:
        raise RuntimeError(f"the worker of {tree} did not run:\n{answer.stderr[-3000:]}")
    return rows


def import_ratio(tree: Path, runs: int) -> dict[str, tuple[float, float]]:
    """Fresh interpreters, interleaved; medians of wall and CPU time (CPU moves less with the machine's other
    work). Every module loads from bytecode, as in the Lambda image (pip compiles the dependencies it
    installs, the Dockerfile compiles the code): a shell that sets PYTHONDONTWRITEBYTECODE would otherwise
    compile the worker's modules and Powertools from source on every run while the bare imports' bytecode
    exists. The bytecode goes to a cache of its own, written by one untimed run of each."""
    found: dict[str, list[tuple[float, float]]] = {"bare": [], "worker": []}
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    targets = {"bare": "import boto3, aioboto3, PIL.Image", "worker": "import worker.handle_jobs"}
    with tempfile.TemporaryDirectory(prefix="imgrec-pycache-") as cache:
        env |= {"PYTHONPATH": str(tree), "POWERTOOLS_TRACE_DISABLED": "true", "PYTHONPYCACHEPREFIX": cache}
        for run in range(runs + 1):
            for name, target in targets.items():
                code = (
                    "import time; t, c = time.perf_counter(), time.process_time(); "
                    f"{target}; print(time.perf_counter() - t, time.process_time() - c)"
                )
                out = subprocess.run(
                    [sys.executable, "-c", code], cwd=tree, env=env, capture_output=True, text=True, check=True
                )
                if run:  # the first run of each writes the bytecode
                    wall, cpu = out.stdout.split()
                    found[name].append((float(wall), float(cpu)))
    return {
        name: (statistics.median(w for w, _ in rows), statistics.median(c for _, c in rows))
        for name, rows in found.items()
    }


def first_vs_warm(jobs: Path, pause: float = 1.0) -> tuple[float, float]:
    """A new process, Lambda's init phase (AWS_LAMBDA_FUNCTION_NAME set: the handler prepares its
    environment at import), then the first invocation's wall time against the warm ones' (median), with
    `pause` seconds before each invocation so that all of them meet the same quiet stack."""
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "AWS_LAMBDA_FUNCTION_NAME": "imgrec-worker",
        "POWERTOOLS_LOG_LEVEL": "ERROR",
    }
    code = _child_code(jobs, False, pause=pause)
    answer = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, check=False
    )
    rows = _rows(answer.stdout)
    if len(rows) < 2:
        raise RuntimeError(answer.stderr[-3000:])
    return rows[0]["wall"], statistics.median(row["wall"] for row in rows[1:])


def summary(rows: list[dict[str, Any]]) -> dict[str, float]:
    return {
        "cpu_ms": 1000 * statistics.median(r["cpu"] for r in rows),
        "wall_ms": 1000 * statistics.median(r["wall"] for r in rows),
        "connections": statistics.median(r["connections"] for r in rows),
        "rekognition_bytes": statistics.median(r["rekognition_bytes"] for r in rows),
        "image_bytes": statistics.median(r["image_bytes"] for r in rows),
        "store_requests": statistics.median(r["s3"] + r["dynamodb"] for r in rows),
        "failures": sum(r["failures"] for r in rows),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default="556bd5e", help="the git ref to compare with (default: before this wave)")
    parser.add_argument("--jobs", type=int, default=6, help="phone-photo jobs per tree and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--environments", type=int, default=5, help="new processes for the first-invocation ratio")
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
    # Imported here, not at the top: the child processes import this module under another tree.
    from embedded_stack import embedded_stack

    from tests.support.api import ApiClient

    results: dict[str, list[dict[str, Any]]] = {
        "before": [],
        "after": [],
        "after, cold clients": [],
        "after, 640x480": [],
        "after, 640x480, cold clients": [],
    }
    variants = [
        ("before", "before", False, False),
        ("after", "after", False, False),
        ("after, cold clients", "after", True, False),
        ("after, 640x480", "after", False, True),
        ("after, 640x480, cold clients", "after", True, True),
    ]
    with embedded_stack(rate_limit=1_000_000) as stack:
        api = ApiClient(stack.api_url, token="bench")
        with worktree(args.before) as before:
            seed = 1000
            trees = {"before": before, "after": REPO}
            for _ in range(args.rounds):
                for name, tree, cold, small in variants:
                    jobs = prepare(api, args.jobs, seed, small)
                    seed += args.jobs
                    rows = run_child(trees[tree], jobs, cold)
                    results[name] += rows[1:]  # the first invocation of a process pays its imports and init
            imports_before = import_ratio(before, 15)
        imports_after = import_ratio(REPO, 15)
        firsts = []  # (first, warm) of each new execution environment
        for _ in range(args.environments):
            firsts.append(first_vs_warm(prepare(api, 5, seed)))
            seed += 5

    print(
        f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, load {os.getloadavg()[0]:.1f}"
    )
    header = "| tree | CPU per job | wall per job | new connections | Rekognition request bytes / image bytes "
    print(header + "| store requests | failures |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    stats = {name: summary(rows) for name, rows in results.items()}
    for name, s in stats.items():
        share = s["rekognition_bytes"] / s["image_bytes"]
        print(
            f"| {name} | {s['cpu_ms']:.0f} ms | {s['wall_ms']:.0f} ms | {s['connections']:.0f} | "
            f"{s['rekognition_bytes']:.0f} B / {s['image_bytes'] / 1e6:.2f} MB = {100 * share:.3f} % | "
            f"{s['store_requests']:.0f} | {s['failures']} |"
        )
    print(f"CPU per job after/before: {stats['after']['cpu_ms'] / stats['before']['cpu_ms']:.2f}")
    warm, cold = stats["after, 640x480"]["cpu_ms"], stats["after, 640x480, cold clients"]["cpu_ms"]
    print(f"warm/cold-client 1-record invocation CPU (640x480 image): {warm / cold:.2f}")
    for tree, imports in (("before", imports_before), ("after", imports_after)):
        (bare_wall, bare_cpu), (worker_wall, worker_cpu) = imports["bare"], imports["worker"]
        print(
            f"import of the worker / bare imports, {tree}: wall {worker_wall / bare_wall:.2f} "
            f"({1000 * worker_wall:.0f} / {1000 * bare_wall:.0f} ms), CPU {worker_cpu / bare_cpu:.2f} "
            f"({1000 * worker_cpu:.0f} / {1000 * bare_cpu:.0f} ms)"
        )
    ratios = sorted(first / warm for first, warm in firsts)
    first, warm = (statistics.median(values) for values in zip(*firsts, strict=True))
    print(
        f"first invocation after init / warm, median of {len(ratios)} environments: {statistics.median(ratios):.2f} "
        f"(range {ratios[0]:.2f}–{ratios[-1]:.2f}; {1000 * first:.0f} / {1000 * warm:.0f} ms)"
    )


if __name__ == "__main__":
    main()
