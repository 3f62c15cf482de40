"""Notifications benchmark (issue 12): how fast the embedded stack turns finished jobs into webhook deliveries.

An embedded stack (stub recognizer, no added latency) and a webhook receiver on 127.0.0.1 that answers 200 at
once. Two runs, one after the other:

1. latency: one batch of `--images` images naming the receiver as its callback URL; for each `job.finished`
   delivery, the delay from the job's terminal transition (`finishedAt`, written by the worker in the same
   transaction that made the job terminal) to the delivery arriving at the receiver; p50, p95 and max, and the
   same for `batch.completed`;
2. fan-out: `--endpoints` registered endpoints (every batch), one batch of `--images` images: each event goes
   to every endpoint. Deliveries per second at the receiver (from the first to the last arrival), events per
   second produced (jobs finishing), the delay distribution under that load, and how long the last delivery
   came after the last job finished (the sender's backlog).

Every delivery's signature is checked (standardwebhooks), so a figure never counts a broken delivery.

    .venv/bin/python bench/bench_notifications.py [--images 100] [--endpoints 10]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from embedded_stack import embedded_stack  # noqa: E402
from standardwebhooks.webhooks import Webhook  # noqa: E402

from local_stack.embedded import EmbeddedStack  # noqa: E402
from tests.support.api import ApiClient  # noqa: E402
from tests.support.images import photo_like  # noqa: E402
from tests.support.webhook_receiver import Received, Receiver, running_receiver  # noqa: E402


def _epoch(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _run_batch(client: ApiClient, images: int, seed: int, **body: Any) -> dict[str, Any]:
    data = [(f"{i}.jpg", photo_like(seed=seed + i)) for i in range(images)]
    request = {"images": [{"filename": n, "contentType": "image/jpeg", "size": len(d)} for n, d in data], **body}
    answer = client.request("POST", "/batches", json=request)
    answer.raise_for_status()
    created: dict[str, Any] = answer.json()
    for slot, (_, content) in zip(created["jobs"], data, strict=True):
        client.upload(slot, content)
    client.submit(created["batchId"])
    return created


class Clock:
    """The receiver stamps arrivals with time.monotonic(); events carry wall-clock times."""

    def __init__(self) -> None:
        self.offset = time.time() - time.monotonic()

    def wall(self, received: Received) -> float:
        return received.at + self.offset


def _deliveries(receiver: Receiver, prefix: str, expected: int, timeout: float) -> list[Received]:
    def arrived(requests: list[Received]) -> bool:
        return len({(r.path, r.event_id) for r in requests if r.path.startswith(prefix)}) >= expected

    requests = receiver.wait_for(arrived, timeout=timeout)
    return [r for r in requests if r.path.startswith(prefix)]


def _delays(clock: Clock, requests: list[Received], secrets: dict[str, str]) -> dict[str, list[float]]:
    """Seconds from the event's terminal transition to its first arrival, per event type; signatures checked."""
    first: dict[tuple[str, str], Received] = {}
    for request in requests:
        first.setdefault((request.path, request.event_id), request)
    delays: dict[str, list[float]] = {"job.finished": [], "batch.completed": []}
    for (path, _), request in first.items():
        event = Webhook(secrets[path]).verify(request.body, request.headers)
        delays[event["type"]].append(clock.wall(request) - _epoch(event["data"]["finishedAt"]))
    return delays


def _summary(values: list[float]) -> str:
    if not values:
        return "n/a"
    millis = [v * 1000 for v in values]
    return (
        f"p50 {_percentile(millis, 0.5):.0f} ms, p95 {_percentile(millis, 0.95):.0f} ms, "
        f"max {max(millis):.0f} ms (n={len(millis)})"
    )


def latency_run(stack: EmbeddedStack, receiver: Receiver, images: int) -> dict[str, Any]:
    client = ApiClient(stack.api_url, token=f"bench-{uuid.uuid4().hex[:8]}")
    clock = Clock()
    path = "/latency"
    created = _run_batch(client, images, seed=7000, callbackUrl=receiver.url + path)
    requests = _deliveries(receiver, path, images + 1, timeout=120 + images)
    delays = _delays(clock, requests, {path: created["callback"]["secret"]})
    return {"job": delays["job.finished"], "batch": delays["batch.completed"]}


def fan_out_run(stack: EmbeddedStack, receiver: Receiver, images: int, endpoints: int) -> dict[str, Any]:
    client = ApiClient(stack.api_url, token=f"bench-{uuid.uuid4().hex[:8]}")
    clock = Clock()
    secrets = {}
    for i in range(endpoints):
        answer = client.request("POST", "/webhooks", json={"url": f"{receiver.url}/fan/{i}"})
        answer.raise_for_status()
        secrets[f"/fan/{i}"] = answer.json()["secret"]
    _run_batch(client, images, seed=9000)
    expected = (images + 1) * endpoints
    requests = _deliveries(receiver, "/fan/", expected, timeout=120 + images * endpoints / 5)
    delays = _delays(clock, requests, secrets)
    arrivals = sorted(clock.wall(r) for r in requests)
    finished = [
        _epoch(json.loads(r.body)["data"]["finishedAt"])
        for r in requests
        if r.path == "/fan/0" and json.loads(r.body)["type"] == "job.finished"
    ]
    return {
        "deliveries": len(requests),
        "deliveries_per_second": (len(requests) - 1) / (arrivals[-1] - arrivals[0]),
        "events_per_second": (len(finished) - 1) / (max(finished) - min(finished)),
        "backlog_seconds": arrivals[-1] - max(finished),
        "job": delays["job.finished"],
    }


def _machine() -> str:
    model = "unknown CPU"
    try:
        for line in subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
    except (OSError, subprocess.CalledProcessError):
        pass
    return f"{model}, {os.cpu_count()} cores, Python {platform.python_version()}, load {os.getloadavg()[0]:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=100)
    parser.add_argument("--endpoints", type=int, default=10)
    args = parser.parse_args()

    started = subprocess.run(["date", "-u"], capture_output=True, text=True, check=True).stdout.strip()
    print(f"{started}; {_machine()}")
    logs = Path(tempfile.mkdtemp(prefix="bench-notifications-"))
    with (
        embedded_stack(rate_limit=1_000_000, log_dir=logs, export_environment=False) as stack,
        running_receiver() as receiver,
    ):
        latency = latency_run(stack, receiver, args.images)
        print(f"latency, 1 endpoint, {args.images} images")
        print(f"  job.finished: terminal transition -> webhook arrived: {_summary(latency['job'])}")
        print(f"  batch.completed: {_summary(latency['batch'])}")
        fan = fan_out_run(stack, receiver, args.images, args.endpoints)
        print(f"fan-out, {args.endpoints} endpoints, {args.images} images: {fan['deliveries']} deliveries")
        print(f"  delivered: {fan['deliveries_per_second']:.1f}/s; events produced: {fan['events_per_second']:.1f}/s")
        print(f"  last delivery {fan['backlog_seconds']:.1f} s after the last job finished")
        print(f"  job.finished: terminal transition -> webhook arrived: {_summary(fan['job'])}")
    print(f"load after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
