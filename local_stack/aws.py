"""The AWS emulator: a moto server (S3, SQS, DynamoDB) on 127.0.0.1, with the project's fidelity fixes.

`python -m local_stack.aws` is a process of its own under `make up` and in compose: moto is the busiest part
of the local stack and, alone with its interpreter lock, no longer slows the API and the worker down.
"""

from __future__ import annotations

import argparse
import logging
import threading
from dataclasses import dataclass
from typing import Any

from werkzeug.serving import BaseWSGIServer, make_server

from local_stack import dynamodb_fidelity, emulator_speed, s3_post_policy
from local_stack.process import announce, wait_for_shutdown


@dataclass
class RunningAws:
    server: BaseWSGIServer
    thread: threading.Thread
    url: str

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def start_aws(host: str = "127.0.0.1", port: int = 0) -> RunningAws:
    """Binds before returning, so a port in use raises OSError here (moto's ThreadedMotoServer binds in
    its thread and then waits forever for a readiness that never comes)."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app

    class RequestHandler(MotoRequestHandler):
        # Answers on kept-alive connections go out at once instead of waiting for the client's delayed ACK.
        disable_nagle_algorithm = True

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per emulated AWS call drowns the logs
    dynamodb_fidelity.install()
    s3_post_policy.install()
    emulator_speed.install()
    app: Any = DomainDispatcherApplication(create_backend_app)
    server = make_server(host, port, app, threaded=True, request_handler=RequestHandler)
    thread = threading.Thread(target=server.serve_forever, name="aws-emulator", daemon=True)
    thread.start()
    bound_host, bound_port = server.server_address[:2]
    return RunningAws(server=server, thread=thread, url=f"http://{bound_host}:{bound_port}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run the local AWS emulator (moto server).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4566)
    args = parser.parse_args(argv)
    try:
        running = start_aws(args.host, args.port)
    except OSError as error:
        raise SystemExit(f"the AWS emulator cannot listen on {args.host}:{args.port}: {error.strerror}") from None
    announce(f"AWS emulator listening on {running.url}")
    wait_for_shutdown()
    running.stop()


if __name__ == "__main__":
    main()
