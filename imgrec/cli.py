"""The `imgrec` command: `analyze`, `status`, `results`, and the library: `batches`, `search`, `delete`,
`query`.

Exit status: 0 every image succeeded, 1 some failed or were partial (listed), 2 usage or connection
problems (with what to do), 130 interrupted (re-run the same command to resume).
"""

from __future__ import annotations

import argparse
import getpass
import os
import signal
import sys
from collections.abc import Sequence
from types import FrameType
from typing import Any, TextIO

from imgrec import library_commands
from imgrec.analyze import AnalyzeConfig, AnalyzeRun, Interrupted, Outcome, fingerprint
from imgrec.client import MAX_IMAGES_PER_CALL, AnalysisRequest, ImgrecClient
from imgrec.contract import FEATURES, STATUSES
from imgrec.errors import ApiError, ImgrecClientError, TransportError, UploadRejected
from imgrec.estimate import LIST_PRICE_PER_1000_CALLS, estimate, report
from imgrec.progress import Display, LogDisplay, Progress, TerminalDisplay
from imgrec.results import ResultWriter, job_row
from imgrec.scan import scan
from imgrec.state import RunState, StateMismatchError

DEFAULT_API_URL = "http://127.0.0.1:8000/api"
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


class UsageError(Exception):
    """Bad arguments or environment: exit 2 with the message."""


def default_token() -> str:
    """Locally the token is the caller's name (design/API.md): the OS user, or `local`."""
    try:
        return getpass.getuser() or "local"
    except (OSError, KeyError):
        return "local"


def _features(value: str) -> tuple[str, ...]:
    names = tuple(dict.fromkeys(part.strip().upper() for part in value.split(",") if part.strip()))
    unknown = [name for name in names if name not in FEATURES]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown feature {', '.join(unknown) or '(none)'}: choose from {','.join(FEATURES)}"
        )
    return names


