"""Library search benchmark (issue 13): latency of `GET /search` with 10,000 indexed images of one caller on
the embedded stack, and the index's write cost per job.

The 10,000 images are written straight into the index (their term items and cards, as `LibraryStore`
writes them, in BatchWriteItem calls; the counters summed once), not run through the pipeline: what is
measured is the read path (API → byTerm → cards), and a pipeline run of 10,000 images locally would take
most of an hour. The per-job write cost is measured on one real `index_image` call of a typical job
(requests counted on the client, capacity units computed from the item sizes as DynamoDB bills them).

    .venv/bin/python bench/bench_search.py [--images 10000] [--requests 40]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "Imgrec")

import requests  # noqa: E402
from embedded_stack import embedded_stack  # noqa: E402

from imagejobs import index  # noqa: E402
from imagejobs.index import IndexedImage  # noqa: E402
from imagejobs.index_store import LibraryStore  # noqa: E402
from local_stack import names  # noqa: E402
from local_stack.recognizer.taxonomy import load_taxonomy  # noqa: E402
from local_stack.services import SERVICES  # noqa: E402

OWNER = "bench-owner"
WORDS = ("open", "exit", "sale", "cafe", "stop", "parking", "entry", "main", "street", "local")


def synthetic_images(count: int, seed: int = 7) -> list[IndexedImage]:
    """Labels drawn with a long tail (a few very common, most rare), as in real photo libraries."""
    rng = random.Random(seed)
    names_ = list(load_taxonomy().class_names)
    weights = [1 / (rank + 1) for rank in range(len(names_))]
    images = []
    for n in range(count):
        labels = {name: round(rng.uniform(55, 99), 3) for name in rng.choices(names_, weights=weights, k=8)}
        faces = rng.choices((0, 1, 2, 3), weights=(5, 3, 1, 1))[0]
        created = f"2026-11-{1 + n * 27 // count:02d}T{n % 24:02d}:00:00.{n % 1000:03d}Z"
        images.append(
            IndexedImage(
                job_id=f"j-{n:032x}",
                batch_id=f"b-{n // 500:032x}",
                owner=OWNER,
                filename=f"photo-{n}.jpg",
                status="SUCCEEDED",
                created_at=created,
                finished_at=created,
                expires_at=2_000_000_000,
                features=("LABELS", "FACES", "TEXT", "MODERATION"),
                labels=tuple(sorted(labels.items(), key=lambda pair: -pair[1])),
                moderation=(("Alcohol", 80.0),) if rng.random() < 0.05 else (),
                face_count=faces,
                words=tuple(rng.sample(WORDS, rng.randint(0, 2))),
                image_key=f"derived/b/j-{n}/normalized.jpg",
                image_width=640,
                image_height=480,
                sha256=f"{n:064x}",
            )
        )
    return images


def bulk_load(store: LibraryStore, images: list[IndexedImage]) -> float:
    """Term items and cards in BatchWriteItem calls; the counters summed here and written once."""
    started = time.perf_counter()
    items = [item for image in images for item in (*image.term_items(), image.card())]
    store.put_items(items)
    counters: dict[tuple[str, str], Counter[str]] = {}
    names_: dict[tuple[str, str], str] = {}
    for image in images:
        for scope in (index.owner_scope(OWNER), index.batch_scope(image.batch_id)):
            counters.setdefault((scope, index.TOTALS_SK), Counter()).update(index.totals(image))
            for kind, pairs in ((index.LABEL, image.labels), (index.MODERATION, image.moderation)):
                for name, _ in pairs:
                    key = (scope, index.counter_sk(kind, name))
                    counters.setdefault(key, Counter())["images"] += 1
                    names_[key] = name
    store.put_items(
        [
            {
                "pk": {"S": index.stats_pk(scope)},
                "sk": {"S": sk},
                **({"name": {"S": names_[(scope, sk)]}} if (scope, sk) in names_ else {}),
                **{attribute: {"N": str(value)} for attribute, value in values.items()},
            }
            for (scope, sk), values in counters.items()
        ]
    )
    return time.perf_counter() - started


def item_size(item: dict[str, Any]) -> int:
    """DynamoDB's billed size of an item: attribute names plus values (numbers ~ 1 byte per 2 digits + 1)."""
    size = 0
    for name, value in item.items():
        size += len(name.encode())
        if "S" in value:
            size += len(value["S"].encode())
        elif "N" in value:
            size += len(value["N"].lstrip("-").replace(".", "")) // 2 + 1
        else:
            size += len(json.dumps(value))
    return size


