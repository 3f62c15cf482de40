"""The composition root: real adapters for one invocation."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from PIL import Image

from imagejobs.store import AsyncJobStore
from worker.adapters.clients import open_clients, open_sqs
from worker.adapters.objects import ObjectStore
from worker.adapters.queue import SqsRedelivery
from worker.adapters.rekognition import RekognitionRecognizer
from worker.ports import Redelivery
from worker.process_job import JobContext
from worker.settings import get_settings


@dataclass(frozen=True)
class Invocation:
    jobs: JobContext
    redelivery: Redelivery


@asynccontextmanager
async def open_invocation() -> AsyncIterator[Invocation]:
    settings = get_settings()
    # Pillow's own bomb guard agrees with ours: no warning below the cap, and caps above its default work.
    Image.MAX_IMAGE_PIXELS = settings.max_pixels
    async with open_clients() as clients:
        yield Invocation(
            jobs=JobContext(
                settings=settings,
                store=AsyncJobStore(clients.dynamodb, settings.table_name),
                objects=ObjectStore(clients.s3, settings.bucket_name),
                recognizer=RekognitionRecognizer(clients.rekognition),
            ),
            redelivery=SqsRedelivery(open_sqs, settings.queue_url),
        )
