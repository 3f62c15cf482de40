"""Deletions: what a DELETE started and how far it got."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from api.models.base import OMITTED_WHEN_NONE, ApiModel
from imagejobs.deletions import DeletionScope, DeletionStatus


class Deleted(ApiModel):
    jobs: int
    batches: int
    objects: Annotated[int, Field(description="Stored files removed (originals, images, results, answers).")]


class Deletion(ApiModel):
    deletion_id: str
    status: Annotated[
        DeletionStatus, Field(description="COMPLETED once nothing of the target is left; poll GET /deletions/{id}.")
    ]
    scope: DeletionScope
    target: Annotated[str | None, Field(description="The job or batch id (absent for the account).")] = (
        OMITTED_WHEN_NONE
    )
    created_at: str
    updated_at: str
    completed_at: str | None = OMITTED_WHEN_NONE
    deleted: Deleted