def write_cost(image: IndexedImage) -> dict[str, float]:
    """Capacity units of indexing one job: standard writes (term items) and transactional ones (card and
    counters, at twice the price), each also written to byTerm when it carries the index's keys."""
    units = 0.0
    for item in image.term_items():
        units += 2 * -(-item_size(item) // 1024)  # the table, and the byTerm index
    transactions = index.counter_transactions("t", image, count=True)
    for transaction in transactions:
        for entry in transaction["TransactItems"]:
            if "Put" in entry:
                units += 2 * 2 * -(-item_size(entry["Put"]["Item"]) // 1024)  # card: table + byTerm, x2
            else:
                units += 2 * 1  # a counter (under 1 KB), transactional
    terms = len(image.term_items())
    return {
        "items": terms + sum(len(t["TransactItems"]) for t in transactions),
        "requests": -(-terms // 25) + len(transactions),
        "wcu": units,
        "usd_per_million_jobs": units * 1.25,  # on-demand: $1.25 per million write request units
    }


class CountingClient:
    """Counts the requests a store makes (what the indexer adds per job)."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.calls: Counter[str] = Counter()

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._client, name)

        def counted(**kwargs: Any) -> Any:
            self.calls[name] += 1
            return method(**kwargs)

        return counted


def latencies(api: str, params: dict[str, str], count: int, token_page: bool = False) -> list[float]:
    headers = {"Authorization": f"Bearer {OWNER}"}
    first = requests.get(f"{api}/search", params={**params, "limit": "24"}, headers=headers, timeout=60)
    first.raise_for_status()
    query = {**params, "limit": "24"}
    if token_page:
        query["nextToken"] = first.json()["nextToken"]
    took = []
    for _ in range(count):
        started = time.perf_counter()
        answer = requests.get(f"{api}/search", params=query, headers=headers, timeout=60)
        took.append((time.perf_counter() - started) * 1000)
        answer.raise_for_status()
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=40)
    args = parser.parse_args()
    with embedded_stack() as stack:
        for service in SERVICES:  # nothing runs behind the benchmark's back: every event source stops
            if service.module in ("local_stack.poller", "local_stack.stream_poller"):
                stack.stop_service(service.name)
        store = LibraryStore(stack.client("dynamodb"), names.TABLE_NAME)
        images = synthetic_images(args.images)
        loaded = bulk_load(store, images)
        counts = Counter(name for image in images for name, _ in image.labels)
        common, _ = counts.most_common(1)[0]
        rare = next(name for name, n in counts.most_common() if n <= max(3, args.images // 1000))
        scenarios = {
            "everything (facets from counters)": {},
            f"common label '{common}' ({counts[common]} images; facets over the newest 1,000)": {"label": common},
            f"rare label '{rare}' ({counts[rare]} images)": {"label": rare},
            f"'{common}' with 2+ faces": {"label": common, "minFaces": "2"},
            "word 'exit'": {"text": "exit"},
            "one batch (facets from its counters)": {"batchId": images[0].batch_id},
        }
        print(f"# {args.images} indexed images loaded in {loaded:.1f} s; {platform.platform()}; {os.cpu_count()} CPUs")
        print("| search | p50 ms | p95 ms |")
        print("| --- | ---: | ---: |")
        for name, params in scenarios.items():
            took = sorted(latencies(stack.api_url, params, args.requests))
            p95 = took[int(0.95 * (len(took) - 1))]
            print(f"| {name} | {statistics.median(took):.0f} | {p95:.0f} |")
        took = sorted(latencies(stack.api_url, {"label": common, "facets": "false"}, args.requests, token_page=True))
        p95 = took[int(0.95 * (len(took) - 1))]
        print(f"| second page of '{common}' (no facets) | {statistics.median(took):.0f} | {p95:.0f} |")

        typical = images[1]
        counting = CountingClient(stack.client("dynamodb"))
        LibraryStore(counting, names.TABLE_NAME).index_image(
            IndexedImage(**{**typical.__dict__, "job_id": "j-" + "f" * 32})
        )
        cost = write_cost(typical)
        print(
            f"\nindex write cost of one job ({len(typical.labels)} labels, {len(typical.words)} words, "
            f"{len(typical.moderation)} moderation): {cost['items']} items in {sum(counting.calls.values())} requests "
            f"({dict(counting.calls)}), {cost['wcu']:.0f} write units, "
            f"${cost['usd_per_million_jobs']:.0f} per million jobs"
        )


if __name__ == "__main__":
    main()
