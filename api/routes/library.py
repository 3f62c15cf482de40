from __future__ import annotations

import re
from datetime import date
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from api.adapters.clients import get_services
from api.errors import BadRequestError
from api.logic import library, search
from api.logic.services import Services
from api.models.library import BatchSummary, LabelStats, SearchPage
from api.routes.answers import AUTHENTICATED, answers
from api.routes.identity import caller
from api.routes.responses import model_response
from imagejobs import keys

router = APIGatewayRouter()
ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
ServicesDep = Annotated[Services, Depends(get_services)]
Top = Annotated[int, Query(ge=1, le=100, description="How many labels to list, most frequent first.")]
NextToken = Annotated[
    str | None, Query(alias="nextToken", max_length=1024, description="From the previous page's `nextToken`.")
]


@router.get(
    "/search",
    summary="Search every finished image the caller owns, newest first, with facet counts",
    description=(
        "Every parameter narrows the search (all must hold). Names match in any letter case. Pages are full: "
        "a shorter page with a `nextToken` means 2,000 index entries were read for it without filling it."
    ),
    responses=answers(200, SearchPage, "A page of matching images; facets on the first page."),
    tags=["library"],
)
def search_images(
    services: ServicesDep,
    label: Annotated[
        str | None, Query(min_length=1, max_length=100, pattern=r"\S", description="A label, e.g. Dog.")
    ] = None,
    min_confidence: Annotated[
        float | None,
        Query(alias="minConfidence", ge=0, le=100, description="Least confidence of `label` / `moderation`."),
    ] = None,
    moderation: Annotated[
        str | None,
        Query(min_length=1, max_length=100, pattern=r"\S", description="A moderation label, e.g. Alcohol."),
    ] = None,
    flagged: Annotated[bool, Query(description="Only images with at least one moderation label.")] = False,
    min_faces: Annotated[int | None, Query(alias="minFaces", ge=0, le=1000)] = None,
    max_faces: Annotated[int | None, Query(alias="maxFaces", ge=0, le=1000)] = None,
    text: Annotated[
        str | None,
        Query(min_length=1, max_length=64, pattern=r"^\S+$", description="A word of the image's detected text."),
    ] = None,
    batch_id: Annotated[str | None, Query(alias="batchId", pattern=keys.ID_PATTERN.pattern)] = None,
    date_from: Annotated[date | None, Query(alias="from", description="Added on or after this day (UTC).")] = None,
    date_to: Annotated[date | None, Query(alias="to", description="Added on or before this day (UTC).")] = None,
    limit: Annotated[int, Query(ge=1, le=100, description="Page size.")] = 24,
    next_token: NextToken = None,
    facets: Annotated[bool, Query(description="Count top labels among the matches (first page).")] = True,
) -> Response[str]:
    raw = router.current_event.query_string_parameters or {}
    for name in ("from", "to"):  # YYYY-MM-DD only: the validator would also take a number as a date
        if name in raw and not ISO_DAY.fullmatch(raw[name]):
            raise BadRequestError(f"{name}: a day as YYYY-MM-DD")
    query = search.SearchQuery(
        label=label,
        min_confidence=min_confidence,
        moderation=moderation,
        flagged=flagged,
        min_faces=min_faces,
        max_faces=max_faces,
        text=text,
        batch_id=batch_id,
        date_from=date_from,
        date_to=date_to,
    )
    page = search.search(services, caller(router.current_event), query, limit, next_token, facets)
    return model_response(200, page)


@router.get(
    "/stats",
    summary="Label statistics over everything the caller owns: top labels, faces and moderation totals",
    responses=answers(200, LabelStats, "The caller's counters."),
    tags=["library"],
)
def caller_stats(services: ServicesDep, top: Top = 10) -> Response[str]:
    return model_response(200, library.caller_stats(services, caller(router.current_event), top))


@router.get(
    "/batches/<batchId>/summary",
    summary="A batch's summary: its progress, name, times, top labels, faces and moderation totals",
    responses=answers(200, BatchSummary, "The batch and its counters.", errors=(*AUTHENTICATED, 404)),
    tags=["library"],
)
def batch_summary(
    batch_id: Annotated[str, Path(alias="batchId", description="A batch id.")], services: ServicesDep, top: Top = 10
) -> Response[str]:
    return model_response(200, library.batch_summary(services, caller(router.current_event), batch_id, top))
