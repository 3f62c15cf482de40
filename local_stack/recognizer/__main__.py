"""`python -m local_stack.recognizer`: run the local Rekognition endpoint until SIGINT or SIGTERM."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType

from local_stack.process import watch_parent

from .config import BACKEND_CHOICES, RecognizerConfig
from .http_server import start_recognizer


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    defaults = RecognizerConfig.from_env()
    parser = argparse.ArgumentParser(prog="python -m local_stack.recognizer", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9000)
    parser.add_argument("--backend", choices=BACKEND_CHOICES, default=defaults.backend)
    parser.add_argument("--latency-ms", type=int, default=defaults.latency_ms)
    parser.add_argument("--tps", type=float, default=defaults.tps, help="per-API quota (default: none)")
    parser.add_argument("--s3-endpoint-url", default=None, help="default: boto3's (AWS_ENDPOINT_URL_S3, ...)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    args = parse_args(argv)
    config = RecognizerConfig(
        backend=args.backend,
        latency_ms=args.latency_ms,
        tps=args.tps,
        s3_endpoint_url=args.s3_endpoint_url,
    )
    stopping = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    server = start_recognizer(config, host=args.host, port=args.port)
    # One line on stdout that scripts and the compose healthcheck's logs can read.
    sys.stdout.write(f"recognizer listening on {server.url} backend={server.backend_name}\n")
    sys.stdout.flush()
    watch_parent()  # under `make up`: stop with the supervisor, even if it was killed
    stopping.wait()
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
