"""Settings of the pre-traffic hook's process: the new versions to probe (IMGREC_SMOKE_*)."""

from __future__ import annotations

from functools import cache
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from imagejobs.settings import load_settings

VersionArn = Annotated[str, Field(pattern=r"^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[\w-]+:\d+$")]


class SmokeSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    smoke_api_version: VersionArn
    smoke_worker_version: VersionArn
    smoke_dead_letter_version: VersionArn
    smoke_deletion_version: VersionArn
    # None where the stack joins the other region's table: the indexer runs only where the table is created.
    smoke_indexer_version: VersionArn | None = None
    smoke_notifier_version: VersionArn | None = None
    smoke_webhook_sender_version: VersionArn | None = None


@cache
def get_smoke_settings() -> SmokeSettings:
    return load_settings(SmokeSettings)
