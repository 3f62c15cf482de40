"""The resumable state of one `imgrec analyze` run, in a SQLite file.

Each step is one transaction, so a crash at any instant leaves a consistent file. The one step whose
effect lives on the server before we hear of it is creating upload slots: the intent (which files, under
which idempotency key) is committed *before* the call, and the answer is recorded in one transaction with
clearing the intent. A re-run that finds an intent repeats the same call with the same key.

Stages of a file: `new` (found) → `slot` (job created, upload form held) → `uploaded` → `submitted`;
or `problem` (reported locally, never sent).
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from imgrec.client import JobSlot, UploadForm
from imgrec.scan import FoundImage, Problem

NEW, SLOT, UPLOADED, SUBMITTED, PROBLEM = "new", "slot", "uploaded", "submitted", "problem"
SCHEMA_VERSION = "1"
# What the latest scan saw, and what was true of the file when it was sent (its content hash).
_LATER_COLUMNS = {
    "seen_size": "INTEGER",
    "seen_mtime_ns": "INTEGER",
    "sent_sha256": "TEXT",
    "sent_size": "INTEGER",
    "sent_mtime_ns": "INTEGER",
}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    path TEXT NOT NULL UNIQUE,
    size INTEGER NOT NULL,
    content_type TEXT,
    stage TEXT NOT NULL,
    scan_run INTEGER NOT NULL,
    job_id TEXT UNIQUE,
    upload TEXT,
    intent TEXT,
    error_code TEXT,
    error_message TEXT
);
CREATE INDEX IF NOT EXISTS files_stage ON files (stage, seq);
-- Added with content-change detection; older state files get them on open (_migrate).
CREATE INDEX IF NOT EXISTS files_intent ON files (intent);
"""


class StateMismatchError(Exception):
    """The state file belongs to another command (other paths, options or API)."""


@dataclass(frozen=True)
class FileRow:
    seq: int
    path: str
    size: int
    content_type: str
    job_id: str | None
    upload: UploadForm | None


@dataclass(frozen=True)
class PendingIntent:
    key: str
    batch_id: str | None  # None: the call creates the batch
    files: list[FileRow]


@dataclass(frozen=True)
class Totals:
    """What this run still has to send, and what earlier runs already did."""

    to_upload_files: int
    to_upload_bytes: int
    already_uploaded: int
    problems: int


