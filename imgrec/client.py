"""`ImgrecClient`: the REST API of design/API.md as Python calls, plus the presigned-POST upload.

Importable on its own:

    client = ImgrecClient("http://127.0.0.1:8000/api", token="alice")
    batch = client.create_batch([ImageSpec("a.jpg", "image/jpeg", 1234)], AnalysisRequest())
    client.upload(batch.jobs[0].upload, "a.jpg", "image/jpeg")
    client.submit(batch.batch_id)
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

from imgrec.contract import MAX_IMAGES_PER_REQUEST
from imgrec.errors import ApiError, TransportError, UploadRejected
from imgrec.multipart import MultipartFile
from imgrec.transport import Body, HttpResponse, HttpTransport, Transport

MAX_IMAGES_PER_CALL = MAX_IMAGES_PER_REQUEST

Json = dict[str, Any]


@dataclass(frozen=True)
class ImageSpec:
    filename: str
    content_type: str
    size: int

    def to_json(self) -> Json:
        return {"filename": self.filename, "contentType": self.content_type, "size": self.size}


@dataclass(frozen=True)
class AnalysisRequest:
    features: tuple[str, ...] = ("LABELS",)
    min_confidence: float | None = None

    def to_json(self) -> Json:
        options: Json = {"features": list(self.features)}
        if self.min_confidence is not None:
            options["minConfidence"] = self.min_confidence
        return options


@dataclass(frozen=True)
class UploadForm:
    url: str
    fields: Mapping[str, str]
    expires_at: str | None = None

    @classmethod
    def from_json(cls, data: Json) -> UploadForm:
        return cls(
            url=str(data["url"]),
            fields={str(k): str(v) for k, v in dict(data.get("fields") or {}).items()},
            expires_at=data.get("expiresAt"),
        )

    def to_json(self) -> Json:
        return {"url": self.url, "fields": dict(self.fields), "expiresAt": self.expires_at}


@dataclass(frozen=True)
class JobSlot:
    job_id: str
    filename: str
    upload: UploadForm

    @classmethod
    def from_json(cls, data: Json) -> JobSlot:
        return cls(
            job_id=str(data["jobId"]),
            filename=str(data.get("filename", "")),
            upload=UploadForm.from_json(data["upload"]),
        )


@dataclass(frozen=True)
class CreatedBatch:
    batch_id: str
    jobs: list[JobSlot]


@dataclass(frozen=True)
class SubmitResult:
    queued: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    already_submitted: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Polled:
    """An answer to poll: the document and how long the server asks us to wait before asking again."""

    data: Json
    retry_after: float | None


@dataclass(frozen=True)
class RetryPolicy:
    # Short on purpose: a run that stops is resumed by running it again, so waiting long gains little.
    attempts: int = 4
    first_delay: float = 0.25
    max_delay: float = 4.0

    def delay(self, attempt: int) -> float:
        return float(min(self.max_delay, self.first_delay * 2**attempt))


class ImgrecClient:
    """Thread-safe: uploads may run from many threads at once."""

    def __init__(
        self,
        api_url: str,
        token: str,
        *,
        transport: Transport | None = None,
        timeout: float = 60.0,
        # Creating 500 slots is one write per job on the server: locally (moto) that can take minutes.
        create_timeout: float = 300.0,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self._token = token
        self._transport = transport or HttpTransport()
        self._timeout = timeout
        self._create_timeout = create_timeout
        self._retry = retry or RetryPolicy()
        self._sleep = sleep

    def __repr__(self) -> str:
        # Never the token.
        return f"ImgrecClient({self.api_url!r})"

    # -- batches -----------------------------------------------------------------------------------

    def create_batch(
        self,
        images: Sequence[ImageSpec],
        options: AnalysisRequest,
        *,
        idempotency_key: str | None = None,
        name: str | None = None,
        tags: Sequence[str] = (),
    ) -> CreatedBatch:
        body: Json = {"images": [image.to_json() for image in images], "options": options.to_json()}
        if name:
            body["name"] = name
        if tags:
            body["tags"] = list(tags)
        data = self._call("POST", "/batches", body, idempotency_key=idempotency_key, timeout=self._create_timeout).data
        return CreatedBatch(batch_id=str(data["batchId"]), jobs=[JobSlot.from_json(job) for job in data["jobs"]])

    def add_images(
        self, batch_id: str, images: Sequence[ImageSpec], *, idempotency_key: str | None = None
    ) -> list[JobSlot]:
        body = {"images": [image.to_json() for image in images]}
        path = f"/batches/{_segment(batch_id)}/images"
        data = self._call("POST", path, body, idempotency_key=idempotency_key, timeout=self._create_timeout).data
        return [JobSlot.from_json(job) for job in data["jobs"]]

    def submit(self, batch_id: str, job_ids: Sequence[str] | None = None) -> SubmitResult:
        body: Json = {} if job_ids is None else {"jobIds": list(job_ids)}
        # Submitting is idempotent on the server, so it is safe to retry after a lost answer.
        data = self._call("POST", f"/batches/{_segment(batch_id)}/submit", body, retry_unsafe=True).data
        return SubmitResult(
            queued=list(data.get("queued", [])),
            missing=list(data.get("missing", [])),
            already_submitted=list(data.get("alreadySubmitted", [])),
        )

    def get_batch(self, batch_id: str) -> Polled:
        return self._call("GET", f"/batches/{_segment(batch_id)}")

    def get_job(self, job_id: str) -> Polled:
        return self._call("GET", f"/jobs/{_segment(job_id)}")

    def iter_jobs(self, batch_id: str, *, status: str | None = None, page_size: int = 100) -> Iterator[Json]:
        """Every job of a batch, page by page (one page in memory at a time)."""
        token: str | None = None
        while True:
            query: dict[str, str] = {"limit": str(page_size)}
            if status:
                query["status"] = status
            if token:
                query["nextToken"] = token
            data = self._call("GET", f"/batches/{_segment(batch_id)}/jobs?{urlencode(query)}").data
            yield from data.get("jobs", [])
            token = data.get("nextToken")
            if not token:
                return

    def health(self) -> Json:
        return self._call("GET", "/health").data

    # -- the library -------------------------------------------------------------------------------

    def iter_batches(self, *, name: str | None = None, tag: str | None = None, page_size: int = 100) -> Iterator[Json]:
        """The caller's batches, newest first, optionally those whose name contains `name` or with `tag`."""
        yield from self._pages("/batches", "batches", {"name": name, "tag": tag}, page_size)

    def search(self, params: Mapping[str, str | None], *, page_size: int = 100) -> Iterator[Json]:
        """Every image a search finds, page by page (see `GET /search`)."""
        yield from self._pages("/search", "results", {**params, "facets": "false"}, page_size)

    def search_page(self, params: Mapping[str, str | None], *, limit: int = 24) -> Json:
        """The first page of a search, with its facets."""
        query = {k: v for k, v in {**params, "limit": str(limit)}.items() if v is not None}
        return self._call("GET", f"/search?{urlencode(query)}").data

    def stats(self, *, top: int = 10) -> Json:
        return self._call("GET", f"/stats?top={top}").data

    def delete_batch(self, batch_id: str) -> Json:
        return self._call("DELETE", f"/batches/{_segment(batch_id)}").data

    def delete_job(self, job_id: str) -> Json:
        return self._call("DELETE", f"/jobs/{_segment(job_id)}").data

    def delete_account_data(self) -> Json:
        return self._call("DELETE", "/account/data").data

    def get_deletion(self, deletion_id: str) -> Polled:
        return self._call("GET", f"/deletions/{_segment(deletion_id)}")

    def _pages(self, path: str, key: str, params: Mapping[str, str | None], page_size: int) -> Iterator[Json]:
        token: str | None = None
        while True:
            query = {k: v for k, v in params.items() if v is not None}
            query["limit"] = str(page_size)
            if token:
                query["nextToken"] = token
            data = self._call("GET", f"{path}?{urlencode(query)}").data
            yield from data.get(key, [])
            token = data.get("nextToken")
            if not token:
                return

    # -- upload ------------------------------------------------------------------------------------

    def upload(
        self,
        form: UploadForm,
        path: str,
        content_type: str,
        *,
        filename: str | None = None,
        on_bytes: Callable[[int], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> None:
        """Streams `path` to the presigned POST form. Raises `UploadRejected` when S3 refuses it."""
        for attempt in range(self._retry.attempts):
            sent = 0

            def count(n: int) -> None:
                nonlocal sent
                sent += n
                if on_bytes is not None:
                    on_bytes(n)

            body = MultipartFile(
                fields=form.fields,
                path=path,
                filename=filename or path.rsplit("/", 1)[-1],
                content_type=content_type,
                on_bytes=count,
                cancel=cancel,
            )
            body.open()
            try:
                response = self._transport.send(
                    "POST",
                    form.url,
                    headers={
                        "Content-Type": body.content_type_header,
                        "Content-Length": str(body.content_length),
                    },
                    body=body.chunks(),
                    timeout=self._timeout,
                )
            except TransportError:
                if attempt + 1 >= self._retry.attempts:
                    raise
                response = None
            finally:
                body.close()
            if response is not None and 200 <= response.status < 300:
                return
            if on_bytes is not None and sent:
                on_bytes(-sent)  # these bytes will be sent again
            if response is not None and response.status < 500 and response.status != 429:
                raise _upload_rejected(response)
            if attempt + 1 >= self._retry.attempts and response is not None:
                raise _upload_rejected(response)
            self._sleep(self._retry.delay(attempt))

    # -- plumbing ----------------------------------------------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        body: Json | None = None,
        *,
        idempotency_key: str | None = None,
        retry_unsafe: bool = False,
        timeout: float | None = None,
    ) -> Polled:
        """One API call with retries on throttling, 5xx and connection failures.

        A POST whose answer was lost (timeout, reset) is repeated only when that cannot create anything
        twice: it is idempotent (`retry_unsafe`) or never left this machine. An `Idempotency-Key` does not
        count, because an API may ignore it: the caller decides (the CLI stops, and a re-run repeats the
        call under the same key after saying so).
        """
        headers = {"Accept": "application/json", "Authorization": f"Bearer {self._token}"}
        payload: Body = None
        if body is not None:
            payload = json.dumps(body, separators=(",", ":")).encode()
            headers["Content-Type"] = "application/json"
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        may_repeat = method in ("GET", "DELETE") or retry_unsafe  # DELETE is idempotent in this API
        for attempt in range(self._retry.attempts):
            last = attempt + 1 >= self._retry.attempts
            try:
                response = self._transport.send(
                    method, self.api_url + path, headers=headers, body=payload, timeout=timeout or self._timeout
                )
            except TransportError as error:
                if last or (error.maybe_sent and not may_repeat):
                    raise
                self._sleep(self._retry.delay(attempt))
                continue
            if response.status < 400:
                return Polled(data=_json_body(response), retry_after=_retry_after(response))
            error_ = _api_error(response)
            if not error_.is_transient or last:
                raise error_
            wait = _retry_after(response)
            self._sleep(wait if wait is not None else self._retry.delay(attempt))
        raise AssertionError("unreachable")  # pragma: no cover - the loop always returns or raises


def _segment(value: str) -> str:
    return quote(value, safe="")


def _json_body(response: HttpResponse) -> Json:
    if not response.body:
        return {}
    try:
        data = json.loads(response.body)
    except ValueError as error:
        raise ApiError(response.status, "BAD_RESPONSE", "the API answered with something not JSON") from error
    if not isinstance(data, dict):
        raise ApiError(response.status, "BAD_RESPONSE", "the API answered with JSON that is not an object")
    return data


def _retry_after(response: HttpResponse) -> float | None:
    value = response.header("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # an HTTP date: rare from an API; fall back to our own pacing


def _api_error(response: HttpResponse) -> ApiError:
    try:
        data = json.loads(response.body) if response.body else {}
    except ValueError:
        data = None
    error = data.get("error") if isinstance(data, dict) else None
    if isinstance(error, dict) and "code" in error:
        return ApiError(response.status, str(error["code"]), str(error.get("message", "")), _retry_after(response))
    text = response.body[:200].decode("utf-8", "replace").strip()
    return ApiError(response.status, f"HTTP_{response.status}", text or "no error details")


_S3_CODE = re.compile(rb"<Code>([^<]{1,100})</Code>")
_S3_MESSAGE = re.compile(rb"<Message>([^<]{1,500})</Message>")


def _upload_rejected(response: HttpResponse) -> UploadRejected:
    code = _S3_CODE.search(response.body)
    message = _S3_MESSAGE.search(response.body)
    return UploadRejected(
        response.status,
        code.group(1).decode("utf-8", "replace") if code else f"HTTP_{response.status}",
        message.group(1).decode("utf-8", "replace") if message else "the upload endpoint refused the file",
    )
