"""Submitting uploaded jobs in groups from a thread of its own, so uploads never wait for a submit call.

The main thread hands over job ids as their uploads finish and reads the API's answers back from `answers`;
it alone writes the state file.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from imgrec.client import ImgrecClient, SubmitResult

SUBMIT_MAX = 500  # job ids per submit call: the API's limit, like the create calls


@dataclass(frozen=True)
class Answer:
    job_ids: list[str]
    result: SubmitResult | None
    # Forwarded to the main thread, which re-raises it: the run stops and resumes next time.
    error: Exception | None = None


class Submitter:
    def __init__(
        self,
        client: ImgrecClient,
        batch_id: Callable[[], str | None],
        *,
        group: int = 50,
        interval: float = 1.0,
    ) -> None:
        self._client, self._batch_id = client, batch_id
        self._group, self._interval = min(group, SUBMIT_MAX), interval
        self._inbox: queue.Queue[str | None] = queue.Queue()
        self.answers: queue.Queue[Answer] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="imgrec-submit", daemon=True)
        self._thread.start()

    def put(self, job_id: str) -> None:
        self._inbox.put(job_id)

    def close(self) -> None:
        """Submits what is left, then stops; answers keep arriving until then."""
        self._inbox.put(None)

    def _run(self) -> None:
        group: list[str] = []
        first_at = 0.0
        closing = False
        while not closing:
            timeout = None if not group else max(0.0, first_at + self._interval - time.monotonic())
            try:
                item = self._inbox.get(timeout=timeout)
            except queue.Empty:
                item = ""
            if item is None:
                closing = True
            elif item:
                if not group:
                    first_at = time.monotonic()
                group.append(item)
            due = group and (closing or len(group) >= self._group or time.monotonic() - first_at >= self._interval)
            if due and not self._submit(group):
                return
            if due:
                group = []

    def _submit(self, job_ids: list[str]) -> bool:
        batch_id = self._batch_id()
        try:
            if batch_id is None:  # pragma: no cover - jobs exist only once their batch does
                raise RuntimeError("jobs to submit before the batch exists")
            result = self._client.submit(batch_id, job_ids)
        except Exception as error:  # forwarded, see Answer.error
            self.answers.put(Answer(job_ids, None, error))
            return False
        self.answers.put(Answer(job_ids, result))
        return True
