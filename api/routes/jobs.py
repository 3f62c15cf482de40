from __future__ import annotations

import base64
import binascii
import re
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from api.adapters.clients import get_services
from api.errors import BadRequestError, NotModifiedError, UnsupportedMediaTypeError
from api.logic import jobs
from api.logic.services import Services
from api.logic.views import RETRY_AFTER, job_etag
from api.models.jobs import ImageAccepted, Job
from api.routes.answers import AUTHENTICATED, answers
from api.routes.base_path import resolvable
from api.routes.identity import caller
from api.routes.responses import model_response
from imagejobs.callback_urls import MAX_URL_LENGTH, URL_PATTERN
from imagejobs.errors import ErrorCode
from imagejobs.model import DEFAULT_MAX_LABELS, DEFAULT_MIN_CONFIDENCE, AnalysisOptions, Feature
from imagejobs.records import JobRecord

router = APIGatewayRouter()
ServicesDep = Annotated[Services, Depends(get_services)]
IMAGE_TYPE = re.compile(r"image/[\w.+-]{1,100}")


def _features_pattern() -> str:
    """The `features` list as the document states it, so what the schema allows is exactly what is accepted:
    feature names in any letter case, comma-separated, with optional spaces."""
    any_case = "|".join("".join(f"[{c.upper()}{c.lower()}]" for c in feature.value) for feature in Feature)
    name = f" *({any_case}) *"
    return f"^{name}(,{name})*$"


FEATURES = re.compile(_features_pattern())


def _poll_headers(job: JobRecord) -> dict[str, str]:
    headers = {"ETag": job_etag(job)}
    if job.status in RETRY_AFTER:
        headers["Retry-After"] = str(RETRY_AFTER[job.status])
    return headers


@router.get(
    "/jobs/<jobId>",
    summary="A job: its status, and its results once it has them",
    responses=answers(
        200,
        Job,
        "The job; `Retry-After` while it is not finished.",
        headers=["ETag", "Retry-After"],
        errors=(*AUTHENTICATED, 404),
        extra={304: {"description": "Unchanged since the `If-None-Match` ETag."}},
    ),
    tags=["jobs"],
)
def get_job(
    job_id: Annotated[str, Path(alias="jobId", description="A job id.")], services: ServicesDep
) -> Response[str]:
    record, job = jobs.get_job(services, caller(router.current_event), job_id)
    headers = _poll_headers(record)
    if headers["ETag"] in (router.current_event.headers.get("if-none-match") or ""):
        raise NotModifiedError(headers)
    return model_response(200, job, headers)


def _features(value: str) -> list[Feature]:
    """The `features` query parameter, already matched against `FEATURES` by the resolver."""
    return list(dict.fromkeys(Feature(name.strip(" ").upper()) for name in value.split(",")))


def _raw_body(body: str | None, is_base64: bool) -> bytes:
    if not body:
        return b""
    if not is_base64:
        return body.encode("utf-8", "surrogateescape")
    try:
        return base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError) as error:
        raise BadRequestError("the body is not valid base64") from error


@router.post(
    "/images",
    summary="Analyse one small image in one call (the raw image is the body)",
    description="For images up to the inline limit (4 MB); larger ones use the batch flow (POST /batches).",
    responses=answers(
        202,
        ImageAccepted,
        "The job, QUEUED; poll it at `Location`.",
        headers=["ETag", "Retry-After", "Location"],
        errors=(*AUTHENTICATED, 413, 415),
    ),
    tags=["jobs"],
)
def analyze_image(
    services: ServicesDep,
    features: Annotated[
        str, Query(max_length=100, pattern=FEATURES.pattern, description="Comma-separated, e.g. LABELS,FACES.")
    ] = "LABELS",
    min_confidence: Annotated[float, Query(alias="minConfidence", ge=0, le=100)] = DEFAULT_MIN_CONFIDENCE,
    max_labels: Annotated[int, Query(alias="maxLabels", ge=1, le=1000)] = DEFAULT_MAX_LABELS,
    filename: Annotated[str, Query(min_length=1, max_length=1024)] = "image",
    callback_url: Annotated[
        str | None,
        Query(
            alias="callbackUrl",
            min_length=10,
            max_length=MAX_URL_LENGTH,
            pattern=URL_PATTERN,
            description="The job's events are POSTed here, signed (docs/notifications.md).",
        ),
    ] = None,
) -> Response[str]:
    owner = caller(router.current_event)
    event = router.current_event
    content_type = (event.headers.get("content-type") or "").split(";")[0].strip().lower()
    if not IMAGE_TYPE.fullmatch(content_type):
        raise UnsupportedMediaTypeError("send the raw image with Content-Type: image/* (for example image/jpeg)")
    body = _raw_body(event.body, bool(event.is_base64_encoded))
    if not body:
        raise BadRequestError("the body is empty: send the image bytes", code=ErrorCode.EMPTY_FILE.value)
    options = AnalysisOptions(features=_features(features), min_confidence=min_confidence, max_labels=max_labels)
    record, job = jobs.analyze_single_image(services, owner, body, content_type, filename, options, callback_url)
    headers = {**_poll_headers(record), "Location": resolvable(event, f"/jobs/{record.job_id}")}
    return model_response(202, job, headers)
