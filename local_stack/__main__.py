"""`python -m local_stack` (what `make up` runs): the whole product on 127.0.0.1, until Ctrl-C."""

from __future__ import annotations

import argparse
import sys
import warnings

from local_stack.embedded import EmbeddedStack, StackOptions
from local_stack.process import wait_for_shutdown
from local_stack.recognizer import RecognizerConfig


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run imgrec locally: no AWS account, no Docker.")
    parser.add_argument("--port", type=int, default=8000, help="web app and API port (default 8000)")
    parser.add_argument("--aws-port", type=int, default=4566)
    parser.add_argument("--recognizer-port", type=int, default=4567)
    parser.add_argument(
        "--recognizer",
        choices=["auto", "models", "stub"],
        default=None,
        help="local Rekognition backend (default: IMGREC_RECOGNIZER_BACKEND or auto)",
    )
    args = parser.parse_args(argv)
    recognizer = RecognizerConfig.from_env()
    if args.recognizer:
        recognizer = RecognizerConfig(backend=args.recognizer, latency_ms=recognizer.latency_ms, tps=recognizer.tps)
    # Requests that record no business metric (health checks) would each print Powertools' warning.
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    stack = EmbeddedStack(
        StackOptions(
            api_port=args.port,
            aws_port=args.aws_port,
            recognizer_port=args.recognizer_port,
            recognizer=recognizer,
        )
    )
    try:
        stack.start()
    except KeyboardInterrupt:  # Ctrl-C while starting: stop what started, quietly
        stack.stop()
        raise SystemExit(130) from None
    except OSError as error:  # typically a port already in use
        stack.stop()
        raise SystemExit(
            f"imgrec could not start: {error}. Is another copy running? Choose ports with "
            "--port, --aws-port and --recognizer-port."
        ) from None
    assert stack.recognizer is not None
    lines = [
        "imgrec is running (state is in memory: it is gone when you stop).",
        f"  web app       {stack.web_url}",
        f"  API           {stack.api_url}   (try: curl {stack.api_url}/health)",
        f"  AWS emulator  {stack.aws_url}   (S3, SQS, DynamoDB; moto)",
        f"  Rekognition   {stack.recognizer.url}   (backend: {stack.recognizer.backend_name})",
        "Press Ctrl-C to stop.",
    ]
    print("\n".join(lines), flush=True)  # noqa: T201 - a CLI's output
    wait_for_shutdown()
    print("stopping…", file=sys.stderr, flush=True)  # noqa: T201
    stack.stop()


if __name__ == "__main__":
    main()
