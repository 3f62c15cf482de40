"""Settings: one typed model per process, read from `IMGREC_*` environment variables once, validated at start.

Resource names have no defaults on purpose: a missing table or bucket name fails loudly at cold start.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Annotated, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

ENV_PREFIX = "IMGREC_"
MiB = 1024 * 1024

# Rekognition's own limits (facts/aws-limits.md); not settings, because AWS does not let us change them.
REKOGNITION_MAX_IMAGE_BYTES = 5 * MiB
REKOGNITION_MIN_EDGE = 80
REKOGNITION_MAX_EDGE = 10_000


class StoreSettings(BaseModel):
    """What both Lambdas need to reach the job records and the images."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    table_name: Annotated[str, Field(min_length=3)]
    bucket_name: Annotated[str, Field(min_length=3)]
    # Largest original a client may upload. The presigned POST policy and the worker both enforce it.
    max_upload_bytes: Annotated[int, Field(ge=1, le=500 * MiB)] = 40 * MiB
    # Job records (and their derived images, by lifecycle rule) expire after this many days.
    retention_days: Annotated[int, Field(ge=1, le=3650)] = 30


def _delays(value: object) -> object:
    """`5,300,1800` (an environment variable) as a tuple of seconds."""
    if isinstance(value, str):
        return tuple(int(part) for part in value.split(",") if part.strip())
    return value


# Seconds before each retry of a webhook delivery: 8 attempts over ~28 hours (docs/notifications.md). SQS
# hides a message for at most 12 hours, the bound of each step.
RetryDelays = Annotated[
    tuple[Annotated[int, Field(ge=1, le=43_200)], ...], BeforeValidator(_delays), Field(min_length=1, max_length=20)
]
DEFAULT_RETRY_DELAYS = (5, 300, 1800, 7200, 18_000, 36_000, 36_000)


class NotifySettings(BaseModel):
    """What the notification parts share: the table (endpoints, deliveries, connections) and the queue of
    webhook deliveries."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    table_name: Annotated[str, Field(min_length=3)]
    webhook_queue_url: Annotated[str, Field(min_length=8)]
    # The local stack's relaxation: http:// and loopback receivers. Never on when deployed.
    webhooks_allow_loopback: bool = False
    # Deliveries (and their attempts) are kept this long for GET /webhooks/{id}/deliveries.
    delivery_retention_days: Annotated[int, Field(ge=1, le=90)] = 14


class NotifierSettings(NotifySettings):
    events_topic_arn: Annotated[str, Field(min_length=8)]


class WebhookSenderSettings(NotifySettings):
    webhook_retry_delays: RetryDelays = DEFAULT_RETRY_DELAYS
    # How long one attempt may hold its delivery (longer than the function's timeout).
    webhook_lease_seconds: Annotated[int, Field(ge=10, le=900)] = 90


class SocketSettings(BaseModel):
    """The WebSocket API's connection handler."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    table_name: Annotated[str, Field(min_length=3)]
    # Where messages to this API's connections are posted (its management endpoint, stored per connection).
    socket_management_url: Annotated[str, Field(min_length=8)]


