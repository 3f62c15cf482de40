"""Worker concurrency benchmark (issue 2): one SQS batch of 10 records x 4 features through the worker
handler, with the local Rekognition stub answering each call after 100 ms, beside the same work done
sequentially (one record at a time, one Rekognition call at a time) in the same run.

Two setups, both with the real handler, real aioboto3 Rekognition client and the local recognizer over HTTP:
- `fakes`: job store and S3 as in-memory fakes (tests/support/fakes.py), so the figure is the handler's own
  concurrency: the target is <= 1.5x one call's latency per batch and >= 25x faster than sequential;
- `emulator`: job store and S3 on the local moto server, whose calls are serialized in one process
  (~6-9 ms each): shows what the local stack adds, not what AWS would.
    .venv/bin/python bench/bench_worker.py [--latency-ms 100] [--runs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import itertools
import json
import os
import platform
import statistics
import sys
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "Imgrec")

from PIL import Image

from imagejobs import keys
from imagejobs.model import AnalysisOptions, Feature, JobStatus
from imagejobs.records import BatchRecord, JobRecord, iso
from local_stack import names
from local_stack.aws import start_aws
from local_stack.provision import provision
from tests.support.fakes import FakeJobStore, FakeObjectStore

RECORDS = 10


_IMAGES = itertools.count()


def image_bytes(_: int = 0) -> bytes:
    """A distinct image every call: the worker reuses stored answers for identical images (dedupe), which
    would otherwise turn every run after the first into cache hits."""
    n = next(_IMAGES)
    out = io.BytesIO()
    Image.new("RGB", (640, 480), (n % 256, (n // 256) % 256, 160)).save(out, "JPEG", quality=85)
    return out.getvalue()


def make_jobs(store: Any, s3: Any, count: int) -> list[JobRecord]:
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    batch = BatchRecord(keys.new_batch_id(), "bench", iso(now), AnalysisOptions(features=list(Feature)), 2_000_000_000)
    jobs = [
        JobRecord(
            job_id=keys.new_job_id(), batch_id=batch.batch_id, seq=i, owner="bench", filename=f"{i}.jpg",
            content_type="image/jpeg", declared_size=1, options=batch.options, status=JobStatus.QUEUED,
            created_at=iso(now), updated_at=iso(now), expires_at=2_000_000_000,
        )
        for i in range(count)
    ]  # fmt: skip
    store.create_batch(batch, [replace(j, status=JobStatus.AWAITING_UPLOAD) for j in jobs])
    for i, job in enumerate(jobs):
        s3.put_object(Bucket=names.BUCKET_NAME, Key=keys.upload_key(job.batch_id, job.job_id), Body=image_bytes(i))
    return jobs


def event_for(jobs: list[JobRecord]) -> dict[str, Any]:
    return {
        "Records": [
            {
                "messageId": str(uuid.uuid4()),
                "receiptHandle": "bench",
                "body": json.dumps({"jobId": j.job_id, "batchId": j.batch_id}),
                "attributes": {"ApproximateReceiveCount": "1"},
            }
            for j in jobs
        ]
    }


def invocation_factory(fake: FakeSetup | None, sequential: bool):  # type: ignore[no-untyped-def]
    """The real handler's collaborators, with the store and S3 swapped for fakes when `fake` is given,
    and a single Rekognition call in flight at a time when `sequential`."""
    from worker.wiring import Invocation, open_invocation

    @asynccontextmanager
    async def factory() -> AsyncIterator[Invocation]:
        async with open_invocation() as real:
            jobs = real.jobs
            if fake is not None:
                jobs = replace(jobs, store=fake.store, objects=fake.objects)
            if sequential:
                one = asyncio.Semaphore(1)
                jobs = replace(jobs, feature_slots=dict.fromkeys(Feature, one))
            yield Invocation(jobs=jobs, redelivery=real.redelivery)

    return factory


@dataclass
class FakeSetup:
    store: FakeJobStore
    objects: FakeObjectStore

    def make_jobs(self, count: int) -> list[JobRecord]:
        from datetime import UTC, datetime

        now = iso(datetime.now(UTC))
        batch_id = keys.new_batch_id()
        jobs = []
        for i in range(count):
            job = JobRecord(
                job_id=keys.new_job_id(), batch_id=batch_id, seq=i, owner="bench", filename=f"{i}.jpg",
                content_type="image/jpeg", declared_size=1, options=AnalysisOptions(features=list(Feature)),
                status=JobStatus.QUEUED, created_at=now, updated_at=now, expires_at=2_000_000_000,
            )  # fmt: skip
            self.store.jobs[job.job_id] = job
            self.objects.objects[keys.upload_key(batch_id, job.job_id)] = image_bytes(i)
            jobs.append(job)
        return jobs


def measure(make: Any, fake: FakeSetup | None, runs: int) -> tuple[float, float]:
    from worker.handle_jobs import handle_batch

    ok = {"batchItemFailures": []}
    assert asyncio.run(handle_batch(event_for(make(RECORDS)), invocation_factory(fake, False))) == ok  # warm-up
    concurrent, sequential = [], []
    for _ in range(runs):
        event = event_for(make(RECORDS))
        start = time.perf_counter()
        assert asyncio.run(handle_batch(event, invocation_factory(fake, False))) == ok
        concurrent.append(time.perf_counter() - start)
        jobs = make(RECORDS)
        start = time.perf_counter()
        for job in jobs:  # one record per invocation, one call at a time
            assert asyncio.run(handle_batch(event_for([job]), invocation_factory(fake, True))) == ok
        sequential.append(time.perf_counter() - start)
    return statistics.median(concurrent), statistics.median(sequential)


class RecognizerProcess:
    def __init__(self, latency_ms: int) -> None:
        import socket
        import subprocess
        import urllib.request

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        self._process = subprocess.Popen(
            [sys.executable, "-m", "local_stack.recognizer", "--port", str(port), "--backend", "stub",
             "--latency-ms", str(latency_ms)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{self.url}/health", timeout=1).close()
                return
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise
                time.sleep(0.1)

    def stop(self) -> None:
        self._process.terminate()
        self._process.wait(timeout=10)


async def one_call_latency(recognizer_url: str) -> float:
    from worker.adapters.clients import open_clients

    async with open_clients() as clients:
        data = image_bytes(0)
        await clients.rekognition.detect_labels(Image={"Bytes": data})  # warm the connection
        times = []
        for _ in range(5):
            start = time.perf_counter()
            await clients.rekognition.detect_labels(Image={"Bytes": data})
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--latency-ms", type=int, default=100)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    aws = start_aws()
    # The recognizer runs in a process of its own, as Rekognition runs elsewhere than the worker: in this
    # process it would compete with the handler for the GIL and inflate every call.
    recognizer = RecognizerProcess(args.latency_ms)
    resources = provision(aws.url, ["http://127.0.0.1:8000"])
    os.environ.update(names.LOCAL_CREDENTIALS)
    os.environ.update(
        {
            "AWS_ENDPOINT_URL": aws.url,
            "AWS_ENDPOINT_URL_REKOGNITION": recognizer.url,
            "IMGREC_TABLE_NAME": resources.table_name,
            "IMGREC_BUCKET_NAME": resources.bucket_name,
            "IMGREC_QUEUE_URL": resources.queue_url,
        }
    )
    import boto3

    from imagejobs.store import JobStore

    store = JobStore(boto3.client("dynamodb"), resources.table_name)
    s3 = boto3.client("s3")
    try:
        call = asyncio.run(one_call_latency(recognizer.url))
        fake = FakeSetup(FakeJobStore(), FakeObjectStore())
        fakes = measure(fake.make_jobs, fake, args.runs)
        emulator = measure(lambda n: make_jobs(store, s3, n), None, args.runs)
        assert all(j.status is JobStatus.SUCCEEDED for j in fake.store.jobs.values())
    finally:
        recognizer.stop()
        aws.stop()

    print(f"machine: {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}")
    print(
        f"stub latency per call: {args.latency_ms} ms; one DetectLabels call end to end (median): {call * 1000:.0f} ms"
    )
    print(f"batch of {RECORDS} records x 4 features, median of {args.runs} runs:")
    for name, (c, s) in (("fakes", fakes), ("emulator", emulator)):
        print(
            f"  [{name}] concurrent {c * 1000:.0f} ms = {c / call:.2f}x one call; "
            f"sequential {s * 1000:.0f} ms; speed-up {s / c:.1f}x"
        )


if __name__ == "__main__":
    main()
