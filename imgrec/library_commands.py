"""`imgrec batches`, `search`, `delete` and `query`: the library from the command line."""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import time
from collections.abc import Callable
from typing import Any, TextIO

from imgrec import analytics
from imgrec.client import ImgrecClient

EXIT_OK, EXIT_USAGE = 0, 2


class LibraryUsageError(Exception):
    """Bad arguments for a library command: exit 2 with the message."""


def add_commands(commands: Any, common: argparse.ArgumentParser) -> None:
    batches = commands.add_parser("batches", parents=[common], help="list your batches, newest first")
    batches.add_argument("--name", metavar="TEXT", help="only batches whose name contains TEXT (any case)")
    batches.add_argument("--tag", metavar="TAG", help="only batches with this tag")
    batches.add_argument("--limit", type=int, default=50, metavar="N", help="at most N batches (50)")
    batches.add_argument("--json", action="store_true", help="one JSON object per line")

    search = commands.add_parser("search", parents=[common], help="find images across all your batches")
    search.add_argument("--label", metavar="NAME", help="a label, e.g. Dog")
    search.add_argument("--min-confidence", type=float, metavar="N", help="least confidence of --label/--moderation")
    search.add_argument("--moderation", metavar="NAME", help="a moderation label")
    search.add_argument("--flagged", action="store_true", help="images with any moderation label")
    search.add_argument("--faces", metavar="RANGE", help="face count: 2, 1-3, 1- or -2")
    search.add_argument("--text", metavar="WORD", help="a word of the detected text")
    search.add_argument("--batch", metavar="BATCH_ID", help="only this batch")
    search.add_argument("--from", dest="date_from", metavar="YYYY-MM-DD", help="added on or after this day")
    search.add_argument("--to", dest="date_to", metavar="YYYY-MM-DD", help="added on or before this day")
    search.add_argument("--limit", type=int, default=100, metavar="N", help="at most N images (100)")
    search.add_argument("--json", action="store_true", help="one JSON object per line")

    delete = commands.add_parser("delete", parents=[common], help="delete a batch, a job, or everything you own")
    target = delete.add_mutually_exclusive_group(required=True)
    target.add_argument("--batch", metavar="BATCH_ID", help="a batch and all of its images")
    target.add_argument("--job", metavar="JOB_ID", help="one image")
    target.add_argument("--everything", action="store_true", help="every batch, image and result you own")
    delete.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    delete.add_argument("--no-wait", action="store_true", help="return once started (large deletions go on)")

    query = commands.add_parser(
        "query", help="run the analytics SQL locally (DuckDB over the stack's analytics files; no AWS account)"
    )
    query.add_argument("sql", nargs="?", metavar="SQL", help="a query over the table `jobs`")
    query.add_argument("--named", metavar="NAME", help=f"a named query: {', '.join(analytics.NAMED_QUERIES)}")
    query.add_argument("--list", action="store_true", help="list the named queries and the table's columns")
    query.add_argument("--source", default=analytics.LOCAL_SOURCE, help="s3:// prefix or folder of dt=… folders")
    query.add_argument(
        "--endpoint-url",
        default=os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL") or analytics.LOCAL_ENDPOINT,
        help="S3 endpoint (default: the local stack's emulator; 'aws' for the real S3)",
    )
    query.add_argument("--format", choices=["table", "csv", "jsonl"], default="table")


def run_command(args: argparse.Namespace, client: ImgrecClient | None, out: TextIO, err: TextIO) -> int:
    if args.command == "query":
        return _query(args, out)
    assert client is not None
    if args.command == "batches":
        return _batches(client, args, out)
    if args.command == "search":
        return _search(client, args, out, err)
    return _delete(client, args, out, err)


# ---------------------------------------------------------------- batches


def _batches(client: ImgrecClient, args: argparse.Namespace, out: TextIO) -> int:
    shown = 0
    for batch in client.iter_batches(name=args.name, tag=args.tag):
        if shown >= args.limit:
            break
        shown += 1
        if args.json:
            out.write(json.dumps(batch, ensure_ascii=False) + "\n")
            continue
        counts = dict(batch.get("counts") or {})
        finished = sum(int(counts.get(s, 0)) for s in ("SUCCEEDED", "PARTIAL", "FAILED"))
        state = "done" if batch.get("done") else f"{finished}/{batch.get('total', 0)}"
        tags = ",".join(batch.get("tags") or [])
        out.write(
            f"{batch['batchId']}  {batch['createdAt'][:19].replace('T', ' ')}  {state:>9}  "
            f"{batch.get('name') or '-'}{'  [' + tags + ']' if tags else ''}\n"
        )
    if shown == 0 and not args.json:
        out.write("no batches\n")
    return EXIT_OK


# ---------------------------------------------------------------- search


