"""The composition root: the real adapters an invocation works with, around the environment's clients."""

from __future__ import annotations

import atexit
import threading
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass

from PIL import Image

from imagejobs.model import Feature
from imagejobs.settings import WorkerSettings
from imagejobs.store import AsyncJobStore
from worker.adapters.clients import Clients, open_clients
from worker.adapters.objects import ObjectStore
from worker.adapters.queue import SqsRedelivery
from worker.adapters.rekognition import RekognitionRecognizer
from worker.normalize.sandbox.parent import NormalizeBudget, SandboxedNormalizer
from worker.pacing import PacedRecognizer, Pacer
from worker.ports import Redelivery
from worker.process_job import JobContext
from worker.settings import get_settings

# One normalizer child per normalize slot (JobContext.normalize_slots).
NORMALIZE_PROCESSES = 2
_sandbox: SandboxedNormalizer | None = None
_sandbox_lock = threading.Lock()


@dataclass(frozen=True)
class Invocation:
    jobs: JobContext
    redelivery: Redelivery


def build_invocation(
    clients: Clients, settings: WorkerSettings, pacers: Mapping[Feature, Pacer] | None = None
) -> Invocation:
    """`pacers` outlive the invocation (the execution environment keeps them): the pace holds across calls."""
    # Pillow's own bomb guard agrees with ours: no warning below the cap, and caps above its default work.
    Image.MAX_IMAGE_PIXELS = settings.max_pixels
    return Invocation(
        jobs=JobContext(
            settings=settings,
            store=AsyncJobStore(clients.dynamodb, settings.table_name),
            objects=ObjectStore(clients.s3, settings.bucket_name),
            recognizer=PacedRecognizer(RekognitionRecognizer(clients.rekognition), pacers or {}),
            normalizer=shared_normalizer(settings),
        ),
        redelivery=SqsRedelivery(clients.sqs, settings.queue_url),
    )


@asynccontextmanager
async def open_invocation() -> AsyncIterator[Invocation]:
    """An invocation with clients of its own, closed after it (tools and tests; the Lambda handlers use
    their execution environment's kept clients, worker/runtime.py)."""
    async with open_clients() as clients:
        yield build_invocation(clients, get_settings())


def shared_normalizer(settings: WorkerSettings) -> SandboxedNormalizer:
    """The execution environment's normalizer children, reused by every invocation and stopped when the
    process exits (or replaced if the budget settings changed). Each child starts with the first image that
    needs it, so a function that never normalizes (the dead-letter handler) never starts one; call
    `.start()` on the result during init to have them ready before the first image."""
    global _sandbox  # noqa: PLW0603 - one set of child processes per process is the point
    budget = NormalizeBudget(cpu_seconds=settings.normalize_cpu_seconds, memory_mb=settings.normalize_memory_mb)
    with _sandbox_lock:
        if _sandbox is not None and _sandbox.budget != budget:
            _sandbox.close()
            _sandbox = None
        if _sandbox is None:
            _sandbox = SandboxedNormalizer(budget, processes=NORMALIZE_PROCESSES, start=False)
            atexit.register(_sandbox.close)
        return _sandbox
