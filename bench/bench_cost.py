"""Cost per 1,000 images per feature set (issue 15), from the worker's measured time and requests.

The real `worker.handle_jobs.lambda_handler` runs in a process of its own (one execution environment) on
12 MP phone photos, 10 records per invocation (the event source's batch size), against the embedded stack
with the stub recognizer answering each call after `--latency-ms` (Rekognition's own latency, which Lambda
bills as duration while the worker waits). Billed duration per image = invocation wall time / records.
Requests per image are counted per AWS operation on the worker's clients (botocore events).

Prices: us-east-1 list prices (checked 2026-11): Lambda x86 $0.0000166667 per GB-s and $0.20 per million
requests; Rekognition Group 2 APIs $1.00 per 1,000 calls (first million a month); DynamoDB on-demand $0.625
per million write and $0.125 per million read request units (items under 1 KB assumed; a transaction's item
costs 2 write units); S3 PUT $0.005 and GET $0.0004 per 1,000; SQS $0.40 per million requests (the event
source's receive and delete and the API's send, batched by 10: 0.3 per image). What the API side costs (API
Gateway, the client's reads) is left out: it depends on the client.

    .venv/bin/python bench/bench_cost.py [--images 30] [--latency-ms 400] [--memory-mb 3072]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

import bench_worker_io as io_bench  # noqa: E402

FEATURE_SETS: list[tuple[str, ...]] = [("LABELS",), ("LABELS", "TEXT"), ("LABELS", "FACES", "TEXT", "MODERATION")]
BATCH = 10
LAMBDA_GB_SECOND = 0.0000166667
LAMBDA_REQUEST = 0.20 / 1e6
REKOGNITION_CALL = 1.00 / 1000
DYNAMODB_WRITE = 0.625 / 1e6
DYNAMODB_READ = 0.125 / 1e6
S3_PUT = 0.005 / 1000
S3_GET = 0.0004 / 1000
SQS_REQUEST = 0.40 / 1e6
SQS_REQUESTS_PER_IMAGE = 0.3
_DYNAMODB_WRITES = ("PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem")


def store_cost(operations: dict[str, int]) -> dict[str, float]:
    """Dollars for the counted requests, by service (per the whole set of invocations)."""
    cost = {"dynamodb": 0.0, "s3": 0.0, "sqs": 0.0}
    for name, count in operations.items():
        service, _, operation = name.partition(".")
        if operation == "TransactWriteItems":
            continue  # billed per item: the "items" count below
        if operation == "TransactWriteItems items":
            cost["dynamodb"] += 2 * count * DYNAMODB_WRITE
        elif service == "dynamodb":
            cost["dynamodb"] += count * (DYNAMODB_WRITE if operation in _DYNAMODB_WRITES else DYNAMODB_READ)
        elif service == "s3":
            cost["s3"] += count * (S3_PUT if operation in ("PutObject", "CopyObject") else S3_GET)
        elif service == "sqs":
            cost["sqs"] += count * SQS_REQUEST
    return cost


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=30, help="phone photos per feature set (multiple of 10)")
    parser.add_argument("--latency-ms", type=int, default=400, help="simulated Rekognition latency per call")
    parser.add_argument("--memory-mb", type=int, default=3072, help="the worker's memory (template default)")
    args = parser.parse_args()
    os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
    from embedded_stack import embedded_stack

    from local_stack.recognizer import RecognizerConfig
    from tests.support.api import ApiClient

    recognizer = RecognizerConfig(backend="stub", latency_ms=args.latency_ms)
    measured: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    with embedded_stack(recognizer, rate_limit=1_000_000) as stack:
        api = ApiClient(stack.api_url, token="bench-cost")
        seed = 5000
        for features in FEATURE_SETS:
            # One warm-up batch first: the measurement is of warm invocations, as almost all are at volume.
            jobs = io_bench.prepare(api, args.images + BATCH, seed, features=features)
            seed += args.images + BATCH
            measured[features] = io_bench.run_child(REPO, jobs, batch=BATCH)[1:]

    print(
        f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, Rekognition latency {args.latency_ms} ms, "
        f"{args.memory_mb} MB"
    )
    print("| features | billed ms per image | Lambda | Rekognition | DynamoDB | S3 | SQS | total per 1,000 images |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for features, rows in measured.items():
        images = sum(row["jobs"] for row in rows)
        failures = sum(row["failures"] for row in rows)
        billed = statistics.median(row["wall"] / row["jobs"] for row in rows)
        operations: dict[str, int] = {}
        for row in rows:
            for name, count in row["operations"].items():
                operations[name] = operations.get(name, 0) + count
        stores = {name: value / images * 1000 for name, value in store_cost(operations).items()}
        stores["sqs"] += 1000 * SQS_REQUESTS_PER_IMAGE * SQS_REQUEST
        lam = 1000 * (billed * args.memory_mb / 1024 * LAMBDA_GB_SECOND + LAMBDA_REQUEST / BATCH)
        rek = 1000 * len(features) * REKOGNITION_CALL
        total = lam + rek + sum(stores.values())
        print(
            f"| {' + '.join(features)} | {1000 * billed:.0f} | ${lam:.3f} | ${rek:.2f} | ${stores['dynamodb']:.4f} | "
            f"${stores['s3']:.4f} | ${stores['sqs']:.4f} | ${total:.2f} |"
            + (f" ({failures} failed)" if failures else "")
        )
        calls = ", ".join(f"{name} {count / images:.1f}" for name, count in sorted(operations.items()))
        print(f"|  requests per image: {calls} | | | | | | | |")


if __name__ == "__main__":
    main()
