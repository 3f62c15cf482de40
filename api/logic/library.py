"""Label statistics per caller and per batch, a batch's summary, and batch names and tags."""

from __future__ import annotations

from api.errors import NotFoundError
from api.logic import pages
from api.logic.batches import owned_batch
from api.logic.services import Services
from api.logic.views import batch_view
from api.models.batches import Batch, BatchPage
from api.models.library import BatchSummary, LabelStats, NameCount
from api.models.requests import UpdateBatchRequest
from imagejobs import index
from imagejobs.index import Stats
from imagejobs.records import AttributeMap, BatchRecord

# Batches examined for one filtered page at most (a caller rarely has more; `nextToken` goes on).
MAX_BATCHES_SCANNED = 1_000


def stats_view(stats: Stats, top: int) -> LabelStats:
    return LabelStats(
        images=stats.images,
        faces=stats.faces,
        images_with_faces=stats.with_faces,
        flagged=stats.flagged,
        images_with_text=stats.with_text,
        labels=[NameCount(name=c.name, count=c.count) for c in stats.labels[:top]],
        moderation=[NameCount(name=c.name, count=c.count) for c in stats.moderation[:top]],
    )


def caller_stats(services: Services, owner: str, top: int) -> LabelStats:
    return stats_view(services.library.read_stats(index.owner_scope(owner)), top)


def batch_summary(services: Services, owner: str, batch_id: str, top: int) -> BatchSummary:
    batch = owned_batch(services, owner, batch_id)
    stats = services.library.read_stats(index.batch_scope(batch.batch_id))
    return BatchSummary(
        batch=batch_view(batch, services.settings.rekognition_price_per_1000_calls), stats=stats_view(stats, top)
    )


def update_batch(services: Services, owner: str, batch_id: str, body: UpdateBatchRequest) -> Batch:
    batch = owned_batch(services, owner, batch_id)
    changes: dict[str, object] = {}
    if "name" in body.model_fields_set:
        changes["name"] = body.name
    if "tags" in body.model_fields_set:
        changes["tags"] = tuple(sorted(set(body.tags or ())))
    if not changes:
        return batch_view(batch, services.settings.rekognition_price_per_1000_calls)
    updated = services.library.update_batch_labels(batch.batch_id, **changes)
    if updated is None:  # deleted meanwhile
        raise NotFoundError(f"no batch {batch_id[:80]!r}")
    return batch_view(updated, services.settings.rekognition_price_per_1000_calls)


def list_batches(
    services: Services, owner: str, limit: int, next_token: str | None, name: str | None, tag: str | None
) -> BatchPage:
    """A page of the caller's batches, newest first, optionally only those whose name contains `name`
    (any letter case) or that carry `tag`: full pages, reading on until the page is full (bounded)."""
    filters = pages.digest(name, tag) if name or tag else None
    start = pages.batches_start_key(next_token, owner, filters)
    found: list[BatchRecord] = []
    scanned = 0
    position: AttributeMap | None = start
    while len(found) < limit and scanned < MAX_BATCHES_SCANNED:
        batches, last, read = services.library.list_batches_filtered(owner, limit - len(found), position, name, tag)
        scanned += read
        found += batches
        position = last
        if not last:
            break
    # Each read asks only for what the page still lacks, so `position` is exactly where the page ends.
    return BatchPage(
        batches=[batch_view(b, services.settings.rekognition_price_per_1000_calls) for b in found],
        next_token=pages.batches_token(position, owner, filters),
    )