def _confidence(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError("must be a number from 0 to 100") from None
    if not 0 <= number <= 100:
        raise argparse.ArgumentTypeError("must be a number from 0 to 100")
    return number


def _concurrency(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError("must be a whole number from 1 to 64") from None
    if not 1 <= number <= 64:
        raise argparse.ArgumentTypeError("must be a whole number from 1 to 64")
    return number


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--api",
        metavar="URL",
        help=f"API base URL (default: $IMGREC_API_URL or {DEFAULT_API_URL}, the local stack)",
    )
    common.add_argument(
        "--token", metavar="T", help="bearer token (default: $IMGREC_TOKEN, else your user name locally)"
    )
    parser = argparse.ArgumentParser(prog="imgrec", description="Analyse images with the imgrec service.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    analyze = commands.add_parser(
        "analyze", parents=[common], help="upload files and folders, analyse them, write one result per image"
    )
    analyze.add_argument("paths", nargs="+", metavar="PATH", help="image files or folders (walked)")
    analyze.add_argument("--features", type=_features, default=("LABELS",), help="e.g. LABELS,FACES,TEXT,MODERATION")
    analyze.add_argument("--min-confidence", type=_confidence, metavar="N", help="0-100")
    analyze.add_argument(
        "--out", metavar="FILE", help="results: .csv for CSV, anything else JSON Lines (default stdout)"
    )
    analyze.add_argument("--concurrency", type=_concurrency, default=8, metavar="N", help="parallel uploads (8)")
    analyze.add_argument(
        "--state", metavar="FILE", help="resume state file (default: one per command under $IMGREC_STATE_DIR)"
    )
    analyze.add_argument(
        "--dry-run", action="store_true", help="only say how many images and Rekognition calls, and what they cost"
    )
    analyze.add_argument(
        "--price-per-1000",
        type=float,
        default=LIST_PRICE_PER_1000_CALLS,
        metavar="USD",
        help=f"price of 1,000 Rekognition calls for --dry-run (default {LIST_PRICE_PER_1000_CALLS:.2f}, us-east-1)",
    )
    analyze.add_argument(
        "--fresh", action="store_true", help="forget earlier runs of this command: a new batch, every file sent"
    )
    analyze.add_argument("--name", metavar="NAME", help="name the new batch (to find it with `imgrec batches`)")
    analyze.add_argument("--tag", action="append", default=[], metavar="TAG", help="tag the new batch (repeatable)")

    status = commands.add_parser("status", parents=[common], help="show a batch's progress")
    status.add_argument("batch_id", metavar="BATCH_ID")

    results = commands.add_parser("results", parents=[common], help="write a batch's results")
    results.add_argument("batch_id", metavar="BATCH_ID")
    results.add_argument("--out", metavar="FILE", help=".csv for CSV, anything else JSON Lines (default stdout)")
    library_commands.add_commands(commands, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _sigterm_as_interrupt()
    err = sys.stderr
    api_url = (getattr(args, "api", None) or os.environ.get("IMGREC_API_URL") or DEFAULT_API_URL).rstrip("/")
    token = getattr(args, "token", None) or os.environ.get("IMGREC_TOKEN") or default_token()
    client = ImgrecClient(api_url, token)
    try:
        return _dispatch(client, args, err)
    except (UsageError, library_commands.LibraryUsageError) as error:
        err.write(f"imgrec: {error}\n")
        return EXIT_USAGE
    except (KeyboardInterrupt, Interrupted):
        err.write("\nimgrec: interrupted; progress is saved: run the same command again to resume\n")
        return EXIT_INTERRUPTED
    except ImgrecClientError as error:
        err.write(f"imgrec: {explain(error, api_url)}\n")
        return EXIT_USAGE


def _dispatch(client: ImgrecClient, args: argparse.Namespace, err: TextIO) -> int:
    if args.command == "analyze":
        return _analyze(client, args, err)
    if args.command == "status":
        return _status(client, args.batch_id, sys.stdout)
    if args.command == "results":
        return _results(client, args.batch_id, args.out, err)
    return library_commands.run_command(args, client, sys.stdout, err)


def explain(error: ImgrecClientError, api_url: str) -> str:
    """What went wrong and what to do. Never includes the token."""
    if isinstance(error, TransportError):
        return (
            f"cannot reach the imgrec API at {api_url} ({error}). Start the local stack with `make up`, "
            "or point --api / IMGREC_API_URL at a deployed API. Re-run the same command to resume."
        )
    if isinstance(error, ApiError):
        return _explain_api_error(error)
    if isinstance(error, UploadRejected):
        return f"{error}. Try again later; the run resumes where it stopped."
    return str(error)


def _explain_api_error(error: ApiError) -> str:
    what = f"{error.code}: {error.message}"
    if error.status == 401:
        return f"the API refused the token ({what}). Set IMGREC_TOKEN or pass --token."
    if error.status == 404:
        return f"{what} (check the id, and that it belongs to this token's user)"
    if error.status == 429:
        wait = f" in {_duration(error.retry_after)}" if error.retry_after else " later"
        return (
            f"you have reached a usage limit of this deployment: {error.message.rstrip('.')}. "
            f"Re-run the same command{wait}; it resumes where it stopped."
        )
    if error.is_transient:
        return f"the API is failing ({what}). Try again later; the run resumes where it stopped."
    return f"the API refused the request: {what}"


def _duration(seconds: float) -> str:
    if seconds >= 5400:
        return f"{round(seconds / 3600)} hours"
    if seconds >= 90:
        return f"{round(seconds / 60)} minutes"
    return f"{max(1, round(seconds))} seconds"


def _sigterm_as_interrupt() -> None:
    """`kill` stops the run like Ctrl-C does: state saved, exit 130."""

    def handler(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    if hasattr(signal, "SIGTERM"):
        signal.signal(signal.SIGTERM, handler)


def state_path(args: argparse.Namespace, api_url: str, config: AnalyzeConfig) -> str:
    if args.state:
        return str(args.state)
    base = os.environ.get("IMGREC_STATE_DIR") or os.path.join(
        os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state"), "imgrec"
    )
    return os.path.join(base, f"analyze-{fingerprint(api_url, config)[:20]}.sqlite")


def _display(progress: Progress, err: TextIO) -> Display:
    return TerminalDisplay(progress, err) if err.isatty() else LogDisplay(progress, err)


def _analyze(client: ImgrecClient, args: argparse.Namespace, err: TextIO) -> int:
    if args.dry_run:  # nothing leaves this machine
        report(estimate(scan(args.paths), args.features, args.price_per_1000), sys.stdout)
        return EXIT_OK
    config = AnalyzeConfig(
        paths=tuple(os.path.abspath(p) for p in args.paths),
        request=AnalysisRequest(features=tuple(args.features), min_confidence=args.min_confidence),
        concurrency=args.concurrency,
        images_per_call=MAX_IMAGES_PER_CALL,
    )
    progress = Progress()
    path = state_path(args, client.api_url, config)
    if args.fresh:
        for stale in (path, f"{path}-wal", f"{path}-shm"):
            if os.path.exists(stale):
                os.remove(stale)
    try:
        state = RunState(path)
    except OSError as error:
        raise UsageError(f"cannot open the state file: {error}") from error
    writer = _writer(args.out)
    try:
        outcome = AnalyzeRun(
            client, state, config, _display(progress, err), progress, name=args.name, tags=tuple(args.tag)
        ).run(writer)
    except StateMismatchError as error:
        writer.discard()
        raise UsageError(f"the state file {error} belongs to another command; pass another --state") from error
    except BaseException:
        writer.discard()
        raise
    finally:
        state.close()
    writer.close()
    _summary(outcome, args.out, err)
    return EXIT_OK if outcome.failed == 0 else EXIT_FAILED


def _writer(out: str | None) -> ResultWriter:
    try:
        return ResultWriter(out)
    except OSError as error:
        raise UsageError(f"cannot write the results file: {error}") from error


def _summary(outcome: Outcome, out: str | None, err: TextIO) -> None:
    where = f" to {out}" if out else ""
    err.write(
        f"imgrec done batch={outcome.batch_id or '-'} results={outcome.rows}{where} "
        f"succeeded={outcome.succeeded} failed={outcome.failed}\n"
    )
    for row in outcome.listed:
        code = row.get("errorCode") or "-"
        err.write(f"  {row.get('status')} {code} {row.get('path')}: {row.get('errorMessage') or ''}\n")
    if outcome.failed > len(outcome.listed):
        err.write(f"  … and {outcome.failed - len(outcome.listed)} more (see the results)\n")


def _status(client: ImgrecClient, batch_id: str, out: TextIO) -> int:
    batch: dict[str, Any] = client.get_batch(batch_id).data
    counts = {str(k): int(v) for k, v in dict(batch.get("counts") or {}).items()}
    out.write(
        f"batch {batch.get('batchId', batch_id)}: {batch.get('total', 0)} images, "
        f"{'done' if batch.get('done') else 'in progress'}\n"
    )
    for name in STATUSES:
        out.write(f"  {name:<16}{counts.get(name, 0)}\n")
    return EXIT_OK


def _results(client: ImgrecClient, batch_id: str, out: str | None, err: TextIO) -> int:
    writer = _writer(out)
    outcome = Outcome(batch_id=batch_id)
    try:
        for job in client.iter_jobs(batch_id):
            row = job_row(str(job.get("filename") or ""), job)
            writer.write(row)
            outcome.count(row)
    except BaseException:
        writer.discard()
        raise
    writer.close()
    _summary(outcome, out, err)
    return EXIT_OK if outcome.failed == 0 else EXIT_FAILED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