class SocketAuthSettings(BaseModel):
    """The WebSocket API's authorizer: whose tokens it accepts."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    user_pool_id: Annotated[str, Field(min_length=3)]
    user_pool_region: Annotated[str, Field(min_length=3)]
    # Comma-separated: the web app's client and the command line's.
    user_pool_client_ids: Annotated[str, Field(min_length=1)]


class ApiSettings(StoreSettings):
    queue_url: Annotated[str, Field(min_length=8)]
    max_inline_upload_bytes: Annotated[int, Field(ge=1, le=6 * MiB)] = 4 * MiB
    upload_url_ttl_seconds: Annotated[int, Field(ge=60, le=7 * 24 * 3600)] = 3600
    image_url_ttl_seconds: Annotated[int, Field(ge=60, le=7 * 24 * 3600)] = 3600
    # The web app's origin, answered in CORS headers. Empty: same-origin only (the local stack serves the
    # web app and the API from one origin); never "*".
    cors_origin: Annotated[str, Field(max_length=2048, pattern=r"^(https?://[^/\s]+)?$")] = ""
    # Per-caller quotas (docs/operations.md): the first line of cost defence.
    quota_images_per_day: Annotated[int, Field(ge=1, le=10_000_000)] = 10_000
    quota_jobs_per_batch: Annotated[int, Field(ge=1, le=10_000_000)] = 50_000
    # What one Rekognition image call costs, for the batch view's estimate: DetectLabels, DetectFaces,
    # DetectText and DetectModerationLabels are all "Group 2", $1.00 per 1,000 images for the first million
    # a month in us-east-1 (less beyond, and in some regions more): set your own.
    rekognition_price_per_1000_calls: Annotated[float, Field(ge=0, le=100)] = 1.0
    # Deletions too large to finish within the request go on in the background, through this queue.
    deletions_queue_url: Annotated[str, Field(min_length=8)]
    # Jobs a DELETE removes while the caller waits; a larger batch answers 202 and goes on in the background.
    inline_deletion_jobs: Annotated[int, Field(ge=1, le=200)] = 20
    # Webhooks (docs/notifications.md): redeliveries and test events go to the sender through this queue.
    webhook_queue_url: Annotated[str, Field(min_length=8)]
    webhooks_allow_loopback: bool = False
    max_webhook_endpoints: Annotated[int, Field(ge=1, le=1000)] = 20
    # After a rotation the old secret keeps signing beside the new one this long.
    webhook_secret_overlap_hours: Annotated[int, Field(ge=0, le=168)] = 24
    delivery_retention_days: Annotated[int, Field(ge=1, le=90)] = 14


class WorkerSettings(StoreSettings):
    queue_url: Annotated[str, Field(min_length=8)]
    # Pixel cap checked from the header before any decode (decompression bombs).
    max_pixels: Annotated[int, Field(ge=1_000_000, le=400_000_000)] = 100_000_000
    # Long side of the image sent to Rekognition. Its face and text minimums are relative to the frame
    # (40 px in 1920x1080, proportionally more in larger images), so fitting to ~1080p-2K loses nothing
    # detectable, and lets libjpeg decode 12-24 MP photos at 1/2 scale (~4x faster, docs/benchmarks.md).
    max_edge: Annotated[int, Field(ge=REKOGNITION_MIN_EDGE, le=REKOGNITION_MAX_EDGE)] = 2048
    # Concurrent calls per Rekognition API in one worker instance: a whole SQS batch (10) at once. With the
    # event source's MaximumConcurrency this caps calls in flight per API account-wide (10 x 10 = 100).
    rekognition_concurrency: Annotated[int, Field(ge=1, le=64)] = 10
    # The account's TPS quota per Detect* API (Service Quotas), shared by `worker_instances` instances (the
    # event source's MaximumConcurrency): each instance starts calls of an API at quota / instances per
    # second (worker/pacing.py). 0 leaves pacing off: only botocore's adaptive retries meet throttling.
    rekognition_tps_quota: Annotated[float, Field(ge=0, le=100_000)] = 0
    worker_instances: Annotated[int, Field(ge=1, le=1000)] = 1
    # How long a claim on a job holds before another delivery may take it over (a crashed worker's claim).
    lease_seconds: Annotated[int, Field(ge=10, le=3600)] = 180
    # Receives after which a failing message lands in the DLQ (the queue's redrive maxReceiveCount): a job
    # still throttled on its last receive is put back on the queue with a fresh message instead.
    max_receive_count: Annotated[int, Field(ge=1, le=1000)] = 8
    # A job that keeps being throttled this long after it was queued ends FAILED/THROTTLED.
    throttle_max_age_hours: Annotated[int, Field(ge=1, le=72)] = 6
    # Records still running this close to the function's timeout are released and retried, so the batch's
    # finished results are kept and the function never times out with work in flight.
    deadline_margin_seconds: Annotated[int, Field(ge=5, le=300)] = 20
    # Budget of one image in a normalizer child process (worker/normalize/sandbox/, docs/normalizer.md). CPU:
    # the slowest legitimate images measured take ~2 s (100 MP RGBA PNG), a 12 MP HEIC ~0.9 s; the parent
    # also stops a child after 2x this + 1 s of wall time. Memory: address space per child; the largest
    # legitimate image (100 MP progressive 4:4:4 JPEG) peaks at ~650 MB. Two children (the worker's two
    # normalize slots) plus the worker itself fit the 3072 MB function; raise both with max_pixels.
    normalize_cpu_seconds: Annotated[int, Field(ge=1, le=50)] = 10
    normalize_memory_mb: Annotated[int, Field(ge=256, le=4096)] = 1024


SettingsT = TypeVar("SettingsT", bound=BaseModel)


class SettingsError(RuntimeError):
    """The process is misconfigured; raised at start so the function fails before taking traffic."""


def load_settings(model: type[SettingsT], environ: Mapping[str, str] | None = None) -> SettingsT:
    env = os.environ if environ is None else environ
    values = {name: env[ENV_PREFIX + name.upper()] for name in model.model_fields if ENV_PREFIX + name.upper() in env}
    try:
        return model.model_validate(values)
    except ValidationError as error:
        names = ", ".join(ENV_PREFIX + str(e["loc"][0]).upper() for e in error.errors() if e["loc"])
        raise SettingsError(f"invalid or missing settings: {names}") from error
