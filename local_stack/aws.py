"""The AWS emulator: a moto server (S3, SQS, DynamoDB) on 127.0.0.1."""

from __future__ import annotations

import argparse
import logging
from dataclasses import dataclass

from moto.server import ThreadedMotoServer

from local_stack import dynamodb_fidelity
from local_stack.process import wait_for_shutdown


@dataclass
class RunningAws:
    server: ThreadedMotoServer
    url: str

    def stop(self) -> None:
        self.server.stop()


def start_aws(host: str = "127.0.0.1", port: int = 0) -> RunningAws:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per emulated AWS call drowns the logs
    dynamodb_fidelity.install()
    server = ThreadedMotoServer(ip_address=host, port=port, verbose=False)
    server.start()
    bound_host, bound_port = server.get_host_and_port()
    return RunningAws(server=server, url=f"http://{bound_host}:{bound_port}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run the local AWS emulator (moto server).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4566)
    args = parser.parse_args(argv)
    running = start_aws(args.host, args.port)
    print(f"AWS emulator listening on {running.url}", flush=True)  # noqa: T201 - a CLI's output
    wait_for_shutdown()
    running.stop()


if __name__ == "__main__":
    main()
