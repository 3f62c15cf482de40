"""Opaque `nextToken`s: a listing's position, encoded for the client and checked strictly on the way back.

A token carries only scalars (which listing, which batch or owner, the position); the DynamoDB key to
resume from is rebuilt here. Anything that is not a token this API issued for this listing — bad base64,
other JSON, another batch's token — is a 400, never a crash.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from typing import Annotated, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from api.errors import BadRequestError
from imagejobs import keys, records, webhooks
from imagejobs.model import JobStatus
from imagejobs.records import AttributeMap

_NOT_OURS = "nextToken is not one this API returned for this listing"
MAX_TOKEN_LENGTH = 1024


class _Token(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class JobsToken(_Token):
    kind: Literal["jobs"] = "jobs"
    batch: Annotated[str, Field(pattern=keys.ID_PATTERN.pattern)]
    status: JobStatus | None = None
    job: Annotated[str, Field(pattern=keys.ID_PATTERN.pattern)]
    seq: Annotated[int, Field(ge=0, le=2**53)]


class BatchesToken(_Token):
    kind: Literal["batches"] = "batches"
    owner: Annotated[str, Field(min_length=16, max_length=16)]  # a digest: tokens never show the caller's id
    batch: Annotated[str, Field(pattern=keys.ID_PATTERN.pattern)]
    created_at: Annotated[str, Field(min_length=1, max_length=40)]
    # The listing's filters (a digest), when it has any: a token is only good for the same filters.
    filter: Annotated[str, Field(min_length=16, max_length=16)] | None = None


class SearchToken(_Token):
    kind: Literal["search"] = "search"
    owner: Annotated[str, Field(min_length=16, max_length=16)]
    query: Annotated[str, Field(min_length=16, max_length=16)]  # digest of the search's parameters
    job: Annotated[str, Field(pattern=keys.ID_PATTERN.pattern)]
    at: Annotated[str, Field(min_length=1, max_length=80)]


TokenT = TypeVar("TokenT", bound=_Token)


def _encode(token: _Token) -> str:
    raw = json.dumps(token.model_dump(mode="json", exclude_none=True), separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(model: type[TokenT], value: str) -> TokenT:
    if len(value) > MAX_TOKEN_LENGTH:
        raise BadRequestError(_NOT_OURS)
    try:
        return model.model_validate_json(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
    except (ValueError, binascii.Error) as error:  # pydantic's ValidationError is a ValueError
        raise BadRequestError(_NOT_OURS) from error


def owner_digest(owner: str) -> str:
    return hashlib.sha256(owner.encode()).hexdigest()[:16]


def jobs_token(last_key: AttributeMap | None, batch_id: str, status: JobStatus | None) -> str | None:
    if not last_key:
        return None
    job_id = last_key["pk"]["S"].removeprefix("JOB#")
    return _encode(JobsToken(batch=batch_id, status=status, job=job_id, seq=int(last_key["seq"]["N"])))


def jobs_start_key(token: str | None, batch_id: str, status: JobStatus | None) -> AttributeMap | None:
    if token is None:
        return None
    decoded = _decode(JobsToken, token)
    if decoded.batch != batch_id or decoded.status != status:
        raise BadRequestError("nextToken belongs to another listing (other batch or status filter)")
    key: AttributeMap = {**records.job_key(decoded.job), "seq": {"N": str(decoded.seq)}}
    if status is None:
        key["batchId"] = {"S": batch_id}
    else:
        key["batchStatus"] = {"S": records.batch_status(batch_id, status)}
    return key


def batches_token(last_key: AttributeMap | None, owner: str, filters: str | None = None) -> str | None:
    if not last_key:
        return None
    batch_id = last_key["pk"]["S"].removeprefix("BATCH#")
    return _encode(
        BatchesToken(owner=owner_digest(owner), batch=batch_id, created_at=last_key["createdAt"]["S"], filter=filters)
    )


def batches_start_key(token: str | None, owner: str, filters: str | None = None) -> AttributeMap | None:
    if token is None:
        return None
    decoded = _decode(BatchesToken, token)
    if decoded.owner != owner_digest(owner) or decoded.filter != filters:
        raise BadRequestError("nextToken belongs to another listing")
    return {
        **records.batch_key(decoded.batch),
        "batchOwner": {"S": owner},
        "createdAt": {"S": decoded.created_at},
    }


def digest(*parts: object) -> str:
    """Names a listing's filters or a search's parameters inside its tokens."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:16]


def search_token(owner: str, query: str, job_id: str, at: str) -> str:
    return _encode(SearchToken(owner=owner_digest(owner), query=query, job=job_id, at=at))


def search_start_key(token: str | None, owner: str, query: str, term: str, sk: str) -> AttributeMap | None:
    """The `byTerm` key to go on from: the driving term and item are rebuilt from the search itself."""
    if token is None:
        return None
    decoded = _decode(SearchToken, token)
    if decoded.owner != owner_digest(owner) or decoded.query != query:
        raise BadRequestError("nextToken belongs to another search (other parameters)")
    return {**records.job_key(decoded.job), "sk": {"S": sk}, "term": {"S": term}, "at": {"S": decoded.at}}


class DeliveriesToken(_Token):
    kind: Literal["deliveries"] = "deliveries"
    endpoint: Annotated[str, Field(pattern=webhooks.ENDPOINT_ID_PATTERN)]
    delivery: Annotated[str, Field(pattern=webhooks.DELIVERY_ID_PATTERN)]


def deliveries_token(last_key: AttributeMap | None, endpoint_id: str) -> str | None:
    if not last_key:
        return None
    return _encode(DeliveriesToken(endpoint=endpoint_id, delivery=last_key["sk"]["S"].removeprefix("DELIVERY#")))


def deliveries_start_key(token: str | None, endpoint_id: str) -> AttributeMap | None:
    if token is None:
        return None
    decoded = _decode(DeliveriesToken, token)
    if decoded.endpoint != endpoint_id:
        raise BadRequestError("nextToken belongs to another endpoint's deliveries")
    return webhooks.delivery_key(decoded.endpoint, decoded.delivery)
