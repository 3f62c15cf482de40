"""`imgrec analyze`: scan → upload slots → concurrent uploads → grouped submits → poll → results file.

Every step goes through `RunState`, so a run interrupted at any point (Ctrl-C, kill, network drop) resumes
where it stopped when the same command runs again: uploaded files are not sent again, and no job is
created twice for a file.
"""

from __future__ import annotations

import hashlib
import json
import os
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from imgrec.client import MAX_IMAGES_PER_CALL, AnalysisRequest, ImageSpec, ImgrecClient, JobSlot
from imgrec.errors import ApiError, LocalFileError, UploadCancelled, UploadRejected
from imgrec.progress import Display, Progress
from imgrec.results import ResultWriter, Row, is_success, job_row, problem_row
from imgrec.scan import UNREADABLE, file_sha256, scan
from imgrec.state import PROBLEM, SUBMITTED, UPLOADED, FileRow, PendingIntent, RunState
from imgrec.submitter import Answer, Submitter

UPLOAD_MISSING = "UPLOAD_MISSING"
UPLOAD_REJECTED = "UPLOAD_REJECTED"
FAILURES_LISTED = 50
SUBMIT_IGNORED = "SUBMIT_IGNORED"
FORM_MARGIN = timedelta(minutes=5)


@dataclass(frozen=True)
class AnalyzeConfig:
    paths: tuple[str, ...]
    request: AnalysisRequest = field(default_factory=AnalysisRequest)
    concurrency: int = 8
    images_per_call: int = MAX_IMAGES_PER_CALL
    # Uploaded jobs are submitted in groups: analysis starts long before the last upload.
    submit_group: int = 50
    submit_interval: float = 1.0
    counts_interval: float = 2.0
    default_poll: float = 2.0
    max_poll: float = 30.0


def fingerprint(api_url: str, config: AnalyzeConfig) -> str:
    """What makes two invocations 'the same command' for resuming. Not the token: tokens get refreshed."""
    identity = {
        "api": api_url.rstrip("/"),
        "paths": list(config.paths),
        "options": config.request.to_json(),
    }
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()


@dataclass
class Outcome:
    batch_id: str | None
    rows: int = 0
    succeeded: int = 0
    failed: int = 0
    # The first few failures, for the terminal; every one is in the results file.
    listed: list[Row] = field(default_factory=list)

    def count(self, row: Row) -> None:
        self.rows += 1
        if is_success(row):
            self.succeeded += 1
            return
        self.failed += 1
        if len(self.listed) < FAILURES_LISTED:
            self.listed.append(row)


class Interrupted(Exception):
    """The run stopped on request; what was done is saved."""


@dataclass(frozen=True)
class Sent:
    """What a file was when it was sent: a later run re-sends it if its content differs."""

    sha256: str
    size: int
    mtime_ns: int


def _identity(path: str) -> Sent:
    try:
        info = os.stat(path)
        return Sent(file_sha256(path), info.st_size, info.st_mtime_ns)
    except OSError as error:
        raise LocalFileError(f"{path}: {error.strerror or error}") from error


class _UploadPool:
    """N daemon threads streaming files; results come back on a queue to the single state-writing thread."""

    def __init__(self, client: ImgrecClient, size: int, progress: Progress, cancel: threading.Event) -> None:
        self._client, self._progress, self._cancel = client, progress, cancel
        self.tasks: queue.Queue[FileRow | None] = queue.Queue()
        self.done: queue.Queue[tuple[FileRow, BaseException | None, Sent | None]] = queue.Queue()
        self._threads = [
            threading.Thread(target=self._work, name=f"imgrec-upload-{i}", daemon=True) for i in range(size)
        ]
        for thread in self._threads:
            thread.start()

    def _work(self) -> None:
        while (row := self.tasks.get()) is not None:
            if row.upload is None:  # pragma: no cover - slots always carry a form
                self.done.put((row, LocalFileError(f"{row.path} has no upload form"), None))
                continue
            try:
                sent = _identity(row.path)
                self._client.upload(
                    row.upload,
                    row.path,
                    row.content_type,
                    on_bytes=self._progress.add_bytes,
                    cancel=self._cancel,
                )
            # Forwarded, not swallowed: the main thread decides, and re-raises what it does not expect.
            except Exception as error:
                self.done.put((row, error, None))
            else:
                self._progress.file_uploaded()
                self.done.put((row, None, sent))

    def stop(self) -> None:
        for _ in self._threads:
            self.tasks.put(None)


