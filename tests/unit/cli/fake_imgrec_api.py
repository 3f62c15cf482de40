"""FakeImgrecApi: an in-process FAKE of the imgrec REST API and S3 presigned POST, for the CLI unit tests.

It is not the product's API: it follows design/API.md closely enough to drive the client (ids, shapes,
error bodies, Retry-After, pagination, per-caller isolation, idempotent submit) and records what the
client did, with knobs to inject the failures the client must survive. The real API is exercised by
tests/integration/test_cli*.py against the embedded stack.
"""

from __future__ import annotations

import email.parser
import email.policy
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

JPEG_MAGIC = b"\xff\xd8\xff"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@dataclass
class FakeJob:
    job_id: str
    batch_id: str
    filename: str
    content_type: str
    key: str
    seq: int
    status: str = "AWAITING_UPLOAD"
    ready_at: float = 0.0
    data: bytes | None = None


@dataclass
class FakeBatch:
    batch_id: str
    owner: str
    options: dict[str, Any]
    jobs: list[str] = field(default_factory=list)


@dataclass
class Event:
    kind: str  # "create", "extend", "upload", "submit", "poll", "list"
    at: float
    detail: Any = None


class FakeImgrecApi:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.batches: dict[str, FakeBatch] = {}
        self.jobs: dict[str, FakeJob] = {}
        self.objects: dict[str, bytes] = {}
        self.events: list[Event] = []
        self.idempotency: dict[str, dict[str, Any]] = {}
        self.auth_headers: list[str] = []
        # Knobs.
        self.max_images = 500
        self.max_upload_bytes = 10_000_000
        self.processing_seconds = 0.0
        self.retry_after = "0"
        self.page_size_cap = 100
        self.honour_idempotency_key = True
        self.upload_delay = 0.0
        self.submit_delay = 0.0
        self.drop_create_answers = 0  # commit the create, then close the connection without answering
        self.fail_uploads_with_503 = 0
        self.fail_api_with_503 = 0
        self.submit_missing: set[str] = set()
        self._server = _QuietServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True)

    # -- lifecycle ---------------------------------------------------------------------------------

    @property
    def base(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def api_url(self) -> str:
        return self.base + "/api"

    def start(self) -> FakeImgrecApi:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    # -- what tests read ---------------------------------------------------------------------------

    def count(self, kind: str) -> int:
        with self.lock:
            return sum(1 for e in self.events if e.kind == kind)

    def times(self, kind: str) -> list[float]:
        with self.lock:
            return [e.at for e in self.events if e.kind == kind]

    def uploads_per_key(self) -> dict[str, int]:
        with self.lock:
            counts: dict[str, int] = {}
            for e in self.events:
                if e.kind == "upload":
                    counts[e.detail] = counts.get(e.detail, 0) + 1
            return counts

    def jobs_of(self, batch_id: str) -> list[FakeJob]:
        with self.lock:
            return [self.jobs[j] for j in self.batches[batch_id].jobs]

    # -- the job model -----------------------------------------------------------------------------

    def _status(self, job: FakeJob) -> str:
        if job.status == "QUEUED" and time.monotonic() >= job.ready_at:
            data = job.data or b""
            job.status = "SUCCEEDED" if data.startswith((JPEG_MAGIC, PNG_MAGIC)) else "FAILED"
        return job.status

    def _job_json(self, job: FakeJob) -> dict[str, Any]:
        status = self._status(job)
        features = self.batches[job.batch_id].options.get("features", ["LABELS"])
        results = None
        error = None
        if status == "SUCCEEDED":
            # Deterministic, derived from the bytes, so tests can check the mapping end to end.
            size = len(job.data or b"")
            results = {
                "labels": [
                    {"Name": "Thing", "Confidence": 60.0 + size % 30, "Parents": []},
                    {
                        "Name": "Png" if (job.data or b"").startswith(PNG_MAGIC) else "Jpeg",
                        "Confidence": 99.0,
                    },
                ]
                if "LABELS" in features
                else None,
                "faces": [{"Confidence": 99.0}] * (size % 3) if "FACES" in features else None,
                "text": [
                    {"DetectedText": "HELLO WORLD", "Type": "LINE", "Id": 0, "Confidence": 90.0},
                    {"DetectedText": "HELLO", "Type": "WORD", "Id": 1, "ParentId": 0, "Confidence": 90.0},
                ]
                if "TEXT" in features
                else None,
                "moderation": [] if "MODERATION" in features else None,
            }
        elif status == "FAILED":
            error = {"code": "UNSUPPORTED_FORMAT", "message": "not a JPEG or PNG image"}
        return {
            "jobId": job.job_id,
            "batchId": job.batch_id,
            "filename": job.filename,
            "status": status,
            "createdAt": "2026-01-01T00:00:00Z",
            "updatedAt": "2026-01-01T00:00:00Z",
            "options": self.batches[job.batch_id].options,
            "error": error,
            "image": None,
            "original": None,
            "results": results,
            "featureErrors": None,
        }

    def _new_jobs(self, batch: FakeBatch, images: list[dict[str, Any]]) -> list[dict[str, Any]]:
        out = []
        for image in images:
            job_id = "j-" + uuid.uuid4().hex
            key = f"uploads/{batch.batch_id}/{job_id}"
            job = FakeJob(
                job_id=job_id,
                batch_id=batch.batch_id,
                filename=image["filename"],
                content_type=image["contentType"],
                key=key,
                seq=len(batch.jobs),
            )
            self.jobs[job_id] = job
            batch.jobs.append(job_id)
            fields = {"key": key, "Content-Type": image["contentType"], "policy": "eyJmYWtlIjp0cnVlfQ=="}
            out.append(
                {
                    "jobId": job_id,
                    "filename": image["filename"],
                    "upload": {
                        "url": self.base + "/upload",
                        "fields": fields,
                        "expiresAt": "2099-01-01T00:00:00Z",
                    },
                }
            )
        return out

    def _check_images(self, images: Any) -> tuple[int, dict[str, Any]] | None:
        if not isinstance(images, list) or not images:
            return 400, _error("VALIDATION_ERROR", "images must be a non-empty list")
        if len(images) > self.max_images:
            return 400, _error("VALIDATION_ERROR", f"at most {self.max_images} images per request")
        for image in images:
            if int(image.get("size", 0)) > self.max_upload_bytes:
                return 413, _error("FILE_TOO_LARGE", f"{image['filename']} is over the upload limit")
            if int(image.get("size", 0)) < 1:
                return 400, _error("VALIDATION_ERROR", "size must be at least 1")
        return None

    # -- HTTP --------------------------------------------------------------------------------------

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_GET(self) -> None:
                fake._route(self, "GET")

            def do_POST(self) -> None:
                fake._route(self, "POST")

        return Handler

    def _route(self, h: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(h.path)
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        if len(body) < length:
            return  # the client went away mid-body: like S3, keep nothing of it
        if parts.path == "/upload" and method == "POST":
            self._upload(h, body)
            return
        if parts.path == "/api/health":
            _send(h, 200, {"status": "ok"})
            return
        auth = h.headers.get("Authorization", "")
        self.auth_headers.append(auth)
        owner = auth.removeprefix("Bearer ").strip()
        if not auth.startswith("Bearer ") or not owner:
            _send(h, 401, _error("UNAUTHORIZED", "missing bearer token"))
            return
        with self.lock:
            if self.fail_api_with_503 > 0:
                self.fail_api_with_503 -= 1
                _send(h, 503, _error("UNAVAILABLE", "try again"), {"Retry-After": "0"})
                return
        segments = [s for s in parts.path.split("/") if s][1:]  # drop "api"
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        payload = json.loads(body) if body else {}
        self._dispatch(h, method, segments, query, payload, owner)

    def _dispatch(
        self,
        h: BaseHTTPRequestHandler,
        method: str,
        segments: list[str],
        query: dict[str, str],
        payload: dict[str, Any],
        owner: str,
    ) -> None:
        key = h.headers.get("Idempotency-Key")
        with self.lock:
            if method == "POST" and segments == ["batches"]:
                self._create(h, payload, owner, key)
                return
            if segments[:1] == ["batches"] and len(segments) >= 2:
                batch = self.batches.get(segments[1])
                if batch is None or batch.owner != owner:
                    _send(h, 404, _error("NOT_FOUND", "no such batch"))
                    return
                self._batch_route(h, method, segments[2:], query, payload, batch, key)
                return
            if method == "GET" and segments[:1] == ["jobs"] and len(segments) == 2:
                job = self.jobs.get(segments[1])
                if job is None or self.batches[job.batch_id].owner != owner:
                    _send(h, 404, _error("NOT_FOUND", "no such job"))
                    return
                _send(h, 200, self._job_json(job))
                return
        _send(h, 404, _error("NOT_FOUND", "no such route"))

    def _create(self, h: BaseHTTPRequestHandler, payload: dict[str, Any], owner: str, key: str | None) -> None:
        if key and self.honour_idempotency_key and key in self.idempotency:
            _send(h, 201, self.idempotency[key])
            return
        problem = self._check_images(payload.get("images"))
        if problem:
            _send(h, *problem)
            return
        batch = FakeBatch(batch_id="b-" + uuid.uuid4().hex, owner=owner, options=payload.get("options") or {})
        self.batches[batch.batch_id] = batch
        answer = {
            "batchId": batch.batch_id,
            "createdAt": "now",
            "jobs": self._new_jobs(batch, payload["images"]),
        }
        if key:
            self.idempotency[key] = answer
        self.events.append(Event("create", time.monotonic(), len(payload["images"])))
        self._answer_or_drop(h, 201, answer)

    def _answer_or_drop(self, h: BaseHTTPRequestHandler, status: int, answer: dict[str, Any]) -> None:
        if self.drop_create_answers > 0:
            self.drop_create_answers -= 1
            h.close_connection = True  # the work is committed, the answer is lost
            return
        _send(h, status, answer)

    def _batch_route(
        self,
        h: BaseHTTPRequestHandler,
        method: str,
        rest: list[str],
        query: dict[str, str],
        payload: dict[str, Any],
        batch: FakeBatch,
        key: str | None,
    ) -> None:
        if method == "GET" and not rest:
            counts = dict.fromkeys(("AWAITING_UPLOAD", "QUEUED", "PROCESSING", "SUCCEEDED", "PARTIAL", "FAILED"), 0)
            for job_id in batch.jobs:
                counts[self._status(self.jobs[job_id])] += 1
            done = counts["QUEUED"] + counts["PROCESSING"] + counts["AWAITING_UPLOAD"] == 0
            self.events.append(Event("poll", time.monotonic()))
            headers = {} if done else {"Retry-After": self.retry_after}
            body = {"batchId": batch.batch_id, "createdAt": "now", "options": batch.options}
            _send(h, 200, {**body, "total": len(batch.jobs), "counts": counts, "done": done}, headers)
        elif method == "POST" and rest == ["images"]:
            if key and self.honour_idempotency_key and key in self.idempotency:
                _send(h, 201, self.idempotency[key])
                return
            problem = self._check_images(payload.get("images"))
            if problem:
                _send(h, *problem)
                return
            answer = {"jobs": self._new_jobs(batch, payload["images"])}
            if key:
                self.idempotency[key] = answer
            self.events.append(Event("extend", time.monotonic(), len(payload["images"])))
            self._answer_or_drop(h, 201, answer)
        elif method == "POST" and rest == ["submit"]:
            if self.submit_delay:
                # A slow submit (the real API makes one write per job), without holding up other requests.
                self.events.append(Event("submit-start", time.monotonic()))
                self.lock.release()
                try:
                    time.sleep(self.submit_delay)
                finally:
                    self.lock.acquire()
            self._submit(h, batch, payload)
        elif method == "GET" and rest == ["jobs"]:
            self._list(h, batch, query)
        else:
            _send(h, 404, _error("NOT_FOUND", "no such route"))

    def _submit(self, h: BaseHTTPRequestHandler, batch: FakeBatch, payload: dict[str, Any]) -> None:
        ids = payload.get("jobIds", batch.jobs)
        queued, missing, already = [], [], []
        for job_id in ids:
            job = self.jobs.get(job_id)
            if job is None or job.batch_id != batch.batch_id:
                continue
            if job.status != "AWAITING_UPLOAD":
                already.append(job_id)
            elif job.key not in self.objects or job_id in self.submit_missing:
                missing.append(job_id)
            else:
                job.status, job.data = "QUEUED", self.objects[job.key]
                job.ready_at = time.monotonic() + self.processing_seconds
                queued.append(job_id)
        self.events.append(Event("submit", time.monotonic(), list(queued)))
        _send(h, 202, {"queued": queued, "missing": missing, "alreadySubmitted": already})

    def _list(self, h: BaseHTTPRequestHandler, batch: FakeBatch, query: dict[str, str]) -> None:
        limit = min(int(query.get("limit", "100")), self.page_size_cap)
        start = int(query.get("nextToken", "0"))
        status = query.get("status")
        matching = [j for j in batch.jobs if not status or self._status(self.jobs[j]) == status]
        page = matching[start : start + limit]
        token = str(start + limit) if start + limit < len(matching) else None
        self.events.append(Event("list", time.monotonic()))
        _send(h, 200, {"jobs": [self._job_json(self.jobs[j]) for j in page], "nextToken": token})

    def _upload(self, h: BaseHTTPRequestHandler, body: bytes) -> None:
        if self.upload_delay:
            time.sleep(self.upload_delay)
        with self.lock:
            if self.fail_uploads_with_503 > 0:
                self.fail_uploads_with_503 -= 1
                _send_raw(h, 503, b"<Error><Code>SlowDown</Code><Message>slow down</Message></Error>")
                return
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"Content-Type: " + h.headers["Content-Type"].encode() + b"\r\n\r\n" + body
        )
        parts = list(message.iter_parts())
        names = [p.get_param("name", header="content-disposition") for p in parts]
        if not parts or names[-1] != "file" or names.count("file") != 1:
            _send_raw(h, 400, b"<Error><Code>InvalidArgument</Code><Message>file must come last</Message></Error>")
            return
        fields = {n: p.get_content() for n, p in zip(names[:-1], parts[:-1], strict=True)}
        data = parts[-1].get_payload(decode=True)
        with self.lock:
            job = next((j for j in self.jobs.values() if j.key == fields.get("key")), None)
            if job is None or fields.get("Content-Type") != job.content_type or "policy" not in fields:
                _send_raw(h, 403, b"<Error><Code>AccessDenied</Code><Message>bad policy</Message></Error>")
                return
            if len(data) > self.max_upload_bytes:
                _send_raw(h, 400, b"<Error><Code>EntityTooLarge</Code><Message>too large</Message></Error>")
                return
            self.objects[job.key] = data
            self.events.append(Event("upload", time.monotonic(), job.key))
        _send_raw(h, 204, b"")


class _QuietServer(ThreadingHTTPServer):
    request_queue_size = 128  # the default 5 drops SYNs when 16 upload threads connect at once (1 s stalls)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients that hang up (cancelled uploads, dropped answers) are part of the tests, not noise."""


def _error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def _send(h: BaseHTTPRequestHandler, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
    data = json.dumps(body).encode()
    h.send_response(status)
    h.send_header("Content-Type", "application/json")
    h.send_header("Content-Length", str(len(data)))
    for name, value in (headers or {}).items():
        h.send_header(name, value)
    h.end_headers()
    h.wfile.write(data)


def _send_raw(h: BaseHTTPRequestHandler, status: int, body: bytes) -> None:
    h.send_response(status)
    h.send_header("Content-Length", str(len(body)))
    h.end_headers()
    h.wfile.write(body)
