"""The AWS emulator: moto's app (S3, SQS, DynamoDB) on 127.0.0.1, with the project's fidelity fixes.

`python -m local_stack.aws` is a process of its own under `make up` and in compose: moto is the busiest part
of the local stack and, alone with its interpreter lock, no longer slows the API and the worker down.

It is served by waitress rather than moto's werkzeug server, which answers `Connection: close` to every
request: each emulated S3 or DynamoDB call then paid a new TCP connection, where AWS keeps them alive (and
where the worker's kept clients reuse them). waitress keeps connections alive and sets TCP_NODELAY.
"""

from __future__ import annotations

import argparse
import logging
import threading
from dataclasses import dataclass
from typing import Any

from local_stack import dynamodb_fidelity, emulator_speed, s3_post_policy
from local_stack.process import announce, wait_for_shutdown

# Requests served at once: the worker's execution environments, the API, pollers and the recognizer's reads.
THREADS = 32


def _channel_class() -> type[Any]:
    """waitress' channel, except that a request without a body is not left waiting for one.

    waitress 3.0.2 answers `Expect: 100-continue` with `100 Continue` and then marks the request incomplete
    until its body arrives; a request that has no body (`Content-Length: 0`) then waits for ever. botocore
    sends that header on every PutObject, an empty one too (tests write empty objects): the client hung.
    Here such a request still gets its `100 Continue` (what the client waits for) and is then served.
    """
    from waitress.channel import HTTPChannel

    class Channel(HTTPChannel):  # type: ignore[misc]
        def send_continue(self) -> None:
            bodiless = self.request.body_rcv is None and not self.request.chunked
            super().send_continue()
            if bodiless:
                self.request.completed = True

    return Channel


@dataclass
class RunningAws:
    server: Any  # waitress' server
    thread: threading.Thread
    url: str
    stopping: threading.Event

    def stop(self) -> None:
        """waitress has no cross-thread shutdown: stop its workers, then close its sockets under its loop,
        whose select then fails, as expected, and ends the thread."""
        self.stopping.set()
        logging.getLogger("waitress").setLevel(logging.CRITICAL)
        self.server.task_dispatcher.shutdown(cancel_pending=True, timeout=2)
        for channel in list(self.server._map.values()):  # its loop runs while any socket is open
            channel.close()
        self.thread.join(timeout=5)


def _serve(server: Any, stopping: threading.Event) -> None:
    try:
        server.run()
    except (OSError, ValueError, RuntimeError):  # the sockets closed under the loop by stop()
        if not stopping.is_set():
            raise


def start_aws(host: str = "127.0.0.1", port: int = 0) -> RunningAws:
    """Binds before returning, so a port in use raises OSError here (moto's ThreadedMotoServer binds in
    its thread and then waits forever for a readiness that never comes)."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
    from waitress.server import create_server

    logging.getLogger("waitress").setLevel(logging.ERROR)
    dynamodb_fidelity.install()
    s3_post_policy.install()
    emulator_speed.install()
    app: Any = DomainDispatcherApplication(create_backend_app)
    # Uploads reach 40 MiB and more; waitress' own limit is 1 GiB, its default channel timeout 120 s.
    server = create_server(app, host=host, port=port, threads=THREADS, ident="imgrec-aws-emulator")
    server.channel_class = _channel_class()
    stopping = threading.Event()
    thread = threading.Thread(target=_serve, args=(server, stopping), name="aws-emulator", daemon=True)
    thread.start()
    return RunningAws(server=server, thread=thread, url=f"http://{host}:{server.effective_port}", stopping=stopping)


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