def _expired(row: FileRow, now: datetime) -> bool:
    """A form that expires within the margin is treated as expired: a large upload must finish in time."""
    if row.upload is None or not row.upload.expires_at:
        return False
    try:
        expires = datetime.fromisoformat(row.upload.expires_at.replace("Z", "+00:00"))
    except ValueError:
        return False
    if expires.tzinfo is None:
        expires = expires.replace(tzinfo=UTC)
    return expires - now < FORM_MARGIN


class AnalyzeRun:
    def __init__(
        self,
        client: ImgrecClient,
        state: RunState,
        config: AnalyzeConfig,
        display: Display,
        progress: Progress,
        *,
        sleep: Callable[[float], None] = time.sleep,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        name: str | None = None,
        tags: tuple[str, ...] = (),
    ) -> None:
        self._name, self._tags = name, tags
        self._now = now
        self._renewed: set[str] = set()
        self.client, self.state, self.config = client, state, config
        self.display, self.progress, self._sleep = display, progress, sleep
        self._cancel = threading.Event()
        # Uploaded in this run (or an earlier one) and not yet confirmed submitted: still `slot` in the state.
        self._pending: set[str] = set()
        self._submitter: Submitter | None = None
        self._last_counts = 0.0
        self._slot_limit = config.images_per_call
        self._refusals_in_a_row = 0

    # -- the whole run -----------------------------------------------------------------------------

    def run(self, writer: ResultWriter) -> Outcome:
        self.state.bind(fingerprint(self.client.api_url, self.config))
        self.state.record_scan(scan(self.config.paths))
        self._recover_batch()
        self._resend_changed()
        intent = self.state.pending_intent()
        if intent is not None:
            self._resume_intent(intent)
        totals = self.state.totals()
        self.progress.start_uploads(totals.to_upload_files, totals.to_upload_bytes)
        self.display.message(
            f"imgrec start files_to_upload={totals.to_upload_files} bytes={totals.to_upload_bytes} "
            f"already_uploaded={totals.already_uploaded} reported_locally={totals.problems} "
            f"batch={self.state.batch_id or '-'} state={self.state.path}"
        )
        submitter = self._submitter = Submitter(
            self.client,
            lambda: self.state.batch_id,
            group=self.config.submit_group,
            interval=self.config.submit_interval,
        )
        for job_id in self.state.uploaded_not_submitted():
            self._pending.add(job_id)
            submitter.put(job_id)
        try:
            self._upload_all()
            submitter.close()
            while self._pending:
                self._take_submit_answers(wait=True)
        except BaseException:
            self._cancel.set()
            # Uploads that finished are kept, so a re-run does not send them again.
            self.state.mark(sorted(self._pending), UPLOADED)
            raise
        self.progress.uploads_finished()
        uploads = self.progress.snapshot()
        self.display.message(
            f"imgrec uploads done files={uploads.files_done} bytes={uploads.bytes_done} "
            f"seconds={uploads.elapsed:.2f} rate={uploads.rate:.1f}/s"
        )
        batch_id = self.state.batch_id
        if batch_id is not None:
            self._wait_until_analysed(batch_id)
        self.display.finish()
        return self._write_results(batch_id, writer)

    # -- recovery ----------------------------------------------------------------------------------

    def _recover_batch(self) -> None:
        """The batch an earlier run created may be gone (deleted, expired, a restarted local stack): then
        say so and send everything again into a new batch, rather than fail on every call."""
        batch_id = self.state.batch_id
        if batch_id is None:
            return
        try:
            self.client.get_batch(batch_id)
        except ApiError as error:
            if error.status != 404:
                raise
            files = self.state.forget_batch()
            self.display.message(
                f"imgrec batch {batch_id} no longer exists (deleted, expired, or the local stack was restarted): "
                f"starting a new batch with {files} file(s) sent to it"
            )

    def _resend_changed(self) -> None:
        """A file whose content changed since it was sent is analysed again (a touched one is not)."""
        changed = []
        for seq, path, sha256 in self.state.maybe_changed():
            try:
                now = file_sha256(path)
            except OSError:
                continue  # unreadable now: the scan reported it
            if now == sha256:
                self.state.unchanged(seq)
            else:
                changed.append(seq)
                self.display.message(f"imgrec file changed since it was sent, analysing it again path={path}")
        if changed:
            self.state.resend(changed)

    # -- upload slots ------------------------------------------------------------------------------

    def _create_slots(self, intent: PendingIntent) -> None:
        specs = [
            ImageSpec(filename=row.path.rsplit("/", 1)[-1], content_type=row.content_type, size=row.size)
            for row in intent.files
        ]
        try:
            slots, batch_id = self._request_slots(intent, specs)
        except ApiError as error:
            if error.is_transient or error.status in (401, 403, 404):
                raise  # the intent stays: the next run repeats the call with the same key
            self._refused(intent, error)
            return
        self._refusals_in_a_row = 0
        self._slot_limit = self.config.images_per_call
        self.state.finish_slots(intent, batch_id, slots)
        if intent.batch_id is None:
            self.display.message(f"imgrec batch created batch={batch_id}")

    def _resume_intent(self, intent: PendingIntent) -> None:
        """The last run stopped inside a slot request: repeat it with the same idempotency key."""
        self.display.message(f"imgrec repeating an unanswered upload-slot request files={len(intent.files)}")
        self._create_slots(intent)
        batch_id = self.state.batch_id
        if intent.batch_id is None or batch_id is None:
            return
        # An API that ignores the key has made the slots twice: say so (they stay AWAITING_UPLOAD, unused).
        extra = int(self.client.get_batch(batch_id).data.get("total", 0)) - self.state.known_job_count()
        if extra > 0:
            self.display.message(f"imgrec warning unused_slots={extra} batch={batch_id} reason=lost-answer")

    def _request_slots(self, intent: PendingIntent, specs: list[ImageSpec]) -> tuple[list[JobSlot], str]:
        if intent.batch_id is None:
            created = self.client.create_batch(
                specs, self.config.request, idempotency_key=intent.key, name=self._name, tags=self._tags
            )
            return created.jobs, created.batch_id
        return self.client.add_images(intent.batch_id, specs, idempotency_key=intent.key), intent.batch_id

    def _refused(self, intent: PendingIntent, error: ApiError) -> None:
        """A 4xx for a whole request created nothing. Halve it until the file the API refuses is alone."""
        if len(intent.files) > 1:
            self.state.release_slots(intent)
            self._slot_limit = max(1, len(intent.files) // 2)
            return
        self._refusals_in_a_row += 1
        if self._refusals_in_a_row >= 3 and error.status != 413:
            raise error  # every file is refused alike: the request itself is wrong, not the files
        self.state.abandon_slots(intent, error.code, error.message)
        self._slot_limit = self.config.images_per_call

    # -- uploads -----------------------------------------------------------------------------------

    def _upload_all(self) -> None:
        pool = _UploadPool(self.client, self.config.concurrency, self.progress, self._cancel)
        in_flight: set[int] = set()
        waiting: deque[FileRow] = deque()
        try:
            while True:
                self._feed(pool, in_flight, waiting)
                if not in_flight:
                    return
                try:
                    finished = [pool.done.get(timeout=0.2)]
                except queue.Empty:
                    finished = []
                while True:
                    try:
                        finished.append(pool.done.get_nowait())
                    except queue.Empty:
                        break
                for row, error, sent in finished:
                    in_flight.discard(row.seq)
                    self._uploaded(row, error, sent)
                self._take_submit_answers(wait=False)
                self._refresh_counts()
                self.display.refresh()
        finally:
            pool.stop()

    def _feed(self, pool: _UploadPool, in_flight: set[int], waiting: deque[FileRow]) -> None:
        target = 2 * self.config.concurrency
        while len(in_flight) < target:
            if not waiting:
                skip = in_flight | {row.seq for row in waiting}
                rows = self.state.slots_to_upload(after_seq=0, limit=len(skip) + len(self._pending) + target)
                rows = [row for row in rows if row.seq not in skip and not self._is_pending(row)]
                # Once per file and run: a clock far ahead of the API's must not make slots forever.
                expired = [r for r in rows if r.path not in self._renewed and _expired(r, self._now())]
                if expired:
                    self.display.message(f"imgrec warning expired_upload_forms={len(expired)} action=new-slots")
                    self._renewed.update(r.path for r in expired)
                    self.state.renew([r.seq for r in expired])
                    continue
                waiting.extend(rows)
            if not waiting:
                intent = self.state.begin_slots(self._slot_limit)
                if intent is None:
                    return
                self._create_slots(intent)
                continue
            row = waiting.popleft()
            in_flight.add(row.seq)
            pool.tasks.put(row)

    def _is_pending(self, row: FileRow) -> bool:
        # Uploaded this run but not submitted yet (still in stage `slot` in the state file).
        return row.job_id is not None and row.job_id in self._pending

    def _uploaded(self, row: FileRow, error: BaseException | None, sent: Sent | None = None) -> None:
        assert row.job_id is not None
        if error is None:
            if sent is not None:
                self.state.record_sent(row.job_id, sent.sha256, sent.size, sent.mtime_ns)
            self._pending.add(row.job_id)
            assert self._submitter is not None
            self._submitter.put(row.job_id)
        elif isinstance(error, LocalFileError):
            self.state.mark_problem(row.job_id, UNREADABLE, str(error))
        elif isinstance(error, UploadRejected) and error.status < 500 and error.status != 429:
            code = "FILE_TOO_LARGE" if error.code == "EntityTooLarge" else UPLOAD_REJECTED
            self.state.mark_problem(row.job_id, code, f"{error.code}: {error.message}")
        elif isinstance(error, UploadCancelled):
            raise Interrupted
        else:
            raise error  # the network or S3 is down: stop here, the next run resumes

    def _take_submit_answers(self, wait: bool) -> None:
        assert self._submitter is not None
        answers: list[Answer] = []
        try:
            answers.append(self._submitter.answers.get(timeout=0.2) if wait else self._submitter.answers.get_nowait())
            while True:
                answers.append(self._submitter.answers.get_nowait())
        except queue.Empty:
            pass
        for answer in answers:
            if answer.error is not None:
                raise answer.error
            assert answer.result is not None
            done = answer.result.queued + answer.result.already_submitted
            self.state.mark(done, SUBMITTED)
            for job_id in answer.result.missing:
                self.state.mark_problem(job_id, UPLOAD_MISSING, "the API did not find the upload; re-run to retry")
            # An id the API answered nothing about is reported rather than sent round again.
            for job_id in set(answer.job_ids) - set(done) - set(answer.result.missing):
                self.state.mark_problem(job_id, SUBMIT_IGNORED, "the API did not take this job; re-run to retry")
            self._pending.difference_update(answer.job_ids)

    # -- analysis ----------------------------------------------------------------------------------

    def _refresh_counts(self) -> None:
        batch_id = self.state.batch_id
        if batch_id is None or time.monotonic() - self._last_counts < self.config.counts_interval:
            return
        self._last_counts = time.monotonic()
        self._apply_counts(self.client.get_batch(batch_id).data)

    def _apply_counts(self, batch: dict[str, Any]) -> dict[str, int]:
        counts = {str(k): int(v) for k, v in dict(batch.get("counts") or {}).items()}
        self.progress.set_jobs(counts, int(batch.get("total", 0)) - counts.get("AWAITING_UPLOAD", 0))
        return counts

    def _wait_until_analysed(self, batch_id: str) -> None:
        while True:
            polled = self.client.get_batch(batch_id)
            counts = self._apply_counts(polled.data)
            self.display.refresh()
            if counts.get("QUEUED", 0) + counts.get("PROCESSING", 0) == 0 and not self._any_in_flight(batch_id):
                return
            wait = polled.retry_after if polled.retry_after is not None else self.config.default_poll
            self._sleep(min(max(wait, 0.2), self.config.max_poll))

    def _any_in_flight(self, batch_id: str) -> bool:
        """Counters can lag the job records: confirm no job is still queued or processing."""
        for status in ("QUEUED", "PROCESSING"):
            for _ in self.client.iter_jobs(batch_id, status=status, page_size=1):
                return True
        return False

    # -- results -----------------------------------------------------------------------------------

    def _write_results(self, batch_id: str | None, writer: ResultWriter) -> Outcome:
        outcome = Outcome(batch_id=batch_id)
        if batch_id is not None:
            for row in self._job_rows(batch_id):
                writer.write(row)
                outcome.count(row)
        for path, job_id, code, message in self.state.problems():
            row = problem_row(path, job_id, code, message)
            writer.write(row)
            outcome.count(row)
        return outcome

    def _job_rows(self, batch_id: str) -> Iterator[Row]:
        page: list[dict[str, Any]] = []
        for job in self.client.iter_jobs(batch_id):
            page.append(job)
            if len(page) >= 100:
                yield from self._rows_for(page)
                page = []
        yield from self._rows_for(page)

    def _rows_for(self, jobs: list[dict[str, Any]]) -> Iterator[Row]:
        # Only jobs of files this run covers; a slot whose file was reported locally is left out too.
        located = self.state.locate([str(job.get("jobId")) for job in jobs])
        for job in jobs:
            found = located.get(str(job.get("jobId")))
            if found is not None and found[1] != PROBLEM:
                yield job_row(found[0], job)
