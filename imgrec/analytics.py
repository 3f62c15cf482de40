"""`imgrec query`: the analytics SQL on DuckDB, over the same newline-delimited JSON files Athena reads
(`analytics/jobs/dt=YYYY-MM-DD/<jobId>.json`, written by the indexer), so the named queries of the
deployment can be tried with no AWS account: locally against the stack's S3 emulator, or a folder.

DuckDB and s3fs are not runtime dependencies (the `analytics` group: `uv sync --group analytics`, or
`pip install duckdb s3fs`). DuckDB's extension auto-install is off: nothing is downloaded at run time; S3
is reached through s3fs registered as a file system, not DuckDB's own httpfs extension.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib import resources
from typing import Any

# The `jobs` table: column, DuckDB type, Athena (Hive) type. The template's Glue table declares the same
# columns (tests/infra check it), partitioned by `dt` (the UTC day the job finished, a string).
COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("job_id", "VARCHAR", "string"),
    ("batch_id", "VARCHAR", "string"),
    ("owner", "VARCHAR", "string"),
    ("filename", "VARCHAR", "string"),
    ("status", "VARCHAR", "string"),
    ("error_code", "VARCHAR", "string"),
    ("created_at", "VARCHAR", "string"),
    ("finished_at", "VARCHAR", "string"),
    ("features", "VARCHAR[]", "array<string>"),
    ("label_names", "VARCHAR[]", "array<string>"),
    ("moderation_names", "VARCHAR[]", "array<string>"),
    ("labels", "STRUCT(name VARCHAR, confidence DOUBLE)[]", "array<struct<name:string,confidence:double>>"),
    ("moderation", "STRUCT(name VARCHAR, confidence DOUBLE)[]", "array<struct<name:string,confidence:double>>"),
    ("face_count", "INTEGER", "int"),
    ("text_words", "VARCHAR[]", "array<string>"),
    ("width", "INTEGER", "int"),
    ("height", "INTEGER", "int"),
)
PARTITION = "dt"
NAMED_QUERIES = {
    "top-labels-by-day": "top_labels_by_day.sql",
    "flagged-by-moderation": "flagged_by_moderation.sql",
    "faces-per-batch": "faces_per_batch.sql",
}
LOCAL_SOURCE = "s3://imgrec-images/analytics/jobs/"
LOCAL_ENDPOINT = "http://127.0.0.1:4566"


class AnalyticsError(Exception):
    """The query could not run (engine missing, source unreadable, SQL error): the message says why."""


def named_query(name: str) -> str:
    """The SQL of a named query, as the template's Athena named query holds it."""
    if name not in NAMED_QUERIES:
        raise AnalyticsError(f"no named query {name!r}; choose from {', '.join(NAMED_QUERIES)}")
    return resources.files("imgrec.queries").joinpath(NAMED_QUERIES[name]).read_text(encoding="utf-8")


@dataclass(frozen=True)
class Answer:
    columns: list[str]
    rows: list[tuple[Any, ...]]


def _engine() -> Any:
    try:
        import duckdb
    except ImportError as error:
        raise AnalyticsError(
            "imgrec query needs DuckDB and s3fs (not installed): `uv sync --group analytics`, "
            "or `pip install duckdb s3fs`"
        ) from error
    return duckdb


def _filesystem(endpoint_url: str | None) -> Any:
    try:
        import s3fs
    except ImportError as error:
        raise AnalyticsError("reading s3:// needs s3fs: `pip install s3fs`") from error
    options: dict[str, Any] = {}
    if endpoint_url:
        options["client_kwargs"] = {
            "endpoint_url": endpoint_url,
            "region_name": os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1",
        }
        # The local emulator accepts any key: use the environment's when set, else its conventional one.
        options["key"] = os.environ.get("AWS_ACCESS_KEY_ID") or "local"
        options["secret"] = os.environ.get("AWS_SECRET_ACCESS_KEY") or "local"
    return s3fs.S3FileSystem(**options)


def _empty_view() -> str:
    columns = ", ".join(f"CAST(NULL AS {kind}) AS {name}" for name, kind, _ in COLUMNS)
    return f"CREATE VIEW jobs AS SELECT {columns}, CAST(NULL AS VARCHAR) AS {PARTITION} WHERE false"


def connect(source: str = LOCAL_SOURCE, endpoint_url: str | None = LOCAL_ENDPOINT) -> Any:
    """A DuckDB connection with the view `jobs` over `source` (an s3:// prefix or a local folder)."""
    duckdb = _engine()
    connection = duckdb.connect(config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
    root = source.rstrip("/")
    if root.startswith("s3://"):
        filesystem = _filesystem(endpoint_url)
        try:
            present = filesystem.glob(f"{root}/*/*.json")
        except (OSError, ValueError) as error:
            raise AnalyticsError(f"cannot read {source} ({error}); is the local stack running?") from error
        connection.register_filesystem(filesystem)
    else:
        if not os.path.isdir(root):
            raise AnalyticsError(f"no folder {source}")
        present = [name for name in os.listdir(root) if name.startswith(f"{PARTITION}=")]
    if not present:
        connection.execute(_empty_view())
        return connection
    columns = ", ".join(f"'{name}': '{kind}'" for name, kind, _ in COLUMNS)
    connection.execute(
        f"CREATE VIEW jobs AS SELECT * FROM read_json('{root}/*/*.json', format='newline_delimited', "  # noqa: S608
        f"hive_partitioning=true, hive_types={{'{PARTITION}': 'VARCHAR'}}, columns={{{columns}}})"
    )
    return connection


def run(sql: str, source: str = LOCAL_SOURCE, endpoint_url: str | None = LOCAL_ENDPOINT) -> Answer:
    connection = connect(source, endpoint_url)
    try:
        result = connection.execute(sql)
        columns = [column[0] for column in result.description or []]
        return Answer(columns=columns, rows=[tuple(row) for row in result.fetchall()])
    except Exception as error:
        if type(error).__module__.startswith("duckdb") or type(error).__module__.startswith("_duckdb"):
            raise AnalyticsError(f"the query failed: {error}") from error
        raise
    finally:
        connection.close()


def render_table(answer: Answer) -> str:
    """An aligned plain-text table, for the terminal."""
    cells = [answer.columns] + [["" if value is None else str(value) for value in row] for row in answer.rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(answer.columns))]
    lines = ["  ".join(value.ljust(widths[i]) for i, value in enumerate(row)).rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines) + f"\n({len(answer.rows)} row{'s' if len(answer.rows) != 1 else ''})\n"
