"""`python -m local_stack` (what `make up` runs): the whole product on 127.0.0.1, until Ctrl-C."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from pathlib import Path

from local_stack.embedded import EmbeddedStack, StackOptions
from local_stack.ports import PORT_SETTINGS, PortInUseError
from local_stack.process import wait_for_shutdown
from local_stack.rate_limit import DEFAULT_LIMIT
from local_stack.recognizer import RecognizerConfig
from local_stack.supervisor import ServiceStartError

DEFAULT_PORTS = {"api": 8000, "aws": 4566, "recognizer": 4567, "socket": 8001}


def parse_args(argv: list[str] | None, environ: Mapping[str, str]) -> argparse.Namespace:
    """Command-line flags win over IMGREC_* environment variables, which win over the defaults."""

    def default_port(service: str) -> int:
        return int(environ.get(PORT_SETTINGS[service][2]) or DEFAULT_PORTS[service])

    parser = argparse.ArgumentParser(description="Run imgrec locally: no AWS account, no Docker.")
    parser.add_argument("--port", type=int, default=default_port("api"), help="web app and API (8000)")
    parser.add_argument("--aws-port", type=int, default=default_port("aws"), help="AWS emulator (4566)")
    parser.add_argument("--recognizer-port", type=int, default=default_port("recognizer"), help="Rekognition (4567)")
    parser.add_argument(
        "--socket-port", type=int, default=default_port("socket"), help="WebSocket API for live updates (8001)"
    )
    parser.add_argument(
        "--recognizer",
        choices=["auto", "models", "stub"],
        default=None,
        help="local Rekognition backend (default: IMGREC_RECOGNIZER_BACKEND or auto)",
    )
    parser.add_argument(
        "--rate-limit",
        type=int,
        default=int(environ.get("IMGREC_RATE_LIMIT") or DEFAULT_LIMIT),
        help=f"API requests per minute per caller, as the deployed WAF rule (IMGREC_RATE_LIMIT; {DEFAULT_LIMIT})",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=int(environ.get("IMGREC_WORKERS") or 0) or None,
        help="worker processes, one Lambda execution environment each (IMGREC_WORKERS; default 2 per core, 10 at most)",
    )
    parser.add_argument(
        "--log-dir",
        type=Path,
        default=environ.get("IMGREC_LOG_DIR") or None,
        help="where each process writes its full JSON log (default: a new temporary directory)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv, os.environ)
    recognizer = RecognizerConfig.from_env()
    if args.recognizer:
        recognizer = RecognizerConfig(backend=args.recognizer, latency_ms=recognizer.latency_ms, tps=recognizer.tps)
    stack = EmbeddedStack(
        StackOptions(
            api_port=args.port,
            aws_port=args.aws_port,
            recognizer_port=args.recognizer_port,
            socket_port=args.socket_port,
            recognizer=recognizer,
            rate_limit=args.rate_limit,
            worker_processes=args.workers,
            log_dir=args.log_dir,
            echo=True,
        )
    )
    try:
        stack.start()
    except KeyboardInterrupt:  # Ctrl-C while starting: stop what started, quietly
        stack.stop()
        raise SystemExit(130) from None
    except PortInUseError as error:
        raise SystemExit(f"imgrec could not start: {error}") from None
    except ServiceStartError as error:
        raise SystemExit(
            f"imgrec could not start: {error}\nIf a port is taken, choose others: "
            "make up PORT=… AWS_PORT=… RECOGNIZER_PORT=… SOCKET_PORT=… (see README)."
        ) from None
    lines = [
        "imgrec is running (state is in memory: it is gone when you stop).",
        f"  web app       {stack.web_url}",
        f"  API           {stack.api_url}   (try: curl {stack.api_url}/health)",
        f"  AWS emulator  {stack.aws_url}   (S3, SQS, DynamoDB; moto)",
        f"  Rekognition   {stack.recognizer_url}   (backend: {stack.recognizer_backend})",
        f"  live updates  {stack.socket_url}   (WebSocket API; webhooks, the event topic: docs/notifications.md)",
        f"  logs          {stack.log_dir}/   (full JSON, one file per process)",
        "One line per batch and job event follows. Press Ctrl-C to stop.",
    ]
    print("\n".join(lines), flush=True)  # noqa: T201 - a CLI's output
    try:
        wait_for_shutdown()
    finally:
        print("stopping…", file=sys.stderr, flush=True)  # noqa: T201
        stack.stop()


if __name__ == "__main__":
    main()
