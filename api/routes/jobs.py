from __future__ import annotations

import base64
import binascii
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from api.adapters.clients import get_services
from api.errors import BadRequestError, UnsupportedMediaTypeError
from api.logic import jobs
from api.logic.services import Services
from api.logic.views import RETRY_AFTER, job_etag, job_view
from api.routes.identity import caller
from api.routes.responses import json_response
from imagejobs.errors import ErrorCode
from imagejobs.model import DEFAULT_MAX_LABELS, DEFAULT_MIN_CONFIDENCE, AnalysisOptions, Feature

router = APIGatewayRouter()
ServicesDep = Annotated[Services, Depends(get_services)]


@router.get("/jobs/<job_id>")
def get_job(job_id: str, services: ServicesDep) -> Response[str]:
    job, results = jobs.job_with_results(services, caller(router.current_event), job_id)
    etag = job_etag(job)
    headers = {"ETag": etag}
    if job.status in RETRY_AFTER:
        headers["Retry-After"] = str(RETRY_AFTER[job.status])
    if etag in (router.current_event.headers.get("if-none-match") or ""):
        return Response(status_code=304, body="", headers=headers)
    return json_response(200, job_view(services, job, results), headers)


def _features(value: str) -> list[Feature]:
    try:
        return [Feature(name.strip().upper()) for name in value.split(",") if name.strip()]
    except ValueError as error:
        names = ", ".join(f.value for f in Feature)
        raise BadRequestError(f"features must be a comma-separated list of {names}") from error


def _raw_body(body: str | None, is_base64: bool) -> bytes:
    if not body:
        return b""
    if not is_base64:
        return body.encode("utf-8", "surrogateescape")
    try:
        return base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError) as error:
        raise BadRequestError("the body is not valid base64") from error


@router.post("/images")
def analyze_image(
    services: ServicesDep,
    features: Annotated[str, Query(max_length=100)] = "LABELS",
    min_confidence: Annotated[float, Query(alias="minConfidence", ge=0, le=100)] = DEFAULT_MIN_CONFIDENCE,
    max_labels: Annotated[int, Query(alias="maxLabels", ge=1, le=1000)] = DEFAULT_MAX_LABELS,
    filename: Annotated[str, Query(min_length=1, max_length=1024)] = "image",
) -> Response[str]:
    owner = caller(router.current_event)
    event = router.current_event
    content_type = (event.headers.get("content-type") or "").split(";")[0].strip().lower()
    if not content_type.startswith("image/"):
        raise UnsupportedMediaTypeError("send the raw image with Content-Type: image/*")
    body = _raw_body(event.body, bool(event.is_base64_encoded))
    if not body:
        raise BadRequestError("the body is empty: send the image bytes", code=ErrorCode.EMPTY_FILE.value)
    chosen = _features(features)
    if not chosen:
        raise BadRequestError("features must name at least one feature")
    options = AnalysisOptions(features=chosen, min_confidence=min_confidence, max_labels=max_labels)
    job = jobs.analyze_single_image(services, owner, body, content_type, filename, options)
    headers = {"ETag": job_etag(job), "Location": f"/jobs/{job.job_id}"}
    if job.status in RETRY_AFTER:
        headers["Retry-After"] = str(RETRY_AFTER[job.status])
    return json_response(202, job_view(services, job, None), headers)