def faces_range(value: str) -> tuple[int | None, int | None]:
    """`2` → (2, 2); `1-3` → (1, 3); `1-` → (1, None); `-2` → (None, 2)."""
    text = value.strip()
    low, sep, high = text.partition("-")
    try:
        if not sep:
            return int(low), int(low)
        return (int(low) if low else None), (int(high) if high else None)
    except ValueError:
        raise LibraryUsageError(f"--faces takes a count or a range like 1-3, not {value!r}") from None


def search_params(args: argparse.Namespace) -> dict[str, str | None]:
    low, high = faces_range(args.faces) if args.faces else (None, None)
    params = {
        "label": args.label,
        "minConfidence": None if args.min_confidence is None else str(args.min_confidence),
        "moderation": args.moderation,
        "flagged": "true" if args.flagged else None,
        "minFaces": None if low is None else str(low),
        "maxFaces": None if high is None else str(high),
        "text": args.text,
        "batchId": args.batch,
        "from": args.date_from,
        "to": args.date_to,
    }
    return {k: v for k, v in params.items() if v is not None}


def _search(client: ImgrecClient, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    params = search_params(args)
    facets = client.search_page(params, limit=1).get("facets") or {}
    shown = 0
    for hit in client.search(params):
        if shown >= args.limit:
            break
        shown += 1
        if args.json:
            out.write(json.dumps(hit, ensure_ascii=False) + "\n")
            continue
        labels = ", ".join(label["name"] for label in hit.get("labels", [])[:3])
        faces = f"  faces={hit['faceCount']}" if "faceCount" in hit else ""
        out.write(f"{hit['jobId']}  {hit['batchId']}  {hit['filename']}  {labels}{faces}\n")
    matches = facets.get("matches", shown)
    more = "" if facets.get("complete", True) else "+"
    top = ", ".join(f"{item['name']} {item['count']}" for item in facets.get("labels", [])[:5])
    err.write(f"imgrec search matches={matches}{more} shown={shown}{'  top labels: ' + top if top else ''}\n")
    return EXIT_OK


# ---------------------------------------------------------------- delete


def _confirm(what: str, args: argparse.Namespace, err: TextIO, ask: Callable[[str], str]) -> bool:
    if args.yes:
        return True
    if not sys.stdin.isatty():
        raise LibraryUsageError(f"deleting {what} cannot be undone: add --yes to confirm")
    answer = ask(f"Delete {what}? This cannot be undone. Type 'yes' to confirm: ")
    return answer.strip().lower() == "yes"


def _delete(
    client: ImgrecClient,
    args: argparse.Namespace,
    out: TextIO,
    err: TextIO,
    ask: Callable[[str], str] = input,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    if args.everything:
        what = "everything you own (every batch, image, result and statistic)"
    elif args.batch:
        what = f"batch {args.batch} and all of its images"
    else:
        what = f"job {args.job}"
    if not _confirm(what, args, err, ask):
        err.write("imgrec: nothing deleted\n")
        return EXIT_USAGE
    if args.everything:
        deletion = client.delete_account_data()
    elif args.batch:
        deletion = client.delete_batch(args.batch)
    else:
        deletion = client.delete_job(args.job)
    while deletion.get("status") != "COMPLETED" and not args.no_wait:
        err.write(f"imgrec deleting… jobs={deletion['deleted']['jobs']} status={deletion['status']}\n")
        polled = client.get_deletion(deletion["deletionId"])
        deletion = polled.data
        if deletion.get("status") != "COMPLETED":
            sleep(min(max(polled.retry_after or 2.0, 0.5), 10.0))
    done = deletion["deleted"]
    out.write(
        f"deletion {deletion['deletionId']} {deletion['status']}: jobs={done['jobs']} batches={done['batches']} "
        f"files={done['objects']}\n"
    )
    return EXIT_OK


# ---------------------------------------------------------------- query


def _query(args: argparse.Namespace, out: TextIO) -> int:
    if args.list:
        for name in analytics.NAMED_QUERIES:
            first = analytics.named_query(name).splitlines()[0].removeprefix("-- ")
            out.write(f"{name}: {first}\n")
        out.write("table jobs: " + ", ".join(name for name, _, _ in analytics.COLUMNS) + f", {analytics.PARTITION}\n")
        return EXIT_OK
    if bool(args.sql) == bool(args.named):
        raise LibraryUsageError("give either SQL or --named NAME (see --list)")
    try:
        sql = analytics.named_query(args.named) if args.named else str(args.sql)
        endpoint = None if args.endpoint_url == "aws" else args.endpoint_url
        answer = analytics.run(sql, source=args.source, endpoint_url=endpoint)
    except analytics.AnalyticsError as error:
        raise LibraryUsageError(str(error)) from error
    if args.format == "csv":
        writer = csv.writer(out)
        writer.writerow(answer.columns)
        writer.writerows(answer.rows)
    elif args.format == "jsonl":
        for row in answer.rows:
            out.write(json.dumps(dict(zip(answer.columns, row, strict=True)), default=str) + "\n")
    else:
        out.write(analytics.render_table(answer))
    return EXIT_OK