class RunState:
    def __init__(self, path: str) -> None:
        self.path = path
        parent = os.path.dirname(os.path.abspath(path))
        os.makedirs(parent, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        self._db.execute("PRAGMA journal_mode=WAL")
        # FULL: a committed intent or slot survives a power cut, not just a process crash.
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)
        self._migrate()
        self._run = 0
        self._batch_id: str | None = None

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _migrate(self) -> None:
        present = {str(row[1]) for row in self._db.execute("PRAGMA table_info(files)").fetchall()}
        for name, kind in _LATER_COLUMNS.items():
            if name not in present:
                self._db.execute(f"ALTER TABLE files ADD COLUMN {name} {kind}")

    # -- recovery ----------------------------------------------------------------------------------

    def forget_batch(self) -> int:
        """The batch this run was adding to is gone (deleted, expired, a restarted local stack): every file
        sent to it goes back to `new`, to be sent again in a new batch. Returns how many files."""
        with self._lock, self._tx():
            changed = self._db.execute(
                "UPDATE files SET stage = ?, job_id = NULL, upload = NULL, intent = NULL, error_code = NULL,"
                " error_message = NULL, sent_sha256 = NULL, sent_size = NULL, sent_mtime_ns = NULL"
                " WHERE job_id IS NOT NULL OR intent IS NOT NULL",
                (NEW,),
            ).rowcount
            self._db.execute("DELETE FROM meta WHERE key IN ('batch_id', 'intent', 'intent_batch')")
            self._batch_id = None
        return int(changed)

    def record_sent(self, job_id: str, sha256: str, size: int, mtime_ns: int) -> None:
        with self._lock, self._tx():
            self._db.execute(
                "UPDATE files SET sent_sha256 = ?, sent_size = ?, sent_mtime_ns = ? WHERE job_id = ?",
                (sha256, size, mtime_ns, job_id),
            )

    def maybe_changed(self) -> list[tuple[int, str, str]]:
        """(seq, path, hash when sent) of files sent earlier whose size or modification time differs now."""
        with self._lock:
            rows = self._db.execute(
                "SELECT seq, path, sent_sha256 FROM files WHERE scan_run = ? AND sent_sha256 IS NOT NULL"
                " AND stage IN (?, ?) AND (seen_size IS NOT sent_size OR seen_mtime_ns IS NOT sent_mtime_ns)"
                " ORDER BY seq",
                (self._run, UPLOADED, SUBMITTED),
            ).fetchall()
        return [(int(seq), str(path), str(sha)) for seq, path, sha in rows]

    def resend(self, seqs: Sequence[int]) -> None:
        """These files' content changed since they were sent: new slots, new jobs, analysed again."""
        with self._lock, self._tx():
            self._db.executemany(
                "UPDATE files SET stage = ?, job_id = NULL, upload = NULL, size = seen_size,"
                " sent_sha256 = NULL, sent_size = NULL, sent_mtime_ns = NULL WHERE seq = ?",
                [(NEW, seq) for seq in seqs],
            )

    def unchanged(self, seq: int) -> None:
        """Touched, not changed: remember the new time so the file is not hashed again."""
        with self._lock, self._tx():
            self._db.execute(
                "UPDATE files SET sent_size = seen_size, sent_mtime_ns = seen_mtime_ns WHERE seq = ?", (seq,)
            )

    # -- identity ----------------------------------------------------------------------------------

    def bind(self, fingerprint: str) -> None:
        """Claims a fresh file for this command, or checks an existing one is this command's; starts a run."""
        with self._lock, self._tx():
            stored = self._meta("fingerprint")
            if stored is None:
                self._set_meta("fingerprint", fingerprint)
                self._set_meta("schema", SCHEMA_VERSION)
            elif stored != fingerprint:
                raise StateMismatchError(self.path)
            self._run = int(self._meta("runs") or "0") + 1
            self._set_meta("runs", str(self._run))

    @property
    def batch_id(self) -> str | None:
        if self._batch_id is None:  # set once, never changes: read it from the file only until then
            with self._lock:
                self._batch_id = self._meta("batch_id")
        return self._batch_id

    # -- scanning ----------------------------------------------------------------------------------

    def record_scan(self, items: Iterable[FoundImage | Problem], chunk: int = 1000) -> None:
        """Adds what the scan found. Files already given a slot keep it; others take the new facts."""
        buffer: list[FoundImage | Problem] = []
        for item in items:
            buffer.append(item)
            if len(buffer) >= chunk:
                self._record_scan_chunk(buffer)
                buffer = []
        if buffer:
            self._record_scan_chunk(buffer)

    def _record_scan_chunk(self, items: Sequence[FoundImage | Problem]) -> None:
        rows = [
            (item.path, item.size, item.content_type, NEW, self._run, None, None, item.size, item.mtime_ns)
            if isinstance(item, FoundImage)
            else (item.path, 0, None, PROBLEM, self._run, item.code, item.message, None, None)
            for item in items
        ]
        with self._lock, self._tx():
            self._db.executemany(
                "INSERT INTO files (path, size, content_type, stage, scan_run, error_code, error_message,"
                " seen_size, seen_mtime_ns) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (path) DO UPDATE SET scan_run = excluded.scan_run,"
                "  seen_size = excluded.seen_size, seen_mtime_ns = excluded.seen_mtime_ns,"
                "  size = CASE WHEN stage IN ('new', 'problem') AND intent IS NULL"
                "   THEN excluded.size ELSE size END,"
                "  content_type = CASE WHEN stage IN ('new', 'problem') AND intent IS NULL"
                "   THEN excluded.content_type ELSE content_type END,"
                "  error_code = CASE WHEN stage IN ('new', 'problem') AND intent IS NULL"
                "   THEN excluded.error_code ELSE error_code END,"
                "  error_message = CASE WHEN stage IN ('new', 'problem') AND intent IS NULL"
                "   THEN excluded.error_message ELSE error_message END,"
                # A file reported in an earlier run that now reads fine reuses its slot if it has one.
                "  stage = CASE WHEN stage IN ('new', 'problem') AND intent IS NULL"
                "   THEN (CASE WHEN excluded.stage = 'new' AND job_id IS NOT NULL THEN 'slot'"
                "    ELSE excluded.stage END) ELSE stage END",
                rows,
            )

    def totals(self) -> Totals:
        with self._lock:
            upload = self._db.execute(
                "SELECT COUNT(*), COALESCE(SUM(size), 0) FROM files WHERE scan_run = ? AND stage IN (?, ?)",
                (self._run, NEW, SLOT),
            ).fetchone()
            done = self._db.execute(
                "SELECT COUNT(*) FROM files WHERE scan_run = ? AND stage IN (?, ?)",
                (self._run, UPLOADED, SUBMITTED),
            ).fetchone()
            problems = self._db.execute(
                "SELECT COUNT(*) FROM files WHERE scan_run = ? AND stage = ?", (self._run, PROBLEM)
            ).fetchone()
        return Totals(int(upload[0]), int(upload[1]), int(done[0]), int(problems[0]))

    # -- upload slots ------------------------------------------------------------------------------

    def pending_intent(self) -> PendingIntent | None:
        with self._lock:
            key = self._meta("intent")
            if key is None:
                return None
            rows = self._db.execute(
                "SELECT seq, path, size, content_type, job_id, upload FROM files WHERE intent = ? ORDER BY seq",
                (key,),
            ).fetchall()
            return PendingIntent(key=key, batch_id=self._meta("intent_batch"), files=[_row(r) for r in rows])

    def begin_slots(self, limit: int) -> PendingIntent | None:
        """Commits the intent to create slots for the next `limit` new files, before the API call."""
        with self._lock, self._tx():
            if self._meta("intent") is not None:
                raise RuntimeError("an earlier slot request is still pending")
            rows = self._db.execute(
                "SELECT seq, path, size, content_type, job_id, upload FROM files"
                " WHERE stage = ? AND scan_run = ? ORDER BY seq LIMIT ?",
                (NEW, self._run, limit),
            ).fetchall()
            if not rows:
                return None
            key = str(uuid.uuid4())
            batch_id = self._meta("batch_id")
            self._set_meta("intent", key)
            if batch_id is not None:
                self._set_meta("intent_batch", batch_id)
            self._db.executemany("UPDATE files SET intent = ? WHERE seq = ?", [(key, r[0]) for r in rows])
            return PendingIntent(key=key, batch_id=batch_id, files=[_row(r) for r in rows])

    def finish_slots(self, intent: PendingIntent, batch_id: str, slots: Sequence[JobSlot]) -> None:
        """Records the API's answer to an intent: job ids and upload forms, in the order asked."""
        if len(slots) != len(intent.files):
            raise ValueError(f"asked for {len(intent.files)} slots, got {len(slots)}")
        with self._lock, self._tx():
            if self._meta("batch_id") is None:
                self._set_meta("batch_id", batch_id)
            self._db.executemany(
                "UPDATE files SET stage = ?, job_id = ?, upload = ?, intent = NULL WHERE seq = ?",
                [
                    (SLOT, slot.job_id, json.dumps(slot.upload.to_json()), row.seq)
                    for row, slot in zip(intent.files, slots, strict=True)
                ],
            )
            self._clear_intent()

    def abandon_slots(self, intent: PendingIntent, code: str, message: str) -> None:
        """The API refused the request for good (e.g. a file over its size limit): report these files."""
        with self._lock, self._tx():
            self._db.executemany(
                "UPDATE files SET stage = ?, error_code = ?, error_message = ?, intent = NULL WHERE seq = ?",
                [(PROBLEM, code, message, row.seq) for row in intent.files],
            )
            self._clear_intent()

    def release_slots(self, intent: PendingIntent) -> None:
        """The request certainly created nothing (refused as a whole): its files go back to `new`."""
        with self._lock, self._tx():
            self._db.execute("UPDATE files SET intent = NULL WHERE intent = ?", (intent.key,))
            self._clear_intent()

    def known_job_count(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(job_id) FROM files").fetchone()[0])

    # -- uploads and submits -----------------------------------------------------------------------

    def slots_to_upload(self, after_seq: int, limit: int) -> list[FileRow]:
        with self._lock:
            rows = self._db.execute(
                "SELECT seq, path, size, content_type, job_id, upload FROM files"
                " WHERE stage = ? AND scan_run = ? AND seq > ? ORDER BY seq LIMIT ?",
                (SLOT, self._run, after_seq, limit),
            ).fetchall()
        return [_row(r) for r in rows]

    def has_new(self) -> bool:
        with self._lock:
            row = self._db.execute(
                "SELECT 1 FROM files WHERE stage = ? AND scan_run = ? LIMIT 1", (NEW, self._run)
            ).fetchone()
        return row is not None

    def mark(self, job_ids: Sequence[str], stage: str) -> None:
        with self._lock, self._tx():
            self._db.executemany("UPDATE files SET stage = ? WHERE job_id = ?", [(stage, j) for j in job_ids])

    def renew(self, seqs: Sequence[int]) -> None:
        """These slots' upload forms have expired: the files go back to `new` and get fresh slots.

        The API cannot re-issue a form for an existing job, so the old jobs stay AWAITING_UPLOAD, unused.
        """
        with self._lock, self._tx():
            self._db.executemany(
                "UPDATE files SET stage = ?, job_id = NULL, upload = NULL WHERE seq = ? AND stage = ?",
                [(NEW, seq, SLOT) for seq in seqs],
            )

    def mark_problem(self, job_id: str, code: str, message: str) -> None:
        """A slotted file that could not be sent (vanished, refused by S3): reported, its slot unused."""
        with self._lock, self._tx():
            self._db.execute(
                "UPDATE files SET stage = ?, error_code = ?, error_message = ? WHERE job_id = ?",
                (PROBLEM, code, message, job_id),
            )

    def uploaded_not_submitted(self) -> list[str]:
        with self._lock:
            rows = self._db.execute("SELECT job_id FROM files WHERE stage = ? ORDER BY seq", (UPLOADED,))
            return [str(r[0]) for r in rows.fetchall()]

    # -- results -----------------------------------------------------------------------------------

    def locate(self, job_ids: Sequence[str]) -> dict[str, tuple[str, str]]:
        """job id → (path, stage), for the jobs of files this run covers."""
        if not job_ids:
            return {}
        marks = ",".join("?" * len(job_ids))
        with self._lock:
            rows = self._db.execute(
                f"SELECT job_id, path, stage FROM files WHERE scan_run = ? AND job_id IN ({marks})",  # noqa: S608
                [self._run, *job_ids],
            ).fetchall()
        return {str(job): (str(path), str(stage)) for job, path, stage in rows}

    def problems(self) -> Iterator[tuple[str, str | None, str, str]]:
        """(path, job id or None, code, message) of every file reported locally in this run."""
        last = 0
        while True:
            with self._lock:
                rows = self._db.execute(
                    "SELECT seq, path, job_id, error_code, error_message FROM files"
                    " WHERE stage = ? AND scan_run = ? AND seq > ? ORDER BY seq LIMIT 500",
                    (PROBLEM, self._run, last),
                ).fetchall()
            if not rows:
                return
            for seq, path, job_id, code, message in rows:
                last = seq
                yield str(path), job_id, str(code), str(message)

    # -- plumbing ----------------------------------------------------------------------------------

    def _tx(self) -> _Transaction:
        return _Transaction(self._db)

    def _meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def _set_meta(self, key: str, value: str) -> None:
        self._db.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def _clear_intent(self) -> None:
        self._db.execute("DELETE FROM meta WHERE key IN ('intent', 'intent_batch')")


class _Transaction:
    """BEGIN IMMEDIATE … COMMIT, or ROLLBACK when the block raises."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self._db.execute("ROLLBACK" if exc_type is not None else "COMMIT")


def _row(row: tuple[object, ...]) -> FileRow:
    seq, path, size, content_type, job_id, upload = row
    return FileRow(
        seq=int(str(seq)),
        path=str(path),
        size=int(str(size)),
        content_type=str(content_type),
        job_id=None if job_id is None else str(job_id),
        upload=None if upload is None else UploadForm.from_json(json.loads(str(upload))),
    )
