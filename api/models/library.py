"""The library: search results with facets, label statistics, a batch's summary."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from api.models.base import OMITTED_WHEN_NONE, ApiModel
from api.models.batches import Batch
from api.models.jobs import NormalizedImage
from imagejobs.model import JobStatus


class LabelHit(ApiModel):
    name: str
    confidence: float


class SearchHit(ApiModel):
    """A finished image that matches; open it with `GET /jobs/{jobId}`."""

    job_id: str
    batch_id: str
    filename: str
    status: JobStatus
    created_at: str
    finished_at: str
    labels: Annotated[list[LabelHit], Field(description="Its most confident labels (up to 5).")]
    moderation: Annotated[list[str], Field(description="Its moderation labels, if it was checked.")]
    face_count: Annotated[int | None, Field(description="Faces found (absent: FACES was not requested).")] = (
        OMITTED_WHEN_NONE
    )
    image: NormalizedImage | None


class NameCount(ApiModel):
    name: str
    count: int


class Facets(ApiModel):
    matches: Annotated[int, Field(description="Images that match (counted up to the facet bound).")]
    complete: Annotated[
        bool, Field(description="False when more images match than the facets were counted over (the newest 1,000).")
    ]
    labels: Annotated[list[NameCount], Field(description="Top labels among the matches, most frequent first.")]
    moderation: Annotated[list[NameCount], Field(description="Top moderation labels among the matches.")]


class SearchPage(ApiModel):
    results: list[SearchHit]
    next_token: Annotated[str | None, Field(description="Pass as `nextToken` for the next page; null at the end.")]
    facets: Annotated[Facets | None, Field(description="On the first page (no `nextToken`) unless `facets=false`.")] = (
        OMITTED_WHEN_NONE
    )


class LabelStats(ApiModel):
    images: Annotated[int, Field(description="Analysed images (SUCCEEDED or PARTIAL) still kept.")]
    faces: Annotated[int, Field(description="Faces found in them, in all.")]
    images_with_faces: int
    flagged: Annotated[int, Field(description="Images with at least one moderation label.")]
    images_with_text: int
    labels: Annotated[list[NameCount], Field(description="Top labels by number of images.")]
    moderation: Annotated[list[NameCount], Field(description="Top moderation labels by number of images.")]


class BatchSummary(ApiModel):
    batch: Batch
    stats: LabelStats
