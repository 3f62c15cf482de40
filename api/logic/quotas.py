"""Per-caller quotas, the first line of cost defence: every image may cost up to four Rekognition calls.

Images per day count upload slots as they are created (a slot is the only way to an analysis); jobs per
batch bound one batch. Request rate per caller is enforced in front of the API (WAF deployed, the local
gateway locally), not here.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from api.errors import QuotaExceededError
from api.logic.services import Services


def _next_midnight(moment: datetime) -> datetime:
    return (moment + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)


def reserve_images(services: Services, owner: str, count: int) -> None:
    """Count `count` new images against today's quota (UTC days), or refuse them all with 429."""
    limit = services.settings.quota_images_per_day
    now = services.clock()
    reset = _next_midnight(now)
    # The counter outlives its day by a day (TTL), so a late write never resurrects a reset counter.
    expires_at = int((reset + timedelta(days=1)).timestamp())
    if not services.store.reserve_daily_images(owner, now.date().isoformat(), count, limit, expires_at):
        raise QuotaExceededError(
            f"this request would pass your quota of {limit} images per day (UTC); it resets at midnight UTC",
            retry_after_seconds=int((reset - now).total_seconds()) + 1,
        )


def batch_full(services: Services, total: int, adding: int) -> QuotaExceededError | None:
    """The error for adding `adding` jobs to a batch of `total`, or None when the batch quota allows it."""
    limit = services.settings.quota_jobs_per_batch
    if total + adding <= limit:
        return None
    return QuotaExceededError(
        f"a batch holds at most {limit} images and this one has {total}: start another batch for the rest",
        # Waiting does not make room in this batch; the hour only keeps naive retry loops slow.
        retry_after_seconds=3600,
    )
