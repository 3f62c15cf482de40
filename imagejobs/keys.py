"""The S3 key layout and identifiers. Keys are always chosen here, never by a client."""

from __future__ import annotations

import hashlib
import re
import uuid

UPLOADS_PREFIX = "uploads/"
DERIVED_PREFIX = "derived/"
CACHE_PREFIX = f"{DERIVED_PREFIX}cache/"
# One JSON document per finished job, partitioned by the UTC day it finished (Athena / DuckDB read them).
ANALYTICS_PREFIX = "analytics/jobs/"

ID_PATTERN = re.compile(r"^[bj]-[0-9a-f]{32}$")
DELETION_ID_PATTERN = re.compile(r"^d-[0-9a-f]{32}$")


def new_batch_id() -> str:
    return f"b-{uuid.uuid4().hex}"


def new_job_id() -> str:
    return f"j-{uuid.uuid4().hex}"


def replayable_id(kind: str, *scope: str) -> str:
    """An id derived from what identifies a request (caller, Idempotency-Key, position), so that repeating
    the request names the same batch and jobs instead of creating new ones."""
    if kind not in {"b", "j", "d"}:
        raise ValueError("kind is 'b' (batch), 'j' (job) or 'd' (deletion)")
    return f"{kind}-" + hashlib.sha256("\0".join(scope).encode()).hexdigest()[:32]


def is_valid_id(value: str) -> bool:
    """Ids come back in URLs: anything not shaped like one of ours is simply not found."""
    return bool(ID_PATTERN.match(value))


def upload_key(batch_id: str, job_id: str) -> str:
    """Where the client's original goes. Expired by a lifecycle rule if never submitted."""
    return f"{UPLOADS_PREFIX}{batch_id}/{job_id}"


def normalized_image_key(batch_id: str, job_id: str, extension: str) -> str:
    """The image Rekognition saw; every bounding box is relative to it."""
    return f"{DERIVED_PREFIX}{batch_id}/{job_id}/normalized.{extension}"


def is_valid_deletion_id(value: str) -> bool:
    return bool(DELETION_ID_PATTERN.match(value))


def owner_cache_prefix(owner: str) -> str:
    """Every cached Rekognition answer of one owner (what deleting an account lists and removes)."""
    owner_digest = hashlib.sha256(owner.encode()).hexdigest()[:20]
    return f"{CACHE_PREFIX}{owner_digest}/"


def cached_answers_key(owner: str, image_sha256: str, parameters_digest: str) -> str:
    """Raw Rekognition answers, addressed by content: one document per owner, normalized image and set of
    calls (features and their parameters). Scoped per owner so nobody can learn from a cache hit what
    another caller uploaded."""
    return f"{owner_cache_prefix(owner)}{image_sha256}/{parameters_digest}.json"


def job_derived_prefix(batch_id: str, job_id: str) -> str:
    """Everything derived for one job (normalized image, results): listed and removed when it is deleted."""
    return f"{DERIVED_PREFIX}{batch_id}/{job_id}/"


def analytics_key(finished_day: str, job_id: str) -> str:
    """The job's analytics record; `finished_day` is YYYY-MM-DD (UTC), the Hive-style `dt` partition."""
    return f"{ANALYTICS_PREFIX}dt={finished_day}/{job_id}.json"


def results_key(batch_id: str, job_id: str) -> str:
    """The `results` object of the job answer, as one document (DynamoDB items cap at 400 KB)."""
    return f"{DERIVED_PREFIX}{batch_id}/{job_id}/results.json"
